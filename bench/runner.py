"""Config -> data -> folds -> fit/predict -> metrics, for every view of a run.

Views: ``cv`` is the config's protocol (in-article grouped CV for the seed dataset);
``cross_target`` holds each target out in turn, so no test item's target is seen in
training; ``contrast`` trains on every item and tests on the derived contrast suite.
This module computes; ``bench.runs`` owns the folder it is written to.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.config import Config, DatasetConfig, ProtocolConfig, as_dict, to_toml
from bench.errors import ModelError, ProtocolError, RunError
from bench.io import dumps_json, sha256_json
from bench.metrics import Predictions, evaluate
from bench.models import resolve
from bench.protocol import Fold, derived_seed, folds_hash, make_folds
from bench.provenance import code_hash, config_hash, files_hash, frame_hash

if TYPE_CHECKING:
    import pandas as pd

# Seeds: folds of repeat r use derived_seed(seed, r); the model of (repeat r, fold f) gets
# derived_seed(seed, r, f); the bootstrap of view v uses derived_seed(seed, BOOTSTRAP, v).
# BOOTSTRAP exceeds any repeat index the schema allows, so the streams never coincide.
BOOTSTRAP = 7919
VIEWS = ("cv", "cross_target", "contrast")
DataCache = dict[tuple[DatasetConfig, str, str], "pd.DataFrame"]


@dataclass(frozen=True)
class ViewPlan:
    """One view ready to fit: the rows it trains and tests on, and its folds."""

    name: str
    frame: pd.DataFrame  # id, text, target, label, group (+ evidence for seed data)
    folds: list[Fold]
    protocol: dict[str, Any]  # what metrics.json records about how folds were drawn


@dataclass(frozen=True)
class Prepared:
    """A config with its data loaded and its folds drawn, view by view."""

    config: Config
    views: list[ViewPlan]
    hashes: dict[str, str]  # config, data, folds, code, files: what reuse depends on


@dataclass(frozen=True)
class FoldResult:
    pred: np.ndarray  # label strings
    proba: np.ndarray | None
    scores: np.ndarray | None
    fit_seconds: float
    selected: dict[str, Any] | None = None  # the setting a selecting model chose


@dataclass(frozen=True)
class ViewResult:
    name: str
    plan: ViewPlan
    predictions: Predictions
    scores: np.ndarray | None  # per prediction and label: probabilities or decision values
    rows: np.ndarray  # the plan.frame row of each prediction
    fit_seconds: list[float]
    metrics: dict[str, Any]


@dataclass(frozen=True)
class RunOutput:
    """Everything a run folder holds, computed; ``bench.runs.write_run`` writes it."""

    config: Config
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    views: list[ViewResult]
    predictions_text: str  # predictions.jsonl
    misclassified: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RunRecord:
    """A run as the CLI reports it: where it is and whether it was reused."""

    config: Config
    run_dir: Path
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    reused: bool = False


# ------------------------------------------------------------------------------ data
def _load(ds: DatasetConfig, task: str, split: str, where: str, cache: DataCache | None):
    from bench.data import source_frame

    key = (ds, task, split)
    if cache is not None and key in cache:
        return cache[key]
    frame, extras = source_frame(ds, task, where, split=split)
    for name, col in extras.items():
        frame[name] = col.values
    if cache is not None:
        cache[key] = frame
    return frame


def _cv_plan(cfg: Config, cache: DataCache | None) -> ViewPlan:
    import pandas as pd

    frame = _load(cfg.dataset, cfg.task, "train", "dataset", cache)
    is_test = None
    if cfg.test is not None:
        test = _load(cfg.test, cfg.task, "train", "test", cache)
        frame = pd.concat(
            [frame.assign(is_test=False), test.assign(is_test=True)], ignore_index=True
        )
        is_test = frame["is_test"].to_numpy()
    p = cfg.protocol
    folds = _folds(cfg, p, frame, is_test, where="[protocol]")
    return ViewPlan("cv", frame, folds, _protocol_doc(p, folds))


def _folds(cfg: Config, p: ProtocolConfig, frame, is_test, where: str) -> list[Fold]:
    groups = frame["target" if p.group_by == "target" else "group"].to_numpy()
    try:
        return make_folds(
            p,
            frame["label"].to_numpy(),
            groups,
            cfg.seed,
            is_test,
            require_stratified=p.group_by == "group",
        )
    except ProtocolError as err:
        raise ProtocolError(f"{cfg.path} {where}: {err}") from None


def _protocol_doc(p: ProtocolConfig, folds: list[Fold]) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "group_by": p.group_by,
        "n_splits": p.n_splits,
        "n_repeats": len({f.repeat for f in folds}),
        "n_folds": len(folds),
    }


def _cross_target_plan(cfg: Config, cv: ViewPlan) -> ViewPlan:
    frame = cv.frame
    n_targets = frame["target"].nunique()
    if n_targets < 2:
        raise ProtocolError(
            f"{cfg.path} [views]: cross_target needs at least two targets; the data has "
            f"{n_targets}; set cross_target = false"
        )
    p = ProtocolConfig(kind="leave_one_group_out", n_repeats=1, group_by="target")
    folds = _folds(cfg, p, frame, None, where="[views] cross_target")
    return ViewPlan("cross_target", frame, folds, _protocol_doc(p, folds))


def _contrast_plan(cfg: Config, cv: ViewPlan, cache: DataCache | None) -> ViewPlan:
    import pandas as pd

    train = cv.frame
    test = _load(cfg.dataset, cfg.task, "contrast", "dataset", cache)
    frame = pd.concat([train.assign(is_test=False), test.assign(is_test=True)], ignore_index=True)
    is_test = frame["is_test"].to_numpy()
    folds = [Fold(0, 0, np.flatnonzero(~is_test), np.flatnonzero(is_test))]
    doc = {"kind": "contrast", "group_by": "group", "n_splits": 1, "n_repeats": 1, "n_folds": 1}
    return ViewPlan("contrast", frame, folds, doc)


def prepare(cfg: Config, cache: DataCache | None = None) -> Prepared:
    """Load the config's data (shared through ``cache`` by configs that read the same
    dataset for the same task) and draw the folds of every view. The model is built once
    here, so a factory that fails does so before any folder is made or fold fitted."""
    spec = resolve(cfg.model.name, where=f"[model] of {cfg.path}", search_path=cfg.path.parent)
    spec.build(dict(cfg.model.params), 0, cfg.labels)
    cv = _cv_plan(cfg, cache)
    views = [cv]
    if cfg.views.cross_target:
        views.append(_cross_target_plan(cfg, cv))
    if cfg.views.contrast:
        views.append(_contrast_plan(cfg, cv, cache))
    data = [frame_hash(v.frame) for v in views]
    hashes = {
        "config_hash": config_hash(as_dict(cfg, relative_to=None)),
        "data_hash": data[0] if len(data) == 1 else _combine(data),
        "folds_hash": _combine([folds_hash(v.folds, v.frame["id"].to_numpy()) for v in views]),
        "code_hash": code_hash(),
        "files_hash": files_hash(cfg.depends_on),
        "model_fingerprint": sha256_json(
            resolve(cfg.model.name, search_path=cfg.path.parent).fingerprint()
        ),
    }
    return Prepared(cfg, views, hashes)


def _combine(hashes: list[str]) -> str:
    return sha256_json(hashes)


# ------------------------------------------------------------------------------ fitting
def _fit_predict(
    model_name: str,
    params: dict,
    X,
    y,
    train: np.ndarray,
    test: np.ndarray,
    labels: tuple[str, ...],
    random_state: int,
    threads: int | None,
    where: str,
    folder: Path,
) -> FoldResult:
    """One fold: fit on the ``train`` rows of ``X``, predict the ``test`` rows, and the
    scores per label (probabilities when the model has them, else decision values), with
    native thread pools limited to ``threads``. ``X`` and ``y`` are the whole view, so a
    cluster receives them once (scattered) and each task only its row indices."""
    from threadpoolctl import threadpool_limits

    X_train, y_train, X_test = X.iloc[train], y[train], X.iloc[test]
    spec = resolve(model_name, where=where, search_path=folder)
    with threadpool_limits(limits=threads):
        est = spec.build(params, random_state, labels)
        t0 = time.perf_counter()
        try:
            est.fit(X_train, y_train)
            fit_seconds = time.perf_counter() - t0
            head, X_head = _transform_once(est, X_test)
            pred = head.predict(X_head)
            proba = scores = None
            classes = [str(c) for c in getattr(est, "classes_", [])]
            cols = [labels.index(c) for c in classes if c in labels]
            if hasattr(est, "predict_proba") and len(cols) == len(classes):
                proba = np.zeros((len(pred), len(labels)))
                proba[:, cols] = head.predict_proba(X_head)
                scores = proba
            elif hasattr(est, "decision_function") and len(cols) == len(classes):
                dec = np.asarray(head.decision_function(X_head), dtype=np.float64)
                if dec.ndim == 1:  # binary: the score of classes_[1]
                    dec = np.stack([-dec, dec], axis=1)
                scores = np.full((len(pred), len(labels)), np.nan)
                scores[:, cols] = dec
        except ModelError:
            raise
        except Exception as exc:  # a model's own failure: name it, without a traceback
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"model {model_name!r} failed in fit/predict: {text}") from None
    selected = getattr(est, "best_setting_", None)
    return FoldResult(np.asarray(pred).astype(str), proba, scores, fit_seconds, selected)


def _transform_once(est, X):
    """A Pipeline's last step and ``X`` through the steps before it: predictions and
    scores then share one feature transform of the test rows (a Pipeline's own predict,
    predict_proba and decision_function each redo it; the results are the same)."""
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline) and len(est.steps) > 1:
        return est.steps[-1][1], est[:-1].transform(X)
    return est, X


def _calls(cfg: Config, plan: ViewPlan, threads: int | None) -> tuple[list, list]:
    """The fold fits of one view as joblib calls, in fold order, and the data they share
    (for a cluster to receive once, copied to every worker)."""
    from joblib import delayed

    X = plan.frame[["text", "target", "group"]]
    y = plan.frame["label"].to_numpy()
    params = dict(cfg.model.params)
    calls = [
        delayed(_fit_predict)(
            cfg.model.name,
            params,
            X,
            y,
            f.train,
            f.test,
            cfg.labels,
            derived_seed(cfg.seed, f.repeat, f.fold),
            threads,
            f"[model] of {cfg.path}",
            cfg.path.parent,
        )
        for f in plan.folds
    ]
    return calls, [X, y]


def collect(cfg: Config, plan: ViewPlan, results: list[FoldResult], view_index: int) -> ViewResult:
    """Pool a view's folds into Predictions and score them."""
    labels = list(cfg.labels)
    index = {lab: i for i, lab in enumerate(labels)}
    frame = plan.frame
    n = sum(len(f.test) for f in plan.folds)
    rows = np.concatenate([f.test for f in plan.folds]) if n else np.zeros(0, dtype=np.int64)
    pred_str = np.concatenate([r.pred for r in results]) if n else np.zeros(0, dtype=str)
    unknown = sorted(set(pred_str.tolist()) - set(labels))
    if unknown:
        raise ModelError(
            f"{cfg.path}: model {cfg.model.name!r} predicted labels outside the task "
            f"{cfg.task!r}: {', '.join(map(repr, unknown))} (its labels: {', '.join(labels)})"
        )
    pred = np.array([index[p] for p in pred_str], dtype=np.int64)
    has_proba = all(r.proba is not None for r in results)
    has_scores = all(r.scores is not None for r in results)
    preds = Predictions(
        ids=frame["id"].to_numpy()[rows],
        groups=frame["group"].to_numpy()[rows],
        repeat=np.concatenate([np.full(len(f.test), f.repeat) for f in plan.folds]),
        fold=np.concatenate([np.full(len(f.test), f.fold) for f in plan.folds]),
        gold=frame["label"].map(index).to_numpy()[rows],
        pred=pred,
        proba=np.concatenate([r.proba for r in results]) if has_proba else None,  # type: ignore[misc]
        targets=frame["target"].to_numpy()[rows],
    )
    scores = np.concatenate([r.scores for r in results]) if has_scores else None  # type: ignore[misc]
    m = evaluate(
        preds,
        labels,
        cfg.f_avg_labels,
        n_boot=cfg.metrics.bootstrap,
        level=cfg.metrics.ci,
        random_state=derived_seed(cfg.seed, BOOTSTRAP, view_index),
    )
    y = frame["label"].map(index).to_numpy()
    for entry, f, r in zip(m["per_fold"], plan.folds, results, strict=True):
        entry["train_support"] = np.bincount(y[f.train], minlength=len(labels)).tolist()
        if r.selected is not None:
            entry["selected"] = dict(r.selected)
    if "capability" in frame:
        m["capabilities"] = _capabilities(frame, preds, rows, labels)
        m.update(_by_test_type(frame, preds, rows, labels, cfg.f_avg_labels))
    return ViewResult(plan.name, plan, preds, scores, rows, [r.fit_seconds for r in results], m)


