"""The run folder: its file list, the writer, one typed loader, and finding runs.

``runs/<config>/`` holds:

- ``config.toml``: the resolved config (``stance-bench run runs/x/config.toml`` re-runs it);
- ``predictions.jsonl``: one row per out-of-fold prediction (``view``, ``id``, ``group``,
  ``repeat``, ``fold``, ``gold``, ``predicted`` and, when the model scores, ``score_<label>``);
- ``folds.json``: which ids each (view, repeat, fold) tests;
- ``metrics.json``: every metric of every view; byte-identical on re-run;
- ``manifest.json``: times, versions, machine, hashes (what varies between re-runs);
- ``misclassified.jsonl``, ``report.md``, ``report.html``;
- ``OPTIONAL_RUN_FILES`` when the model wrote them: ``responses.jsonl``, the per-item log
  of a model that answers (a predictions file, a chat endpoint: raw answer, parsed label,
  prompt hash, latency, tokens).

A prediction of no label (an abstention, ``bench.metrics.NO_ANSWER``) has ``predicted``
null and ``no_answer`` its reason. A zero-shot run's views that test the same items as
the main view (``same_as`` in metrics.json) have no rows of their own: they are the main
view's.

A run folder is written aside (``.<name>.<random>.partial``) and renamed into place, under
a lock on the runs folder, so readers only ever see complete runs. Readers ignore names
that start with a dot. A folder is replaced only when it is a run folder itself.

A reference folder (``results/reference/``, the gate of ``bench.check``) holds
``REFERENCE_FILES`` of each run, of which ``COMPARED_FILES`` must be byte-identical on a
re-run, and ``ENVIRONMENT`` (the package versions that made it).

``metrics.json`` is declared here once, as TypedDicts (``MetricsDoc``, ``ViewMetrics``):
``bench.metrics`` fills a view's part, ``metrics_document`` the whole, and every reader
(compare, ranking, reports) goes through ``load_run``'s typed ``Run``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np

from bench import specs
from bench.errors import RunError, shown_path
from bench.io import (
    check_replaceable,
    dumps_json,
    sha256_bytes,
    staging_dir,
    write_text_atomic,
    writing_into,
)
from bench.views import MAIN

if TYPE_CHECKING:
    from bench.metrics import Predictions
    from bench.runner import RunOutput

RUN_FILES = (
    "config.toml",
    "predictions.jsonl",
    "folds.json",
    "metrics.json",
    "manifest.json",
    "misclassified.jsonl",
    "report.md",
    "report.html",
)
OPTIONAL_RUN_FILES = ("responses.jsonl",)  # written when the model keeps a per-item log
REPORT_FILES = ("report.md", "report.html")  # rendered by bench.report
REFERENCE_FILES = ("metrics.json", "predictions.jsonl", "config.toml")
COMPARED_FILES = ("metrics.json", "predictions.jsonl")  # byte-identical on a re-run
ENVIRONMENT = specs.ENVIRONMENT  # in a reference folder: the versions that made it
LOCK = ".stance-bench.lock"
DIGEST = "metrics_sha256"  # metrics.json's digest of itself
# metrics.json keys every reader relies on; a document without them is not a run
REQUIRED = (
    "config",
    "model",
    "task",
    "primary",
    "labels",
    "f_avg_labels",
    "pooled",
    "per_fold",
    "n_predictions",
    "data_hash",
    "folds_hash",
    "predictions_sha256",
)


# ------------------------------------------------------------------------------ schema
class FoldMetrics(TypedDict):
    repeat: int
    fold: int
    n_test: int
    test_support: list[int]
    train_support: NotRequired[list[int]]
    selected: NotRequired[dict[str, Any]]  # the setting a selecting model chose
    macro_f1: float | None
    accuracy: float | None
    f_avg: float | None
    kappa: float | None


class ClassMetrics(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int  # gold items of the label
    predicted: int  # predictions of the label (beside support: what the model answers)


class Answers(TypedDict):
    """What a model that can abstain (a predictions file, a chat endpoint) answered, in
    one view: ``asked`` predictions were wanted, ``answered`` gave a label of the task,
    the others abstained, counted by reason (``bench.labels.ABSTAIN_REASONS``).
    ``policy`` (``bench.labels.ABSTAIN_POLICIES``) says how abstentions are scored:
    ``wrong`` keeps them as errors, ``drop`` leaves them out (``scored`` < ``asked``)."""

    policy: str
    asked: int
    answered: int
    abstained: int
    by_reason: dict[str, int]
    abstained_by_gold: list[int]  # per label of ``labels``
    scored: int
    coverage: float | None  # answered / asked


class SubsetMetrics(TypedDict):
    """The scores of one target or article (``bench.metrics.per_target``)."""

    n_predictions: int
    macro_f1: float | None
    f_avg: float | None
    accuracy: float | None
    kappa: NotRequired[float | None]


class ViewMetrics(TypedDict):
    """One view's metrics (``bench.metrics.evaluate``, the contrast parts added by the
    runner). Scores are null where undefined; intervals are [low, high] or [null, null]."""

    protocol: NotRequired[dict[str, Any]]  # how its folds were drawn (bench.views)
    labels: list[str]
    f_avg_labels: list[str]
    n_predictions: int
    n_examples: int
    n_groups: int
    pooled: dict[str, float | None]  # every metric of bench.specs.METRICS it has
    per_class: dict[str, ClassMetrics]
    confusion_matrix: list[list[int]]
    no_answer: NotRequired[list[int]]  # abstentions scored as wrong, per gold label
    answers: NotRequired[Answers]  # a model that can abstain
    same_as: NotRequired[str]  # a zero-shot run: this view's items and predictions are that view's
    per_fold: list[FoldMetrics]
    repeats: dict[str, dict[str, float | None]]  # metric -> mean, std over repeats
    n_repeats: int
    ci_level: float
    ci_method: str
    ci_note: NotRequired[str]
    per_target: NotRequired[dict[str, SubsetMetrics]]
    ci: dict[str, Any]  # metric -> [low, high]; per_class_f1 -> label -> [low, high]
    # sides beyond the bootstrap's resamples (null in ci): metric -> ["low"] | ["high"]
    ci_open: NotRequired[dict[str, Any]]
    per_article: NotRequired[dict[str, SubsetMetrics]]  # data of two or more articles
    capabilities: NotRequired[list[dict[str, Any]]]  # the contrast suite, per capability
    by_test_type: NotRequired[dict[str, dict[str, float | None]]]
    balanced: NotRequired[dict[str, float | None]]  # mean over test types


class MetricsDoc(ViewMetrics):
    """metrics.json: the run, its main view's metrics at the top level, the other views
    under ``views`` (names: ``bench.views``)."""

    config: str
    model: str
    task: str
    primary: str
    data_hash: str
    config_hash: str
    folds_hash: str
    predictions_sha256: str
    view: NotRequired[str]  # the main view's name (bench.views.main_view); default MAIN
    metrics_sha256: NotRequired[str]  # of the document itself (metrics_digest)
    trained: NotRequired[bool]  # false: a zero-shot model (every item a test item, no training)
    views: NotRequired[dict[str, ViewMetrics]]
    absent_views: NotRequired[dict[str, str]]  # views the config asks for that the data has not


# --------------------------------------------------------------------------- serialising
def predictions_jsonl(
    view: str,
    ids: np.ndarray,
    groups: np.ndarray,
    repeat: np.ndarray,
    fold: np.ndarray,
    gold: np.ndarray,
    pred: np.ndarray,
    scores: np.ndarray | None,
    labels: list[str],
    extra: dict[str, np.ndarray] | None = None,
) -> str:
    """The rows of one view as JSON Lines, serialised column-wise by pandas; ``extra``
    adds columns (the contrast suite's ``test_type``)."""
    import pandas as pd

    names = np.array([*labels, None], dtype=object)  # NO_ANSWER (-1): null
    table = pd.DataFrame(
        {
            "view": view,
            "id": ids.astype(str),
            "group": groups.astype(str),
            "repeat": repeat.astype(np.int64),
            "fold": fold.astype(np.int64),
            "gold": names[gold],
            "predicted": names[pred],
        }
    )
    if len(table) == 0:
        return ""
    for name, values in (extra or {}).items():
        column = np.asarray(values, dtype=object)
        nulls = np.array([v is None for v in column], dtype=bool)
        text = column.astype(str)
        if nulls.any():
            text = text.astype(object)
            text[nulls] = None
        table[name] = text
    if scores is not None:
        for i, lab in enumerate(labels):
            table[f"score_{lab}"] = np.round(scores[:, i], 6)
    text = table.to_json(orient="records", lines=True, double_precision=6, force_ascii=False)
    return text if text.endswith("\n") else text + "\n"


def predictions_digest(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def metrics_document(
    *,
    config: str,
    model: str,
    task: str,
    primary: str,
    hashes: Mapping[str, str],
    views: Sequence[tuple[str, dict[str, Any], ViewMetrics]],
    predictions_sha256: str,
    absent: Mapping[str, str] | None = None,
    trained: bool = True,
) -> MetricsDoc:
    """metrics.json: the run, its main view's metrics at the top (and its name), the other
    views under ``views``; each view is (name, how its folds were drawn, its metrics).
    ``absent``: the views the config asks for that its data does not allow, and why."""
    (main_name, protocol, main), *others = views
    doc: dict[str, Any] = {
        "config": config,
        "model": model,
        "task": task,
        "primary": primary,
        "view": main_name,
        "trained": trained,
        "protocol": protocol,
        "data_hash": hashes["data_hash"],
        "config_hash": hashes["config_hash"],
        "folds_hash": hashes["folds_hash"],
        "predictions_sha256": predictions_sha256,
        **main,
    }
    if others:
        doc["views"] = {name: {"protocol": proto, **m} for name, proto, m in others}
    if absent:
        doc["absent_views"] = dict(absent)
    doc["metrics_sha256"] = metrics_digest(doc)
    return doc  # type: ignore[return-value]


def metrics_digest(doc: Mapping[str, Any]) -> str:
    """The digest metrics.json records of itself: of its canonical JSON without this key
    (so a re-indented or re-encoded file still matches, an edited number does not)."""
    return sha256_bytes(dumps_json({k: v for k, v in doc.items() if k != DIGEST}).encode())


def manifest_document(out: RunOutput) -> dict[str, Any]:
    """manifest.json: what varies between re-runs (times, versions, machine) and the
    hashes that decide reuse."""
    from datetime import datetime

    from bench.provenance import git_commit, machine, versions

    cfg = out.config
    usage: dict[str, float] = {}
    for v in out.views:
        for key, value in v.usage.items():
            usage[key] = usage.get(key, 0) + value
    requests = (
        {
            "requests": {
                k: round(v, 4) if k.endswith("_seconds") else int(v)
                for k, v in sorted(usage.items())
            }
        }
        if usage
        else {}
    )
    return {
        "config": cfg.name,
        "config_path": str(cfg.path),
        "started": out.started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(out.wall_seconds, 3),
        "fit_seconds": round(sum(sum(v.fit_seconds) for v in out.views), 4),
        "fit_seconds_per_fold": {v.name: [round(t, 4) for t in v.fit_seconds] for v in out.views},
        "n_jobs": out.n_jobs,
        "threads_per_job": out.threads,
        "versions": versions(),
        "machine": machine(),
        "git_commit": git_commit(cfg.path.parent),
        **requests,
        **out.prepared.hashes,
    }


@dataclass(frozen=True)
class RunDocuments:
    """A computed run's documents (what its reports are rendered from) and the text of
    every file of its folder but the reports."""

    metrics: MetricsDoc
    manifest: dict[str, Any]
    misclassified: list[dict[str, Any]]
    files: dict[str, str]


def run_documents(out: RunOutput, run_dir: Path) -> RunDocuments:
    """The files of ``out``'s run folder (``RUN_FILES`` less ``REPORT_FILES``)."""
    from bench.config import to_toml

    labels = list(out.prepared.run_labels)
    own = [v for v in out.views if "same_as" not in v.metrics]  # the others' rows are theirs
    jsonl = "".join(
        predictions_jsonl(
            v.name,
            v.predictions.ids,
            v.predictions.groups,
            v.predictions.repeat,
            v.predictions.fold,
            v.predictions.gold,
            v.predictions.pred,
            v.scores,
            labels,
            _extra_columns(v),
        )
        for v in own
    )
    cfg = out.config
    metrics = metrics_document(
        config=cfg.name,
        model=cfg.model.name,
        task=cfg.task,
        primary=cfg.metrics.primary,
        hashes=out.prepared.hashes,
        views=[(v.name, v.plan.protocol, v.metrics) for v in out.views],
        predictions_sha256=predictions_digest(jsonl),
        absent=out.prepared.absent,
        trained=out.prepared.trained,
    )
    manifest = manifest_document(out)
    folds = [
        {
            "view": v.name,
            "repeat": f.repeat,
            "fold": f.fold,
            "test_ids": v.plan.frame["id"].iloc[f.test].astype(str).tolist(),
        }
        for v in own
        for f in v.plan.folds
    ]
    files = {
        "config.toml": to_toml(out.config),
        "predictions.jsonl": jsonl,
        "folds.json": dumps_json(folds),
        "metrics.json": dumps_json(metrics),
        "manifest.json": dumps_json(manifest),
        "misclassified.jsonl": "".join(
            json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in out.misclassified
        ),
    }
    records = [r for v in own for r in v.records]
    if records:
        files["responses.jsonl"] = "".join(
            json.dumps(r, ensure_ascii=False) + "\n" for r in records
        )
    return RunDocuments(metrics, manifest, out.misclassified, files)


def _extra_columns(v: Any) -> dict[str, np.ndarray] | None:
    """A view's columns beyond the fixed ones: the contrast suite's ``test_type``, and
    ``no_answer`` (the reason, or null) when its model abstained."""
    extra: dict[str, np.ndarray] = {}
    if v.predictions.test_type is not None:
        extra["test_type"] = v.predictions.test_type
    if v.reasons is not None and (v.reasons != "").any():
        reasons = np.asarray(v.reasons, dtype=object)
        reasons[reasons == ""] = None
        extra["no_answer"] = reasons
    return extra or None


# ------------------------------------------------------------------------------ writing
@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (a lock file inside it) for the block: concurrent
    runs into one runs folder replace run folders one at a time."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def is_run_dir(path: Path) -> bool:
    """A run folder (or a reference entry): metrics.json inside, and not a staging
    folder (whose names start with a dot)."""
    path = Path(path)
    return path.is_dir() and not path.name.startswith(".") and (path / "metrics.json").is_file()


def check_writable(out: Path) -> None:
    """Fail before any work when ``out`` cannot hold run folders."""
    out = Path(out)
    for parent in [out, *out.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise RunError(f"{out}: {parent} is a file, not a folder; choose another --out")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise RunError(f"{out}: {parent} is not writable; choose another --out")
            return


def check_out(out: Path, configs: Sequence[Any], reference: Path | None) -> None:
    """Fail before any work when ``--out`` is, or is inside, a folder a run must never
    write into: the reference, a seeds folder or a derived-dataset folder; or is the
    folder of a config being run (compared after following links and ``..``); or when the
    run folder of a config there is a symbolic link. ``configs`` are the Configs to run."""
    from bench.io import refuse_link

    check_writable(out)
    protected: list[tuple[Path, str, bool]] = []  # folder, what it is, inside it too
    if reference is not None:
        protected.append((Path(reference), "the reference folder", True))
    for cfg in configs:
        for ds in (cfg.dataset, cfg.test):
            if ds is not None and ds.source == "seed":
                protected.append((Path(ds.seeds), "the seeds folder", True))
                protected.append((Path(ds.data_dir), "the derived dataset folder", True))
        protected.append((cfg.path.parent, f"the folder of config {cfg.path.name}", False))
    target = Path(out).resolve()
    for folder, what, inside in protected:
        real = folder.resolve()
        if target == real or (inside and target.is_relative_to(real)):
            where = "is" if target == real else "is inside"
            raise RunError(
                f"--out {out} {where} {what} ({shown_path(folder)}); run folders there "
                "would overwrite or mix with it: choose another --out (e.g. runs)"
            )
    for cfg in configs:
        run_dir = Path(out) / cfg.name
        refuse_link(run_dir, "remove the link (or choose another --out) to write this run")
        with writing_into(run_dir, fix="make it writable (chmod -R u+w), or choose another --out"):
            check_replaceable(run_dir)


def _remove_stale_staging(run_dir: Path) -> None:
    """Staging folders of this run left by a killed process (``.<name>.*.partial``).
    Called with the runs folder's lock held, when no other writer can be staging."""
    for entry in run_dir.parent.glob(f".{run_dir.name}.*.partial"):
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def write_run(run_dir: Path, files: Mapping[str, str]) -> None:
    """Write a complete run folder: every file of ``RUN_FILES`` from ``files`` (name ->
    text), staged aside and swapped into place under the runs folder's lock."""
    from bench.io import replace_dir_atomic

    missing = [name for name in RUN_FILES if name not in files]
    if missing:  # pragma: no cover - our own contract
        raise AssertionError(f"run files missing: {missing}")
    names = [*RUN_FILES, *(n for n in OPTIONAL_RUN_FILES if n in files)]
    run_dir = Path(run_dir)
    if run_dir.exists() and not is_run_dir(run_dir):
        raise RunError(
            f"{run_dir}: exists and is not a run folder; stance-bench replaces only run "
            "folders it wrote; move it away or choose another --out"
        )
    fix = "free space, or choose another --out"
    with writing_into(run_dir, fix=fix), locked(run_dir.parent):
        _remove_stale_staging(run_dir)
        stage = staging_dir(run_dir)
        try:
            for name in names:
                write_text_atomic(stage / name, files[name])
            replace_dir_atomic(stage, run_dir)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise


# ------------------------------------------------------------------------------ reading
def view_docs(doc: MetricsDoc) -> dict[str, ViewMetrics]:
    """Each view's part of a metrics.json document, the main view first."""
    return {doc.get("view", MAIN): doc, **doc.get("views", {})}


@dataclass(frozen=True)
class Run:
    """A loaded, validated run folder."""

    path: Path
    metrics: MetricsDoc
    manifest: dict
    misclassified: list[dict]

    @property
    def name(self) -> str:
        return str(self.metrics["config"])

    @property
    def labels(self) -> list[str]:
        return list(self.metrics["labels"])

    def views(self) -> dict[str, ViewMetrics]:
        """Each view's metrics document, the main view first."""
        return view_docs(self.metrics)

    def predictions(self) -> dict[str, Predictions]:
        """Predictions per view, sorted by (id, repeat) (read on demand, once: the
        leaderboard often needs none, tiers compare one run with many)."""
        return self._predictions

    @functools.cached_property
    def _predictions(self) -> dict[str, Predictions]:
        return _read_predictions(self)

    @functools.cached_property
    def predictions_text(self) -> str:
        """predictions.jsonl, read once (validation and parsing share it)."""
        return _predictions_text(self)


def _fail(run_dir: Path, why: str) -> RunError:
    return RunError(f"{run_dir}: {why}")


def _read_json(path: Path, run_dir: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(run_dir, f"not a complete run folder (no {path.name})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(run_dir, f"{path.name} is not valid JSON ({exc})") from None


def _kind(tp: Any) -> str:
    """A schema type in words, for messages."""
    import types
    import typing

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_kind(a) for a in args)
    if origin is list:
        inner = _kind(args[0])
        noun = inner.split(" ")[1] if inner.startswith(("a ", "an ")) else "value"
        return f"a list of {noun}s"
    if origin is dict or typing.is_typeddict(tp):
        return "an object"
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    return names.get(tp, "null" if tp is type(None) else "a value")


def _mismatch(value: Any, tp: Any, where: str) -> str | None:
    """Where ``value`` departs from the schema type ``tp`` (one of the TypedDicts above and
    what they hold), or None. Numbers must be finite: JSON has no NaN, ours never holds
    one, and a NaN would print as a score."""
    import math
    import types
    import typing

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        each = [_mismatch(value, a, where) for a in args]
        if None in each:
            return None
        deeper = [f for f, a in zip(each, args, strict=True) if _fits_shallow(value, a)]
        return deeper[0] if deeper else f"{where} must be {_kind(tp)}, got {_got(value)}"
    if typing.is_typeddict(tp):
        if not isinstance(value, dict):
            return f"{where} must be an object, got {_got(value)}"
        hints = typing.get_type_hints(tp, include_extras=True)
        for key, hint in hints.items():
            optional = typing.get_origin(hint) is NotRequired
            if key not in value:
                if optional:
                    continue
                return f"{where}: {key!r} is missing"
            inner = typing.get_args(hint)[0] if optional else hint
            found = _mismatch(value[key], inner, f"{where}: {key!r}" if where else repr(key))
            if found:
                return found
        return None
    if not _fits_shallow(value, tp):
        return f"{where} must be {_kind(tp)}, got {_got(value)}"
    if tp is float and not math.isfinite(value):
        return f"{where} is {value} (NaN or infinite), not a number"
    if origin is list:
        for i, item in enumerate(value):
            found = _mismatch(item, args[0], f"{where}[{i}]")
            if found:
                return found
    if origin is dict:
        for key, item in value.items():
            found = _mismatch(item, args[1], f"{where}: {key!r}")
            if found:
                return found
    return None


def _inconsistent(doc: MetricsDoc) -> str | None:
    """Where a metrics.json that has the schema's types contradicts itself (what readers
    index by: a label the confusion matrix has no row for, a view no module knows), or
    None. Checked beside the digest, which a hand edit can recompute."""
    import math

    from bench.labels import TASKS
    from bench.views import VIEWS

    if doc["task"] not in TASKS:
        return f"'task' is {doc['task']!r}, not one of {', '.join(map(repr, TASKS))}"
    if doc["primary"] not in specs.METRICS:
        return f"'primary' is {doc['primary']!r}, not one of {', '.join(map(repr, specs.METRICS))}"
    known = TASKS[doc["task"]].labels
    names = [doc.get("view", MAIN), *doc.get("views", {})]
    for name in names:
        if name not in VIEWS:
            return f"the view {name!r} is not one of {', '.join(map(repr, VIEWS))}"
    for name, view in [(names[0], doc), *doc.get("views", {}).items()]:
        where = f"view {name!r}"
        labels = view["labels"]
        if not labels or len(set(labels)) != len(labels) or not set(labels) <= set(known):
            return (
                f"{where}: 'labels' {labels} must be distinct labels of the task "
                f"{doc['task']!r} ({', '.join(known)})"
            )
        if not set(view["f_avg_labels"]) <= set(labels):
            return f"{where}: 'f_avg_labels' {view['f_avg_labels']} are not all in {labels}"
        if set(view["per_class"]) != set(labels):
            return f"{where}: 'per_class' has {sorted(view['per_class'])}, not {labels}"
        cm = view["confusion_matrix"]
        if len(cm) != len(labels) or any(len(row) != len(labels) for row in cm):
            return f"{where}: 'confusion_matrix' is not {len(labels)} x {len(labels)} (its labels)"
        for fold in view["per_fold"]:
            for key in ("test_support", "train_support"):
                if key in fold and len(fold[key]) != len(labels):  # type: ignore[literal-required]
                    return f"{where}: a fold's {key!r} has not one count per label of {labels}"
        for metric, interval in view["ci"].items():
            if metric == "per_class_f1" and not isinstance(interval, dict):
                return f"{where}: 'ci' 'per_class_f1' must be an object of [low, high] per label"
            pairs = interval.items() if metric == "per_class_f1" else [(metric, interval)]
            for name, pair in pairs:
                if not (isinstance(pair, list) and len(pair) == 2) or not all(
                    x is None or isinstance(x, int) or (isinstance(x, float) and math.isfinite(x))
                    for x in pair
                ):
                    return f"{where}: 'ci' {name!r} must be [low, high] (numbers or null)"
    return None


def _fits_shallow(value: Any, tp: Any) -> bool:
    import typing

    origin = typing.get_origin(tp)
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin is list:
        return isinstance(value, list)
    if origin is dict or typing.is_typeddict(tp):
        return isinstance(value, dict)
    return True


def _got(value: Any) -> str:
    from bench.errors import shown

    return shown(value, 40)


def load_run(run_dir: Path, *, verify: bool = True) -> Run:
    """Read and validate a run folder: metrics.json has every key readers need, and
    predictions.jsonl has the rows and the digest that metrics.json records."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise _fail(run_dir, "no such run folder")
    metrics = _read_json(run_dir / "metrics.json", run_dir)
    if not isinstance(metrics, dict):
        raise _fail(run_dir, "metrics.json is not a JSON object; re-run the config")
    absent = [k for k in REQUIRED if k not in metrics]
    if absent:
        raise _fail(
            run_dir,
            f"metrics.json lacks {', '.join(absent)}; not a run of this version of "
            "stance-bench (re-run the config)",
        )
    departs = _mismatch(metrics, MetricsDoc, "") or _inconsistent(metrics)  # type: ignore[arg-type]
    if departs:
        raise _fail(run_dir, f"metrics.json: {departs}; it was edited by hand, re-run the config")
    if verify and DIGEST in metrics and metrics_digest(metrics) != metrics[DIGEST]:
        raise _fail(
            run_dir,
            "metrics.json does not match the digest it records (metrics_sha256): it was "
            "edited by hand; re-run the config (its numbers come from the predictions)",
        )
    manifest_path = run_dir / "manifest.json"
    manifest = _read_json(manifest_path, run_dir) if manifest_path.is_file() else {}
    wrong_path = run_dir / "misclassified.jsonl"
    wrong: list[dict] = []
    if wrong_path.is_file():
        try:
            wrong = [json.loads(x) for x in wrong_path.read_text("utf-8").splitlines() if x]
        except ValueError as exc:
            raise _fail(run_dir, f"misclassified.jsonl is not valid JSON ({exc})") from None
    run = Run(run_dir, metrics, manifest, wrong)  # type: ignore[arg-type]
    if verify:
        text = run.predictions_text
        if predictions_digest(text) != metrics["predictions_sha256"]:
            lines = text.count("\n")
            raise _fail(
                run_dir,
                f"predictions.jsonl ({lines} lines) does not match metrics.json (its digest "
                "differs): the run was edited or cut; re-run the config",
            )
    return run


def _predictions_text(run: Run) -> str:
    path = run.path / "predictions.jsonl"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(run.path, "not a complete run folder (no predictions.jsonl)") from None
    except UnicodeDecodeError:
        raise _fail(run.path, "predictions.jsonl is not UTF-8; re-run the config") from None


def _read_predictions(run: Run) -> dict[str, Predictions]:
    import io

    import pandas as pd

    from bench.metrics import NO_ANSWER, Predictions

    text = run.predictions_text
    try:
        frame = pd.read_json(
            io.StringIO(text), lines=True, dtype={"id": str, "group": str, "view": str}
        )
    except ValueError as exc:
        raise _fail(run.path, f"predictions.jsonl is not valid JSON Lines ({exc})") from None
    fields = ("view", "id", "group", "repeat", "fold", "gold", "predicted")
    absent = [f for f in fields if len(frame) and f not in frame.columns]
    if absent:
        raise _fail(
            run.path,
            f"predictions.jsonl lacks the field(s) {', '.join(map(repr, absent))} (each row "
            f"has {', '.join(fields)}); re-run the config",
        )
    for name in ("repeat", "fold"):
        if len(frame) and not pd.api.types.is_integer_dtype(frame[name]):
            raise _fail(run.path, f"predictions.jsonl: {name!r} must be an integer in every row")
    index = {lab: i for i, lab in enumerate(run.labels)}
    out: dict[str, Predictions] = {}
    docs = run.views()
    for view, doc in docs.items():
        same_as = doc.get("same_as")
        if same_as is not None:  # a zero-shot view that is another's: its rows
            if same_as not in out:
                raise _fail(
                    run.path,
                    f"metrics.json: view {view!r} is the same as {same_as!r}, which is not "
                    "before it; re-run the config",
                )
            out[view] = out[same_as]
            continue
        part = frame[frame["view"] == view] if len(frame) else frame
        if len(part) != doc.get("n_predictions"):
            raise _fail(
                run.path,
                f"predictions.jsonl has {len(part)} rows of view {view!r} where metrics.json "
                f"counts {doc.get('n_predictions')}; re-run the config",
            )
        gold = part["gold"].map(index)
        no_answer = part["predicted"].isna()  # an abstention
        pred = part["predicted"].map(index).where(~no_answer, NO_ANSWER)
        if gold.isna().any() or pred.isna().any():
            raise _fail(run.path, "predictions.jsonl holds labels outside metrics.json's labels")
        out[view] = Predictions(
            ids=part["id"].astype(str).to_numpy(),
            groups=part["group"].astype(str).to_numpy(),
            repeat=part["repeat"].to_numpy(dtype=np.int64),
            fold=part["fold"].to_numpy(dtype=np.int64),
            gold=gold.to_numpy(dtype=np.int64),
            pred=pred.to_numpy(dtype=np.int64),
            test_type=part["test_type"].astype(str).to_numpy()
            if "test_type" in part and part["test_type"].notna().all()
            else None,
        ).sorted()
    unknown = set(frame["view"].unique()) - set(docs) if len(frame) else set()
    if unknown:
        raise _fail(run.path, f"predictions.jsonl has views {sorted(unknown)} metrics.json lacks")
    return out


def reusable(run_dir: Path, hashes: Mapping[str, str]) -> Run | None:
    """A complete earlier run whose manifest records the same ``hashes`` (config, data,
    code...), or None: a missing, partial, corrupt or different run is re-run."""
    run_dir = Path(run_dir)
    if not all((run_dir / name).is_file() for name in RUN_FILES):
        return None
    try:
        run = load_run(run_dir)
    except RunError:
        return None
    if any(run.manifest.get(k) != v for k, v in hashes.items()):
        return None
    return run


# ------------------------------------------------------------------------------ finding
def runs_in(path: Path) -> dict[Path, Path]:
    """Run folders under ``path`` by their location: ``path`` itself when it is one, else
    its subfolders that are (staging folders, whose names start with a dot, are not)."""
    path = Path(path)
    if is_run_dir(path):
        return {path: path}
    if not path.is_dir():
        raise RunError(f"{path}: no such run folder or folder of runs")
    return {d: d for d in sorted(path.iterdir()) if is_run_dir(d)}


def complete_runs(folder: Path, exclude=()) -> tuple[list[Run], list[tuple[Path, str]]]:
    """Every complete run folder in ``folder`` but ``exclude``, loaded, and the ones that
    could not be (with why): a runs folder's leaderboard lists them all."""
    found, bad = [], []
    for path in runs_in(folder):
        if path in exclude or not all((path / name).is_file() for name in RUN_FILES):
            continue
        try:
            found.append(load_run(path))
        except RunError as err:
            bad.append((path, str(err)))
    return found, bad


def find_runs(targets: list[Path]) -> list[Path]:
    """Every run folder named by ``targets``, in order; none found is an error."""
    found: list[Path] = []
    for target in targets:
        runs = runs_in(target)
        if not runs:
            raise RunError(f"{target}: no run folders (with metrics.json) here")
        found += [p for p in runs if p not in found]
    return found


@dataclass(frozen=True)
class Matched:
    pairs: list[tuple[Path, Path]]
    only_base: list[str]
    only_candidate: list[str]


def match_runs(base: Path, candidate: Path) -> Matched:
    """Pairs of run folders to compare: two run folders whatever their names; folders of
    runs matched by folder name, with the names found on one side only."""
    base, candidate = Path(base), Path(candidate)
    if is_run_dir(base) and is_run_dir(candidate):
        return Matched([(base, candidate)], [], [])
    b = {p.name: p for p in runs_in(base)}
    c = {p.name: p for p in runs_in(candidate)}
    pairs = [(b[n], c[n]) for n in sorted(b.keys() & c.keys())]
    if not pairs:
        raise RunError(
            f"no run of the same config in {base} and {candidate} (runs are matched by folder name)"
        )
    return Matched(pairs, sorted(b.keys() - c.keys()), sorted(c.keys() - b.keys()))
