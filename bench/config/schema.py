"""The config schema, declared once: frozen dataclasses whose fields are the TOML keys.

A field's type gives the value's kind; its metadata gives the allowed values
(``choices``), an integer or float range (``between``, ``open`` for a strict range), or
a doc line. ``bench.config.load`` validates every table against these fields, and
``bench.config.dump`` writes them back; nothing else lists the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.labels import TASKS

SOURCES = ("seed", "file", "hub")
FORMATS = ("csv", "tsv", "json", "parquet")
PROTOCOLS = ("group_kfold", "leave_one_group_out", "split")
GROUP_BY = ("group", "target")
COLUMN_ROLES = ("text", "target", "label", "id", "group")
QUOTING = ("minimal", "none")
DROP = "drop"
# the [dataset] keys each source reads; the others do not apply to it
SOURCE_KEYS = {
    "seed": ("source", "seeds", "data_dir", "text"),
    "file": (
        "source",
        "path",
        "format",
        "columns",
        "labels",
        "encoding",
        "delimiter",
        "quoting",
    ),
    "hub": ("source", "name", "split", "columns", "labels"),
}
# a config's name is a folder name under --out: letters, digits, _ - . and no leading dot
NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"


def _comparable_metrics() -> tuple[str, ...]:
    from bench.specs import NAMED

    return NAMED


def choice(default: Any, choices: Any) -> Any:
    """A field whose value is one of ``choices`` (a tuple, or a function returning one)."""
    return field(default=default, metadata={"choices": choices})


def between(default: Any, lo: float, hi: float, *, open_: bool = False) -> Any:
    """A number in [lo, hi] (or (lo, hi) when ``open_``)."""
    return field(default=default, metadata={"between": (lo, hi), "open": open_})


@dataclass(frozen=True)
class DatasetConfig:
    """``[dataset]`` (what to train and evaluate on) and ``[test]`` (a separate test set)."""

    source: str = choice("seed", SOURCES)
    seeds: Path | None = None  # seed: the folder of articles and annotations
    data_dir: Path | None = None  # seed: where the derived dataset is written
    path: tuple[Path, ...] | None = None  # file: files read in order and concatenated
    format: str | None = choice(None, FORMATS)
    name: str | None = None  # hub: owner/dataset or a local folder
    split: str = "train"
    text: str = "sentence"  # seed: the column the model reads
    columns: tuple[tuple[str, str], ...] = ()  # role -> source column
    labels: tuple[tuple[str, str], ...] = ()  # source label -> ours or "drop"
    encoding: str = "utf-8"
    delimiter: str | None = None
    quoting: str = choice("minimal", QUOTING)

    def gold_labels(self) -> set[str] | None:
        """Our labels this source can yield: the targets of its label mapping, or None
        (all of them) for the seed dataset and sources whose labels are ours already."""
        if self.source == "seed" or not self.labels:
            return None
        return {ours for _, ours in self.labels if ours != DROP}

    def column(self, role: str) -> str:
        """The source column that plays ``role`` (text, target, label, id, group).

        Unmapped roles use the column of the same name; the seed dataset's text is the
        column named by ``text`` (default ``sentence``).
        """
        mapped = dict(self.columns)
        if role in mapped:
            return mapped[role]
        return self.text if role == "text" and self.source == "seed" else role


@dataclass(frozen=True)
class ModelConfig:
    """``[model]``: ``name`` plus the factory's keyword arguments (the registry checks them)."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ProtocolConfig:
    """``[protocol]``: how folds are drawn for the main view (``cv``)."""

    kind: str = choice("group_kfold", PROTOCOLS)
    n_splits: int = between(3, 2, 1000)
    n_repeats: int = between(5, 1, 1000)
    test_size: float = between(0.25, 0.0, 1.0, open_=True)
    group_by: str = choice("group", GROUP_BY)  # rows that share this never straddle folds


@dataclass(frozen=True)
class ViewsConfig:
    """``[views]``: evaluations beside the main one, each its own part of metrics.json."""

    cross_target: bool = False  # leave-one-target-out: no test target is seen in training
    contrast: bool = False  # train on every item, test on the derived contrast suite


@dataclass(frozen=True)
class MetricsConfig:
    """``[metrics]``."""

    primary: str = choice("macro_f1", _comparable_metrics)
    f_avg_labels: tuple[str, ...] | None = None  # default: the task's (labels.Task)
    bootstrap: int = between(1000, 0, 1_000_000)
    ci: float = between(0.95, 0.0, 1.0, open_=True)


SELECT = ("same_folds", "inner_cv")


@dataclass(frozen=True)
class SweepInfo:
    """A run that is one setting of a ``[sweep]``: which sweep, which values."""

    name: str  # the sweep: the name of the config that declares it
    keys: tuple[str, ...]  # the swept keys, e.g. ("model.C",)
    setting: tuple[tuple[str, Any], ...]  # this run's values; () for the selected run
    select: str  # how the best setting is chosen: same_folds | inner_cv


@dataclass(frozen=True)
class Config:
    """One experiment: every section resolved, validated and frozen."""

    name: str
    path: Path
    model: ModelConfig
    dataset: DatasetConfig = DatasetConfig()
    test: DatasetConfig | None = None
    protocol: ProtocolConfig = ProtocolConfig()
    views: ViewsConfig = ViewsConfig()
    metrics: MetricsConfig = MetricsConfig()
    seed: int = between(0, 0, 2**32 - 1)
    task: str = choice("joint", tuple(TASKS))
    description: str = ""
    depends_on: tuple[Path, ...] = ()  # files outside the package the model reads
    sweep: SweepInfo | None = None  # set on the runs a [sweep] table expands into

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's labels that the data can hold: a file or hub dataset with a label
        mapping holds only the labels it maps to (SemEval has no ``skeptical``), so that
        macro averages do not count a label no split can contain."""
        task = TASKS[self.task]
        held: set[str] = set()
        for ds in (self.dataset, self.test):
            if ds is None:
                continue
            own = ds.gold_labels()
            if own is None:
                return task.labels
            held |= {task.mapping[lab] for lab in own if lab in task.mapping}
        return tuple(lab for lab in task.labels if lab in held)

    @property
    def f_avg_labels(self) -> tuple[str, ...]:
        """The labels F_avg averages over: the config's, else the task's default."""
        return self.metrics.f_avg_labels or TASKS[self.task].f_avg_labels


# The TOML tables and the dataclass each one fills: the top level of a file is Config.
SECTIONS: dict[str, type] = {
    "dataset": DatasetConfig,
    "test": DatasetConfig,
    "protocol": ProtocolConfig,
    "views": ViewsConfig,
    "metrics": MetricsConfig,
}