def _by_test_type(frame, preds: Predictions, rows, labels: list[str], f_avg_labels) -> dict:
    """Every metric per test type (invariance, directional, mft), and their mean: the
    contrast view's ``balanced`` score. Invariance cases keep their source's label and
    mostly its target, so a model that reads only the target passes them; weighting the
    three types equally keeps them from being half of the score."""
    from bench.metrics import NAMED, _clean, confusions, scores

    kinds, k = np.unique(frame["test_type"].to_numpy()[rows].astype(str), return_inverse=True)
    f_idx = [labels.index(lab) for lab in f_avg_labels]
    cms = confusions(preds.gold, preds.pred, len(labels), k, len(kinds))
    s = scores(cms, f_idx)
    by_type = {str(t): {m: s[m][i] for m in NAMED} for i, t in enumerate(kinds)}
    balanced = {
        m: float(np.mean([by_type[t][m] for t in by_type])) if by_type else None for m in NAMED
    }
    return _clean({"by_test_type": by_type, "balanced": balanced})


def _capabilities(frame, preds: Predictions, rows: np.ndarray, labels: list[str]) -> list[dict]:
    """Failure rate per capability of the contrast suite, with two failing examples."""
    from bench.metrics import proportion_interval

    cap = frame["capability"].to_numpy()[rows]
    kind = frame["test_type"].to_numpy()[rows]
    wrong = preds.pred != preds.gold
    out = []
    for name in sorted(set(cap.tolist())):
        mask = cap == name
        n, k = int(mask.sum()), int(wrong[mask].sum())
        lo, hi = proportion_interval(k, n)
        failing = np.flatnonzero(mask & wrong)[:2]
        out.append(
            {
                "capability": str(name),
                "kind": str(kind[mask][0]),
                "n": n,
                "failures": k,
                "failure_rate": k / n,
                "ci": [lo, hi],
                "examples": [
                    {
                        "id": str(frame["id"].iloc[rows[i]]),
                        "text": str(frame["text"].iloc[rows[i]]),
                        "expected": labels[int(preds.gold[i])],
                        "predicted": labels[int(preds.pred[i])],
                    }
                    for i in failing
                ],
            }
        )
    return out


