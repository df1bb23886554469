"""Datasets as the experiments see them: the derived seed dataset and task views of it.

The Python API is ``bench.load_dataset(task="joint")``; the runner uses ``seed_frame``.
"""

from __future__ import annotations

from pathlib import Path

from bench.errors import DataError
from bench.labels import TASKS

DEFAULT_SEEDS = Path("seeds")
DEFAULT_DATA = Path("data/derived")


def ensure_derived(seeds: Path = DEFAULT_SEEDS, out: Path = DEFAULT_DATA) -> Path:
    """Derive the dataset into ``out`` when it is missing or stale; return the Parquet path."""
    from bench.corpus import derive

    derived = derive.derive(Path(seeds))
    derive.write(derived, Path(out))
    return Path(out) / derive.PARQUET


def task_view(frame, task: str):
    """Keep the rows of ``task`` and rename gold labels to the task's labels (strings)."""
    spec = TASKS[task]
    kept = frame[frame["label"].isin(list(spec.mapping))].copy()
    kept["label"] = kept["label"].map(spec.mapping)
    return kept.reset_index(drop=True)


def seed_frame(parquet: Path, task: str):
    """The derived dataset as a pandas frame with string labels, restricted to ``task``."""
    import pyarrow.parquet as pq

    from bench.labels import LABELS

    frame = pq.read_table(parquet).to_pandas()
    frame["label"] = frame["label"].map(lambda i: LABELS[i])
    return task_view(frame, task)


def load_dataset(
    task: str = "joint", seeds: Path | str = DEFAULT_SEEDS, data_dir: Path | str = DEFAULT_DATA
):
    """The derived dataset for ``task`` as a ``datasets.DatasetDict`` (derived when stale).

    Labels are a ``ClassLabel`` of the task's label names; ``.to_pandas()`` works on each split.
    """
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    import datasets

    from bench.corpus.derive import features

    parquet = ensure_derived(Path(seeds), Path(data_dir))
    frame = seed_frame(parquet, task)
    spec = TASKS[task]
    feats = datasets.Features({**features(), "label": datasets.ClassLabel(names=list(spec.labels))})
    frame["label"] = frame["label"].map(spec.labels.index)
    ds = datasets.Dataset.from_pandas(frame, features=feats, preserve_index=False)
    return datasets.DatasetDict({"train": ds})
