"""The config schema, declared once: frozen dataclasses whose fields are the TOML keys.

A field's type gives the value's kind; its metadata may hold a ``rule`` of
``bench.constraints`` (the allowed values). ``bench.config.load`` validates every table
against these fields, and ``bench.config.dump`` writes them back; nothing else lists the
keys. ``[views]`` is the exception that proves it: its keys are the optional views of
``bench.views``, which owns view names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.constraints import AnyOf, Interval, OneOf, Rule
from bench.labels import DROP, TASKS
from bench.protocol import KINDS as PROTOCOLS
from bench.specs import NAMED

SOURCES = ("seed", "file", "hub")
MIN_BOOTSTRAP = 100  # the fewest resampling rounds an interval is computed from
FORMATS = ("csv", "tsv", "json", "parquet")
GROUP_BY = ("group", "target", "article")
COLUMN_ROLES = ("text", "target", "label", "id", "group", "article")
QUOTING = ("minimal", "none")
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
# a config's name is a folder name under --out: letters, digits, _ - . and no leading dot;
# at most NAME_MAX characters, so that its staging folder ".<name>.<8>.partial" and the
# temp files of its writes fit in a file name (255 bytes)
NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]*"
NAME_MAX = 200


def allowed(default: Any, rule: Rule) -> Any:
    """A field whose values ``rule`` allows (``bench.constraints``)."""
    return field(default=default, metadata={"rule": rule})


@dataclass(frozen=True)
class DatasetConfig:
    """``[dataset]`` (what to train and evaluate on) and ``[test]`` (a separate test set)."""

    source: str = allowed("seed", OneOf(SOURCES))
    seeds: Path | None = None  # seed: the folder of articles and annotations
    data_dir: Path | None = None  # seed: where the derived dataset is written
    path: tuple[Path, ...] | None = None  # file: files read in order and concatenated
    format: str | None = allowed(None, OneOf(FORMATS))
    name: str | None = None  # hub: owner/dataset or a local folder
    split: str = "train"
    text: str = "sentence"  # seed: the column the model reads
    columns: tuple[tuple[str, str], ...] = ()  # role -> source column
    labels: tuple[tuple[str, str], ...] = ()  # source label -> ours or "drop"
    encoding: str = "utf-8"
    delimiter: str | None = None
    # csv: "minimal" by default; tsv: told by the config when a cell starts with a quote
    # (TSV has no quoting, yet spreadsheets quote: either reading may be the right one)
    quoting: str | None = allowed(None, OneOf(QUOTING))

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

    kind: str = allowed("group_kfold", OneOf(PROTOCOLS))
    n_splits: int = allowed(3, Interval(2, 1000, integer=True))
    n_repeats: int = allowed(5, Interval(1, 1000, integer=True))
    test_size: float = allowed(0.25, Interval(0.0, 1.0, closed="neither"))
    group_by: str = allowed("group", OneOf(GROUP_BY))  # rows that share this never straddle folds


@dataclass(frozen=True)
class ViewsConfig:
    """``[views]``: which optional views of ``bench.views`` (evaluations beside the main
    one, each its own part of metrics.json) a run has; each is off unless switched on, or
    on unless switched off when its ``View.default`` says so (``cross_article``)."""

    switches: tuple[tuple[str, bool], ...] = ()  # (view name, on), one per optional view

    def on(self, name: str) -> bool:
        return dict(self.switches).get(name, False)


@dataclass(frozen=True)
class MetricsConfig:
    """``[metrics]``."""

    primary: str = allowed("macro_f1", OneOf(NAMED))
    f_avg_labels: tuple[str, ...] | None = None  # default: the task's (labels.Task)
    # resampling rounds of each interval: 0 (no intervals), or enough that a percentile
    # interval is not the spread of a handful of draws (with 1 it excluded its estimate)
    bootstrap: int = allowed(
        1000, AnyOf((OneOf((0,)), Interval(MIN_BOOTSTRAP, 1_000_000, integer=True)))
    )
    ci: float = allowed(0.95, Interval(0.0, 1.0, closed="neither"))


SELECT = ("same_folds", "inner_cv")  # how a [sweep] picks its best setting


@dataclass(frozen=True)
class SweepInfo:
    """A run that is one setting of a ``[sweep]``: which sweep, which values."""

    name: str  # the sweep: the name of the config that declares it
    keys: tuple[str, ...]  # the swept keys, e.g. ("model.C",)
    setting: tuple[tuple[str, Any], ...]  # this run's values; () for the selected run
    select: str  # how the best setting is chosen: same_folds | inner_cv
    select_on: str = ""  # inner_cv: the view its inner folds mimic (bench.views.SELECT_ON)


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
    seed: int = allowed(0, Interval(0, 2**32 - 1, integer=True))
    task: str = allowed("joint", OneOf(tuple(TASKS)))
    description: str = ""
    # seconds one fold's fit and predict may take (None: no limit); see docs
    timeout: float | None = allowed(None, Interval(0, None, closed="neither"))
    depends_on: tuple[Path, ...] = ()  # files outside the package the model reads
    plugin_dir: Path | None = None  # where module:factory and model files are found
    sweep: SweepInfo | None = None  # set on the runs a [sweep] table expands into

    @property
    def plugins(self) -> Path:
        """The folder plug-in modules (``module:factory``) and the model's file
        parameters are found in: ``plugin_dir``, else the config's own folder."""
        return self.plugin_dir or self.path.parent

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's labels that the evaluated data can hold: a file or hub dataset with
        a label mapping holds only the labels it maps to (SemEval has no ``skeptical``), so
        that macro averages do not count a label no split can contain. With a ``[test]``
        set that is the test set's labels: what is measured (training rows of any other
        label are dropped; a test set without a mapping is narrowed to the labels its
        data holds when the views are planned, ``bench.views``)."""
        task = TASKS[self.task]
        own = (self.test or self.dataset).gold_labels()
        if own is None:
            return task.labels
        held = {task.mapping[lab] for lab in own if lab in task.mapping}
        return tuple(lab for lab in task.labels if lab in held)

    @property
    def f_avg_labels(self) -> tuple[str, ...]:
        """The labels F_avg averages over: the config's, else the task's default."""
        return self.metrics.f_avg_labels or TASKS[self.task].f_avg_labels

    def f_avg_over(self, labels: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """F_avg's labels in a run scored over ``labels`` (the labels its data holds): the
        config's ``f_avg_labels`` as set; by default, the task's that ``labels`` has (data
        with no ``condemn`` row: F_avg is F1(support)), so a default never fails a run."""
        if self.metrics.f_avg_labels:
            return self.metrics.f_avg_labels
        return tuple(lab for lab in TASKS[self.task].f_avg_labels if lab in labels)


# The TOML tables and the dataclass each one fills: the top level of a file is Config.
# [views] (keys: bench.views.OPTIONAL) and [model] (keys: the model's parameters) are read
# by their own code in bench.config.load.
SECTIONS: dict[str, type] = {
    "dataset": DatasetConfig,
    "test": DatasetConfig,
    "protocol": ProtocolConfig,
    "metrics": MetricsConfig,
}