# ------------------------------------------------------------------------------ a run
def metrics_document(prep: Prepared, views: list[ViewResult], predictions_sha256: str) -> dict:
    """metrics.json: the main view's metrics at the top, the other views under ``views``."""
    cfg = prep.config
    main, *others = views
    doc: dict[str, Any] = {
        "config": cfg.name,
        "model": cfg.model.name,
        "task": cfg.task,
        "primary": cfg.metrics.primary,
        "protocol": main.plan.protocol,
        "data_hash": prep.hashes["data_hash"],
        "config_hash": prep.hashes["config_hash"],
        "folds_hash": prep.hashes["folds_hash"],
        "predictions_sha256": predictions_sha256,
        **main.metrics,
    }
    if others:
        doc["views"] = {v.name: {"protocol": v.plan.protocol, **v.metrics} for v in others}
    return doc


def finish(
    prep: Prepared,
    fitted: list[list[FoldResult]],
    started: datetime,
    wall: float,
    n_jobs: int,
    threads: int | None,
) -> RunOutput:
    """Score every view of a config from its fold results and build what its run folder
    holds."""
    from bench.analysis import misclassified
    from bench.provenance import git_commit, machine, versions
    from bench.runs import predictions_digest, predictions_jsonl

    cfg = prep.config
    results = [
        collect(cfg, plan, f, i) for i, (plan, f) in enumerate(zip(prep.views, fitted, strict=True))
    ]
    labels = list(cfg.labels)
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
            {"test_type": v.plan.frame["test_type"].to_numpy()[v.rows]}
            if "test_type" in v.plan.frame
            else None,
        )
        for v in results
    )
    metrics = metrics_document(prep, results, predictions_digest(jsonl))
    main = results[0]
    manifest = {
        "config": cfg.name,
        "config_path": str(cfg.path),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "fit_seconds": round(sum(sum(v.fit_seconds) for v in results), 4),
        "fit_seconds_per_fold": {v.name: [round(s, 4) for s in v.fit_seconds] for v in results},
        "n_jobs": n_jobs,
        "threads_per_job": threads,
        "versions": versions(),
        "machine": machine(),
        "git_commit": git_commit(cfg.path.parent),
        **prep.hashes,
    }
    wrong = misclassified(main.plan.frame, main.predictions, main.rows, labels)
    return RunOutput(cfg, metrics, manifest, results, jsonl, wrong)


