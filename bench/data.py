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


# ------------------------------------------------------------------ any dataset by config
ROLES = ("id", "text", "target", "label", "group")


def _show_rows(frame, mask, limit: int = 3) -> str:
    rows = frame.index[mask][:limit].tolist()
    return ", ".join(str(r + 2) for r in rows)  # +2: 1-based and the header line


def _read_file(ds) -> object:
    import pandas as pd

    path = ds.path
    if not Path(path).is_file():
        raise DataError(f"{path}: dataset file not found; check 'path' in the config")
    try:
        if ds.format in ("csv", "tsv"):
            import csv

            sep = ds.delimiter or ("\t" if ds.format == "tsv" else ",")
            quoting = csv.QUOTE_NONE if ds.quoting == "none" else csv.QUOTE_MINIMAL
            return pd.read_csv(
                path,
                sep=sep,
                encoding=ds.encoding,
                quoting=quoting,
                dtype=str,
                keep_default_na=False,
            )
        if ds.format == "json":
            return pd.read_json(path, lines=True, dtype=False, encoding=ds.encoding)
        return pd.read_parquet(path)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot decode as {ds.encoding} (byte {exc.start}); set encoding = "
            '"..." in the config (e.g. cp1252)'
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read as {ds.format}: {first}") from None


def _read_hub(ds):
    import datasets

    try:
        loaded = datasets.load_dataset(ds.name, split=ds.split)
    except Exception as exc:  # the hub raises many types: network, missing, auth
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"hub dataset {ds.name!r} (split {ds.split!r}) could not be loaded: {first}"
        ) from None
    return loaded.to_pandas()


def source_frame(ds, task: str, where: str = "dataset"):
    """Any configured dataset as a frame with the columns id, text, target, label, group
    (labels mapped to ours and restricted to ``task``)."""
    import pandas as pd

    if ds.source == "seed":
        parquet = ensure_derived(ds.seeds, ds.data_dir)
        frame = seed_frame(parquet, task)
        out = pd.DataFrame(
            {
                "id": frame["id"],
                "text": frame[ds.text],
                "target": frame["target"],
                "label": frame["label"],
                "group": frame["group"],
            }
        )
        return out, {r: frame[r] for r in ("evidence",) if r in frame}
    raw = _read_file(ds) if ds.source == "file" else _read_hub(ds)
    origin = ds.path if ds.source == "file" else ds.name
    columns = {role: ds.column(role) for role in ROLES}
    for role in ("text", "label"):
        if columns[role] not in raw.columns:
            raise DataError(
                f"{origin}: no column {columns[role]!r} for the {role} (columns: "
                f"{', '.join(map(str, raw.columns))}); map it in [{where}.columns]"
            )
    raw = raw.reset_index(drop=True)
    text = raw[columns["text"]].astype(str)
    empty = text.str.strip() == ""
    if empty.any():
        raise DataError(
            f"{origin}: {int(empty.sum())} row(s) with empty text (rows "
            f"{_show_rows(raw, empty)}); remove them or fix the text column"
        )
    mapping = dict(ds.labels)
    from bench.config import DROP
    from bench.labels import LABELS

    gold = raw[columns["label"]].astype(str)
    mapped = gold.map(lambda v: mapping.get(v, v if v in LABELS else None))
    unmapped = mapped.isna()
    if unmapped.any():
        values = sorted(set(gold[unmapped]))
        raise DataError(
            f"{origin}: {int(unmapped.sum())} row(s) have labels with no mapping "
            f"({', '.join(map(repr, values[:5]))}; first rows {_show_rows(raw, unmapped)}); "
            f'add them to [{where}.labels] as "X" = one of {", ".join(LABELS)} or "drop"'
        )
    stem = Path(str(origin)).stem
    ids = (
        raw[columns["id"]].astype(str)
        if columns["id"] in raw.columns
        else pd.Series([f"{stem}-{i}" for i in range(len(raw))])
    )
    target = raw[columns["target"]].astype(str) if columns["target"] in raw.columns else ""
    frame = pd.DataFrame({"id": ids, "text": text, "target": target, "label": mapped})
    frame["group"] = raw[columns["group"]].astype(str) if columns["group"] in raw.columns else ids
    frame = frame[frame["label"] != DROP]
    return task_view(frame, task), {}