def run_files(out: RunOutput, run_dir: Path) -> dict[str, str]:
    """The text of every file of the run folder."""
    from bench.report import RunData, render_html, render_markdown

    folds = [
        {
            "view": v.name,
            "repeat": f.repeat,
            "fold": f.fold,
            "test_ids": v.plan.frame["id"].iloc[f.test].astype(str).tolist(),
        }
        for v in out.views
        for f in v.plan.folds
    ]
    data = RunData(metrics=out.metrics, manifest=out.manifest, misclassified=out.misclassified)
    return {
        "config.toml": to_toml(out.config, relative_to=run_dir),
        "predictions.jsonl": out.predictions_text,
        "folds.json": dumps_json(folds),
        "metrics.json": dumps_json(out.metrics),
        "manifest.json": dumps_json(out.manifest),
        "misclassified.jsonl": "".join(
            json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in out.misclassified
        ),
        "report.md": render_markdown(data),
        "report.html": render_html(data),
    }


def default_threads(n_jobs: int) -> int:
    """Native (BLAS/OpenMP) threads per fitting job: one, whatever ``n_jobs``. Fold fits
    are small, so more threads gain nothing, and on a busy machine they wait for each
    other (measured: tfidf_logreg_target's folds 52.3 s of fitting with two threads, 4.6 s
    with one); processes (``--n-jobs``) are the parallelism."""
    return 1


@dataclass(frozen=True)
class Backend:
    """Where fold fits run: ``loky`` (local processes, ``n_jobs`` of them) or ``dask``
    (a Dask cluster: ``scheduler`` is its address, e.g. tcp://host:8786)."""

    name: str = "loky"
    scheduler: str | None = None


@contextlib.contextmanager
def _results(calls: list, n_jobs: int, backend: Backend, shared: list) -> Iterator[Iterator]:
    """The results of ``calls`` (joblib ``delayed`` calls) in submission order: from a
    local loky pool of ``n_jobs`` processes, or from a Dask cluster, which receives
    ``shared`` (the objects the calls pass by identity) once, copied to every worker."""
    if backend.name != "dask":
        from joblib import Parallel

        yield _guard(Parallel(n_jobs=n_jobs, return_as="generator")(calls) if calls else [])
        return
    client = _connect(backend)
    try:
        yield _guard(_on_dask(client, calls, shared))
    finally:
        client.close()


# How long a run waits for a Dask cluster without workers to get one.
WORKER_WAIT_S = 60


def _connect(backend: Backend) -> Any:
    """A Dask client of the backend's scheduler (a local cluster without one) that has at
    least one worker."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise RunError(
            "--backend dask needs the dask extra: pip install 'stance-bench[dask]'"
        ) from None
    try:
        client = (
            Client(backend.scheduler, timeout="5s")
            if backend.scheduler
            else Client(silence_logs=logging.CRITICAL)  # a local cluster: its workers' logs
        )
    except OSError as exc:
        raise RunError(
            f"cannot reach the Dask scheduler {backend.scheduler}: {exc}; start it with "
            "`dask scheduler` and check the address"
        ) from None
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except BaseException as exc:
        client.close()
        if not isinstance(exc, Exception):  # Ctrl-C while waiting
            raise
        raise RunError(
            f"the Dask scheduler {backend.scheduler or '(local)'} has no worker after "
            f"{WORKER_WAIT_S} s; start one with `dask worker {backend.scheduler or 'ADDRESS'}`"
        ) from None
    return client


def _on_dask(client: Any, calls: list, shared: list) -> Iterator[FoldResult]:
    """Submit every call to the cluster (never run here, whatever the cluster's size:
    joblib's Dask backend runs the calls in this process when the cluster has one
    thread), then yield the results in submission order."""
    from concurrent.futures import CancelledError

    try:
        scattered = client.scatter(shared, broadcast=True, hash=False) if shared else []
    except (OSError, TimeoutError, CancelledError) as exc:  # workers dying as it is sent
        raise _ClusterLost(f"sending the data failed: {type(exc).__name__}: {exc}") from None
    futures_of = {id(obj): fut for obj, fut in zip(shared, scattered, strict=True)}
    futures = deque(
        client.submit(func, *[futures_of.get(id(a), a) for a in args], pure=False, **kwargs)
        for func, args, kwargs in calls
    )
    while futures:  # each result leaves the cluster's memory once it is here
        yield futures.popleft().result()


class _ClusterLost(Exception):
    """The Dask cluster lost data that pending folds need (every worker holding the
    scattered data died at once); the folds not yet collected can be resubmitted."""


# How many times the folds still pending are resubmitted after the cluster lost their data.
RESUBMITS = 2


def _guard(results: Any) -> Iterator[FoldResult]:
    """Results as they come; a cluster that lost a fold for good (its workers kept dying)
    is one clear error, after the runs already written; a cluster that lost the scattered
    data (all its workers died together) is `_ClusterLost`, for the caller to resubmit."""
    from concurrent.futures import CancelledError

    try:
        yield from results
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":
            raise RunError(
                f"a Dask worker died repeatedly while fitting a fold ({exc}); the run folders "
                "already complete were kept; check the workers' memory and logs, then re-run"
            ) from None
        if isinstance(exc, CancelledError):  # distributed's FutureCancelledError
            raise _ClusterLost(str(exc)) from None
        raise


def run_configs(
    configs: list[Config],
    out: Path,
    *,
    n_jobs: int = 1,
    threads: int | None = None,
    force: bool = False,
    progress: bool = True,
    backend: Backend | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[RunRecord]:
    """Run every config into ``out/<name>/``; complete runs of unchanged configs (same
    config, data, folds, code and dependency files) are reused.

    The fold fits of every config and view form one pool (so many small configs keep
    every worker busy); a config's run folder is written as soon as its last fold is
    in, so an interruption keeps the runs already complete. On a Dask cluster that
    loses the scattered data (every worker holding it died), the folds not yet collected
    are resubmitted, up to ``RESUBMITS`` times, each time saying so through ``warn``."""
    from tqdm.auto import tqdm

    from bench.runs import check_writable, reusable, write_run

    backend = backend or Backend()
    check_writable(out)
    threads = threads or default_threads(n_jobs)
    cache: DataCache = {}
    prepared = [
        prepare(cfg, cache)
        for cfg in tqdm(configs, desc="loading", unit="config", disable=not progress, leave=False)
    ]
    Path(out).mkdir(parents=True, exist_ok=True)  # only once every config has loaded
    todo: list[Prepared] = []
    records: dict[str, RunRecord] = {}
    for prep in prepared:
        run_dir = Path(out) / prep.config.name
        old = None if force else reusable(run_dir, prep.hashes)
        if old is not None:
            records[prep.config.name] = RunRecord(
                prep.config, run_dir, old.metrics, old.manifest, True
            )
        else:
            todo.append(prep)
    calls, owners, scatter = [], [], []
    for ci, prep in enumerate(todo):
        for vi, plan in enumerate(prep.views):
            mine, shared = _calls(prep.config, plan, threads)
            calls += mine
            owners += [(ci, vi)] * len(mine)
            scatter += shared
    left = [sum(len(v.folds) for v in p.views) for p in todo]
    fitted: list[list[list[FoldResult]]] = [[[] for _ in p.views] for p in todo]
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()

    def collect(k: int, result: FoldResult) -> None:
        """Fold result k is in; a config whose last fold this was is written now."""
        ci, vi = owners[k]
        fitted[ci][vi].append(result)
        left[ci] -= 1
        if left[ci] == 0:
            prep = todo[ci]
            bar.set_postfix_str(f"{prep.config.name}: reports")
            output = finish(prep, fitted[ci], started, time.perf_counter() - t0, n_jobs, threads)
            run_dir = Path(out) / prep.config.name
            write_run(run_dir, run_files(output, run_dir))
            records[prep.config.name] = RunRecord(
                prep.config, run_dir, output.metrics, output.manifest
            )
            fitted[ci] = []
            bar.set_postfix_str(f"{len(records)} of {len(configs)} written")

    done = 0
    with tqdm(
        total=len(calls),
        desc="folds",
        unit="fold",
        disable=not progress or not calls,
        leave=False,
    ) as bar:
        for attempt in range(RESUBMITS + 1):
            pending = calls[done:]
            try:
                # no more processes than fits: a single split is fitted here, not in a pool
                with _results(pending, max(1, min(n_jobs, len(pending))), backend, scatter) as rs:
                    for result in rs:
                        collect(done, result)
                        done += 1
                        bar.update(1)
                break
            except _ClusterLost as exc:
                if attempt == RESUBMITS:
                    raise RunError(
                        f"every Dask worker died at once, {attempt + 1} times ({exc}); a fold "
                        "may be killing them; the run folders already complete were kept; "
                        "check the workers' memory and logs, then re-run"
                    ) from None
                if warn is not None:
                    warn(
                        "the Dask cluster lost the data of the pending folds (its workers "
                        f"died); resubmitting the {len(calls) - done} folds not yet collected"
                    )
    return [records[cfg.name] for cfg in configs]
