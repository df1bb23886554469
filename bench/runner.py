"""Config -> data -> views -> fit/predict -> scored views, for every config of a run.

``prepare`` loads a config's data and draws the folds of its views (``bench.views``);
``run`` fits every fold of every prepared config in one pool (``bench.backends``) and
yields each config's ``RunOutput`` as soon as its last fold is in. Nothing here writes a
file: ``bench.runs`` turns a RunOutput into the run folder's files.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.backends import Backend, execute
from bench.config import Config, as_dict
from bench.errors import FoldError, ModelError, ProtocolError, shown, shown_path
from bench.io import sha256_json
from bench.metrics import (
    NO_ANSWER,
    Predictions,
    answer_counts,
    by_test_type,
    capabilities,
    evaluate,
)
from bench.models import BUILTIN, resolve
from bench.models.answering import Answers, add_usage
from bench.models.plugins import plugin_code
from bench.models.registry import FitContext
from bench.protocol import derived_seed, folds_hash
from bench.provenance import code_hash, config_hash, files_hash, frame_hash
from bench.views import DataCache, ViewPlan, plan_views

if TYPE_CHECKING:
    from bench.runs import ViewMetrics

# Seeds: folds of repeat r use derived_seed(seed, r); the model of (repeat r, fold f) gets
# derived_seed(seed, r, f); the bootstrap of view v uses derived_seed(seed, BOOTSTRAP, v).
# BOOTSTRAP exceeds any repeat index the schema allows, so the streams never coincide.
BOOTSTRAP = 7919
# Native (BLAS/OpenMP) threads per fitting job. Fold fits are small, so more threads gain
# nothing, and on a busy machine they wait for each other (measured: tfidf_logreg_target's
# folds 52.3 s of fitting with two threads, 4.6 s with one); processes (--n-jobs) are the
# parallelism.
DEFAULT_THREADS = 1


@dataclass(frozen=True)
class Prepared:
    """A config with its data loaded and its folds drawn, view by view; ``trained``
    false for a zero-shot model (``bench.views.zero_shot``)."""

    config: Config
    views: list[ViewPlan]
    hashes: dict[str, str]  # config, data, folds, code, files: what reuse depends on
    absent: dict[str, str] = field(default_factory=dict)  # views the data has not, and why
    labels: tuple[str, ...] = ()  # the run's labels (bench.views.plan_views); () = config's
    trained: bool = True

    @property
    def run_labels(self) -> tuple[str, ...]:
        return self.labels or self.config.labels


@dataclass(frozen=True)
class FoldResult:
    pred: np.ndarray  # label strings
    proba: np.ndarray | None
    scores: np.ndarray | None
    fit_seconds: float
    selected: dict[str, Any] | None = None  # the setting a selecting model chose
    answers: Answers | None = None  # a model that answers (may abstain, keeps a log)
    warned: tuple[str, ...] = ()  # the fit's convergence warnings (told once per config)


@dataclass(frozen=True)
class ViewResult:
    """One view scored: its pooled predictions and its part of metrics.json."""

    name: str
    plan: ViewPlan
    predictions: Predictions
    scores: np.ndarray | None  # per prediction and label: probabilities or decision values
    rows: np.ndarray  # the plan.frame row of each prediction
    fit_seconds: list[float]
    metrics: ViewMetrics
    reasons: np.ndarray | None = None  # per prediction: "" or why the model abstained
    records: list[dict[str, Any]] = field(default_factory=list)  # responses.jsonl lines
    usage: dict[str, float] = field(default_factory=dict)  # request totals of its folds


@dataclass(frozen=True)
class RunOutput:
    """Everything a run folder holds, computed; ``bench.runs.run_documents`` gives its texts."""

    prepared: Prepared
    views: list[ViewResult]
    started: datetime
    wall_seconds: float
    n_jobs: int
    threads: int
    misclassified: list[dict[str, Any]] = field(default_factory=list)

    @property
    def config(self) -> Config:
        return self.prepared.config


# ------------------------------------------------------------------------------ prepare
def prepare(cfg: Config, cache: DataCache | None = None) -> Prepared:
    """Load the config's data (shared through ``cache`` by configs that read the same
    dataset for the same task) and draw the folds of every view. The model is built once
    here, so a factory that fails does so before any folder is made or fold fitted; a
    model that answers from a file checks there that it answers every item
    (``check_items``)."""
    from bench.items import planned

    spec = resolve(cfg.model.name, where=f"[model] of {cfg.path}", search_path=cfg.plugins)
    params = dict(cfg.model.params)
    trained = spec.trained(params)
    est = spec.build(params, 0, cfg.labels, FitContext())
    plan_ = plan_views(cfg, cache, trained=trained)
    views = plan_.views
    missing = [lab for lab in cfg.f_avg_labels if lab not in plan_.labels]
    if missing and (cfg.metrics.f_avg_labels or not cfg.f_avg_over(plan_.labels)):
        raise ProtocolError(
            f"{cfg.path}: the {'[test]' if cfg.test else '[dataset]'} data holds no "
            f"{', '.join(map(repr, missing))}, which "
            f"F_avg averages over (its labels: {', '.join(plan_.labels)}); set "
            "f_avg_labels in [metrics] to labels it has"
        )
    check_items = getattr(est, "check_items", None)
    if callable(check_items):
        check_items(planned(views, trained))
    data = [frame_hash(v.frame) for v in views]
    hashes = {
        "config_hash": config_hash(as_dict(cfg, root=None)),
        "data_hash": data[0] if len(data) == 1 else sha256_json(data),
        "folds_hash": sha256_json([folds_hash(v.folds, v.frame["id"].to_numpy()) for v in views]),
        "code_hash": code_hash(),
        "files_hash": files_hash(cfg.depends_on),
        "model_fingerprint": sha256_json(spec.fingerprint()),
    }
    return Prepared(cfg, views, hashes, plan_.absent, plan_.labels, trained)


def plan(
    cfg: Config, cache: DataCache | None = None
) -> tuple[bool, list[ViewPlan], tuple[str, ...]]:
    """Whether the config's model trains per fold, its views planned accordingly, and the
    run's labels (what ``stance-bench items`` exports; nothing is built or checked)."""
    spec = resolve(cfg.model.name, where=f"[model] of {cfg.path}", search_path=cfg.plugins)
    trained = spec.trained(dict(cfg.model.params))
    planned = plan_views(cfg, cache, trained=trained)
    return trained, planned.views, planned.labels


# ------------------------------------------------------------------------------ fitting
# Probabilities may miss [0, 1] and a row's sum may miss 1 by this much (float rounding).
PROBA_TOLERANCE = 1e-6


class FoldTimeout(BaseException):
    """A fold ran past its config's ``timeout`` (a BaseException, so that a model's own
    ``except Exception`` cannot swallow it)."""


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise FoldTimeout in the block after ``seconds`` (a real-time timer, in the main
    thread of the process fitting the fold: a local process or this one; a Dask worker
    fits in threads, where no timer can interrupt)."""
    import signal
    import threading

    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise FoldTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _tracked(tracker: str | None, index: int) -> Iterator[None]:
    """While a fold fits in a worker process, a file ``<tracker>/<index>`` holds the
    worker's pid: when a worker dies (killed, or the model ended the process), the folds
    whose file is left and whose process is gone are the ones it was fitting."""
    import os

    if tracker is None:
        yield
        return
    mark = Path(tracker) / str(index)
    with contextlib.suppress(OSError):  # without it, only a dead worker's message is vaguer
        mark.write_text(str(os.getpid()), encoding="ascii")
    try:
        yield
    finally:  # not run when the process ends in the block: the file stays
        mark.unlink(missing_ok=True)


def _shape(a: np.ndarray) -> str:
    return "a single value" if a.ndim == 0 else f"an array of shape {a.shape}"


def validate_output(
    who: str,
    n_test: int,
    labels: Sequence[str],
    pred,
    *,
    classes: Sequence[str] = (),
    proba=None,
    decision=None,
    fit_seconds: float = 0.0,
    selected: dict[str, Any] | None = None,
    answers: Answers | None = None,
) -> FoldResult:
    """A model's output on one fold's ``n_test`` test rows, checked once, as a FoldResult:
    ``pred`` one label of ``labels`` per row; ``proba`` (predict_proba) and ``decision``
    (decision_function) per row and class of ``classes`` (a model's ``classes_``), the
    probabilities finite, in [0, 1] and summing to 1 per row (within PROBA_TOLERANCE).
    A model that answers gives ``answers`` instead (``pred`` its labels, None where it
    abstained): one answer and one reason per row, scores per row and label of the task.
    Every model's folds pass through here; ``who`` (config and fold) leads the message
    of a FoldError."""
    if answers is not None:
        pred = np.array([a or "" for a in answers.labels], dtype=object)
        if len(pred) != n_test or len(answers.reasons) != n_test:
            raise FoldError(
                f"{who}: the model answered {len(pred)} items ({len(answers.reasons)} "
                f"reasons) for {n_test} test rows; it must answer (or abstain on) each row"
            )
        answered = np.array([r == "" for r in answers.reasons], dtype=bool)
    pred = np.asarray(pred)
    if pred.ndim != 1 or len(pred) != n_test:
        raise FoldError(
            f"{who}: predict returned {_shape(pred)} for {n_test} test rows; a model must "
            f"return one label per row (a 1-D array of {n_test})"
        )
    pred = pred.astype(str)
    if answers is None:
        answered = np.ones(n_test, dtype=bool)
    unknown = sorted(set(pred[answered].tolist()) - set(labels))
    if unknown:
        raise FoldError(
            f"{who}: predict returned labels outside the task: "
            f"{', '.join(shown(u, 40) for u in unknown[:5])} (its labels: {', '.join(labels)})"
        )
    L = len(labels)
    cols = [list(labels).index(c) for c in classes if c in labels]
    out_proba = scores = None
    if proba is not None:
        p = np.asarray(proba, dtype=np.float64)
        if p.shape != (n_test, len(classes)):
            raise FoldError(
                f"{who}: predict_proba returned {_shape(p)} for {n_test} test rows and "
                f"{len(classes)} classes; probabilities must be one row of {len(classes)} "
                "per test row"
            )
        bad = ~np.isfinite(p).all(axis=1)
        low = (p < -PROBA_TOLERANCE).any(axis=1) | (p > 1 + PROBA_TOLERANCE).any(axis=1)
        sums = p.sum(axis=1)
        off = np.abs(sums - 1) > PROBA_TOLERANCE
        for rows, why in (
            (bad, "probabilities that are NaN or infinite"),
            (low, "probabilities outside [0, 1]"),
            (off, "probabilities whose row does not sum to 1"),
        ):
            if rows.any():
                first = int(np.flatnonzero(rows)[0])
                raise FoldError(
                    f"{who}: predict_proba returned {why} ({int(rows.sum())} of {n_test} "
                    f"rows; test row {first}: {np.round(p[first], 4).tolist()}, sum "
                    f"{sums[first]:.4g}); a model must return probabilities, not scores"
                )
        out_proba = np.zeros((n_test, L))
        out_proba[:, cols] = p
        scores = out_proba
    elif decision is not None:
        d = np.asarray(decision, dtype=np.float64)
        if d.ndim == 1 and len(classes) == 2:  # binary: the score of classes[1]
            d = np.stack([-d, d], axis=1)
        if d.shape != (n_test, len(classes)):
            raise FoldError(
                f"{who}: decision_function returned {_shape(d)} for {n_test} test rows and "
                f"{len(classes)} classes; it must return one row of scores per test row"
            )
        if not np.isfinite(d).all():
            raise FoldError(f"{who}: decision_function returned NaN or infinite scores")
        scores = np.full((n_test, L), np.nan)
        scores[:, cols] = d
    if answers is not None:
        if answers.scores is not None and np.shape(answers.scores) != (n_test, L):
            raise FoldError(
                f"{who}: the model's answer scores have shape {np.shape(answers.scores)}; "
                f"they must be one row of {L} per test row"
            )
        return FoldResult(pred, None, answers.scores, fit_seconds, answers=answers)
    return FoldResult(pred, out_proba, scores, fit_seconds, selected)


def fit_predict(
    model_name: str,
    params: dict,
    X,
    y,
    train: np.ndarray,
    test: np.ndarray,
    labels: tuple[str, ...],
    random_state: int,
    threads: int,
    where: str,
    folder: Path,
    fold: str = "",
    timeout: float | None = None,
    tracker: tuple[str, int] | None = None,
    context: FitContext | None = None,
) -> FoldResult:
    """One fold: fit on the ``train`` rows of ``X``, predict the ``test`` rows, and the
    scores per label (probabilities when the model has them, else decision values), with
    native thread pools limited to ``threads``. ``X`` and ``y`` are the whole view, so a
    cluster receives them once (scattered) and each task only its row indices.

    ``where`` is the config file and ``fold`` the fold ("view cv, repeat 0, fold 2"): every
    failure of the model here (an exception, an exit, output of the wrong shape, more than
    ``timeout`` seconds) is one FoldError naming them. ``tracker`` (a folder and this
    fold's index) marks the fold while it fits in a worker process. A model that answers
    (``bench.models.answering``) gives its ``Answers`` instead of predictions.

    ``fit_seconds`` is what the fit took plus what the features it reused from another
    fit of its task took to compute (``bench.models.shared``): a model's fit time is the
    same whether or not another model computed its features first."""
    from bench.models.shared import current

    who = f"{where}, {fold}" if fold else where
    X_train, y_train, X_test = X.iloc[train], y[train], X.iloc[test]
    cache = current()
    with _tracked(*(tracker or (None, 0))), _thread_limits(threads):
        spec = resolve(model_name, where=f"[model] of {where}", search_path=folder)
        est = spec.build(params, random_state, labels, context)
        proba = decision = answers = None
        classes: list[str] = []
        try:
            with (
                _deadline(timeout),
                plugin_code(f"{who}: model {model_name!r}"),
                _lean_sklearn(model_name, params),
                _convergence_warnings() as warned,
            ):
                reused = cache.reused_seconds if cache is not None else 0.0
                t0 = time.perf_counter()
                est.fit(X_train, y_train)
                fit_seconds = time.perf_counter() - t0
                if cache is not None:
                    fit_seconds += cache.reused_seconds - reused
                if callable(getattr(est, "answer", None)):
                    answers = est.answer(X_test)
                    pred = answers.labels
                else:
                    head, X_head = _transform_once(est, X_test)
                    pred = head.predict(X_head)
                    classes = [str(c) for c in getattr(est, "classes_", [])]
                    known = bool(classes) and all(c in labels for c in classes)
                    if hasattr(est, "predict_proba") and known:
                        proba = head.predict_proba(X_head)
                    elif hasattr(est, "decision_function") and known:
                        decision = head.decision_function(X_head)
        except ModelError as exc:  # an exit (plugin_code), or a model's own wording
            text = str(exc)
            raise FoldError(text if text.startswith(who) else f"{who}: {text}") from None
        except FoldTimeout:
            raise FoldError(
                f"{who}: model {model_name!r} ran longer than timeout = {timeout:g} s (the "
                "config's limit per fold); raise it, or find what hangs with --n-jobs 1"
            ) from None
        except Exception as exc:  # a model's own failure: name it, without a traceback
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FoldError(
                f"{who}: model {model_name!r} failed in fit/predict: {shown(text, 160)[1:-1]}"
            ) from None
        result = validate_output(
            who,
            len(test),
            labels,
            pred,
            classes=classes,
            proba=proba,
            decision=decision,
            fit_seconds=fit_seconds,
            selected=getattr(est, "best_setting_", None),
            answers=answers,
        )
        return replace(result, warned=tuple(warned)) if warned else result


@contextlib.contextmanager
def _convergence_warnings() -> Iterator[list[str]]:
    """The messages of the ConvergenceWarnings (scikit-learn's: liblinear, lbfgs) raised
    in the block, kept instead of printed: a sweep of small C printed dozens of such
    blocks, naming no config or fold; ``_collect`` tells them once per config. Every other
    warning is issued again as it came."""
    import warnings

    kept: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield kept
    for w in seen:
        if w.category.__name__ == "ConvergenceWarning":
            text = str(w.message).strip().splitlines()
            kept.append(text[0] if text else w.category.__name__)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def warm(models: list[tuple[str, dict, str, Path | None]]) -> None:
    """Import what fitting ``models`` (name, params, where, folder) needs: build each once,
    in a worker process that starts before the fits are sent (``bench.backends.warm_up``).
    A model that fails to build fails again, with its message, where it is fitted (a
    text model's build imports its features, ``bench.models.tfidf``)."""
    for name, params, where, folder in models:
        with contextlib.suppress(Exception):
            resolve(name, where=where, search_path=folder).build(params, 0, None)


def in_process(cfg: Config) -> bool:
    """Whether this process may run the config's model code itself (warm workers with it,
    fit its folds beside the workers): stance-bench's own models, named by their
    registered name. A plug-in (``module:factory``) runs only in worker processes and only
    inside a fold's guard (``fit_predict``), so a plug-in that ends its process
    (``os._exit``, a crash, the OOM killer) ends a worker, whose fold the run names."""
    return ":" not in cfg.model.name


def warm_call(configs: list[Config]):
    """``warm`` of the distinct models of ``configs``, as a joblib call; None when a
    config's model is a plug-in (``in_process``): nothing runs its code before its folds,
    and the run's workers start with the run."""
    from joblib import delayed

    if not all(in_process(cfg) for cfg in configs):
        return None
    models: dict[str, tuple[str, dict, str, Path | None]] = {}
    for cfg in configs:
        params = dict(cfg.model.params)
        key = repr((cfg.model.name, sorted(params.items(), key=str), str(cfg.plugins)))
        where = f"[model] of {shown_path(cfg.path)}"
        models.setdefault(key, (cfg.model.name, params, where, cfg.plugins))
    return delayed(warm)(list(models.values()))


_CONTROLLER: list = []  # (modules loaded when it looked, the ThreadpoolController)


def _thread_limits(threads: int):
    """threadpoolctl's ``threadpool_limits(limits=threads)``, with the native libraries
    looked up again only when modules were imported since the last look (the look reads
    every loaded library, which took longer than fitting a small fold)."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER or _CONTROLLER[0][0] != len(sys.modules):
        _CONTROLLER[:] = [(len(sys.modules), ThreadpoolController())]
    return _CONTROLLER[0][1].limit(limits=threads)


def _lean_sklearn(model_name: str, params: dict):
    """scikit-learn's ``config_context(skip_parameter_validation=True)`` while a fold of
    one of stance-bench's own models (``BUILTIN``) fits and predicts: their parameters were
    checked against the registry's constraints when the config was loaded, so
    scikit-learn's own check of them, a few per cent of a small fold's fit, finds nothing
    (the results are the same). Input checks (finite values, shapes) stay on. Plug-in code
    (``module:factory``, a model a plug-in registered, or one that inner_cv's ``model``
    names) keeps every check."""
    sklearn = sys.modules.get("sklearn")
    inner = params.get("model")
    if (
        sklearn is None
        or model_name not in BUILTIN
        or (isinstance(inner, str) and inner not in BUILTIN)
    ):
        return contextlib.nullcontext()
    return sklearn.config_context(skip_parameter_validation=True)


def _transform_once(est, X):
    """A Pipeline's last step and ``X`` through the steps before it: predictions and
    scores then share one feature transform of the test rows (a Pipeline's own predict,
    predict_proba and decision_function each redo it; the results are the same). A model
    that is a Pipeline has imported scikit-learn's; any other imports none here."""
    pipeline = sys.modules.get("sklearn.pipeline")
    if pipeline is not None and isinstance(est, pipeline.Pipeline) and len(est.steps) > 1:
        return est.steps[-1][1], est[:-1].transform(X)
    return est, X


def fold_label(plan: ViewPlan, repeat: int, fold: int) -> str:
    """How messages name a fold: "view cv, repeat 0, fold 2"."""
    return f"view {plan.name}, repeat {repeat}, fold {fold}"


@dataclass(frozen=True)
class FoldFit:
    """One fold fit of a task: the model, and its rows in the task's data (``x`` and
    ``y`` are positions in it: the view's frame and labels); ``where`` (the config as
    shown) and ``fold`` (``fold_label``) name it in messages, ``timeout`` is its config's
    limit, and ``index`` its place among every fit of the run (its tracker file)."""

    model: str
    params: dict
    x: int
    y: int
    train: np.ndarray
    test: np.ndarray
    labels: tuple[str, ...]
    random_state: int
    where: str
    folder: Path
    context: FitContext
    fold: str = ""
    timeout: float | None = None
    index: int = 0


def fit_group(
    fits: list[FoldFit],
    threads: int,
    *data,
    folder: str | None = None,
    tracker: str | None = None,
) -> list[FoldResult]:
    """Fold fits in one process, in order, sharing their fitted features
    (``bench.models.shared``): a task of the pool. Each fit is one ``fit_predict``, with
    its own fold's guard: its timeout, its tracker file in ``tracker`` (the folder of a run
    on local workers) and its name in any error. ``data`` are the frames and label arrays
    the fits index, passed as arguments so a cluster receives them once; ``folder`` shares
    the features with the other local processes (the other half of a group cut in two)."""
    from bench.models.shared import sharing

    with sharing(folder=None if folder is None else Path(folder)):
        return [
            fit_predict(
                f.model,
                f.params,
                data[f.x],
                data[f.y],
                f.train,
                f.test,
                f.labels,
                f.random_state,
                threads,
                f.where,
                f.folder,
                f.fold,
                f.timeout,
                None if tracker is None else (tracker, f.index),
                f.context,
            )
            for f in fits
        ]


@dataclass
class _Task:
    fits: list[FoldFit]
    owners: list[tuple[int, int, int]]  # (config, view, fold) of each fit
    data: list  # the objects FoldFit.x / FoldFit.y point at
    cut: bool = False  # one half of a group: shares its features through a folder
    here: bool = True  # this process may fit it (``in_process``), beside the workers


def _row_hashes(X) -> np.ndarray:
    """A 64-bit hash per row of what the text features read (to group fits, not as a
    cache key: ``bench.models.shared`` keys by SHA-256 of the values)."""
    import pandas as pd

    return pd.util.hash_pandas_object(X[["text", "target"]], index=False).to_numpy()


def _tasks(todo: list[Prepared], n_jobs: int, runs: Path | None = None) -> tuple[list[_Task], list]:
    """The fold fits of every config and view as tasks, and the data they share (for a
    cluster to receive once, copied to every worker); ``runs`` is the runs folder (models
    that keep a cache there). A view that coincides with another has no fits. The fits of
    text models on the same training and test rows (models and sweep points on the same
    fold) form one task, so one process fits each TF-IDF part they have in common once for
    them all (``bench.models.shared``); every other fit is a task of its own. Tasks come
    in the order of their first fit; while there are fewer tasks than ``n_jobs``, the
    largest is cut in two (on local processes, the halves share the features through a
    folder, so they are computed once; on a cluster each half computes them). Each fit
    keeps its own fold's name, timeout and index (``FoldFit``), whatever task it is in."""
    from bench.models.features import shares_features

    shared: list = []
    tasks: list[_Task] = []
    by_key: dict[tuple, _Task] = {}
    hashes: dict[int, np.ndarray] = {}
    index = 0
    for ci, prep in enumerate(todo):
        cfg = prep.config
        spec = resolve(cfg.model.name, where=f"[model] of {cfg.path}", search_path=cfg.plugins)
        params = dict(cfg.model.params)
        text = shares_features(spec.factory)
        here = in_process(cfg)
        for vi, plan in enumerate(prep.views):
            if plan.same_as is not None:  # a zero-shot view that is another's: nothing to fit
                continue
            X = plan.frame[["text", "target", "group", "id"]]
            y = plan.frame["label"].to_numpy()
            shared += [X, y]
            x_at, y_at = len(shared) - 2, len(shared) - 1
            if text and id(plan.frame) not in hashes:
                hashes[id(plan.frame)] = _row_hashes(X)
            for fi, f in enumerate(plan.folds):
                fit = FoldFit(
                    cfg.model.name,
                    params,
                    x_at,
                    y_at,
                    f.train,
                    f.test,
                    prep.run_labels,
                    derived_seed(cfg.seed, f.repeat, f.fold),
                    shown_path(cfg.path),
                    cfg.plugins,
                    FitContext(plan.name, f.repeat, f.fold, runs),
                    fold_label(plan, f.repeat, f.fold),
                    cfg.timeout,
                    index,
                )
                index += 1
                key = None
                if text:
                    rows = hashes[id(plan.frame)]
                    key = (rows[f.train].tobytes(), rows[f.test].tobytes())
                task = by_key.get(key) if key is not None else None
                if task is None:
                    task = _Task([], [], [])
                    tasks.append(task)
                    if key is not None:
                        by_key[key] = task
                task.here = task.here and here  # a plug-in among its fits: workers only
                task.fits.append(fit)
                task.owners.append((ci, vi, fi))
    while len(tasks) < n_jobs and max((len(t.fits) for t in tasks), default=0) > 1:
        big = max(range(len(tasks)), key=lambda i: len(tasks[i].fits))
        t = tasks[big]  # every other fit: a sweep's cheap and dear points in both halves
        tasks[big : big + 1] = [
            _Task(t.fits[0::2], t.owners[0::2], [], True, t.here),
            _Task(t.fits[1::2], t.owners[1::2], [], True, t.here),
        ]
    for task in tasks:  # each task carries only the data of its own fits
        at: dict[int, int] = {}
        fits = []
        for fit in task.fits:
            for pos in (fit.x, fit.y):
                at.setdefault(pos, len(at))
            fits.append(replace(fit, x=at[fit.x], y=at[fit.y]))
        task.fits = fits
        task.data = [shared[pos] for pos in at]
    return tasks, shared


# ------------------------------------------------------------------------------ scoring
def score_view(
    cfg: Config,
    plan: ViewPlan,
    results: list[FoldResult],
    view_index: int,
    run_labels: tuple[str, ...] | None = None,
) -> ViewResult:
    """Pool a view's folds into Predictions and score them (over ``run_labels``, the run's;
    default: the config's). A model's abstentions are errors (``NO_ANSWER``) or, under the
    ``drop`` policy, left out of the scores; the view's ``answers`` counts them either way."""
    labels = list(run_labels or cfg.labels)
    index = {lab: i for i, lab in enumerate(labels)}
    frame = plan.frame
    n = sum(len(f.test) for f in plan.folds)
    rows = np.concatenate([f.test for f in plan.folds]) if n else np.zeros(0, dtype=np.int64)
    pred_str = np.concatenate([r.pred for r in results]) if n else np.zeros(0, dtype=str)
    answering = [r.answers for r in results if r.answers is not None]
    reasons = None
    if answering:
        reasons = np.concatenate([np.asarray(a.reasons, dtype=object) for a in answering])
        reasons = reasons.astype(str) if n else np.zeros(0, dtype=str)
    answered = reasons == "" if reasons is not None else np.ones(n, dtype=bool)
    pred = np.array(
        [index[p] if ok else NO_ANSWER for p, ok in zip(pred_str, answered, strict=True)],
        dtype=np.int64,
    )
    gold_all = frame["label"].map(index).to_numpy()[rows]
    policy = answering[0].policy if answering else "wrong"
    keep = answered if policy == "drop" else np.ones(n, dtype=bool)
    if n and not keep.any():
        raise ModelError(
            f"{cfg.path}: model {cfg.model.name!r} answered none of the {n} items of view "
            f'{plan.name!r}: nothing to score (abstain = "drop"); see its answers'
        )
    has_proba = all(r.proba is not None for r in results)
    has_scores = all(r.scores is not None for r in results)
    repeat = np.concatenate([np.full(len(f.test), f.repeat) for f in plan.folds]) if n else rows
    fold = np.concatenate([np.full(len(f.test), f.fold) for f in plan.folds]) if n else rows
    kept = rows[keep]
    preds = Predictions(
        ids=frame["id"].to_numpy()[kept],
        groups=frame["group"].to_numpy()[kept],
        repeat=repeat[keep],
        fold=fold[keep],
        gold=gold_all[keep],
        pred=pred[keep],
        proba=np.concatenate([r.proba for r in results])[keep] if has_proba else None,  # type: ignore[misc]
        targets=frame["target"].to_numpy()[kept],
        test_type=frame["test_type"].to_numpy()[kept].astype(str) if "test_type" in frame else None,
        articles=frame["article"].to_numpy()[kept].astype(str) if "article" in frame else None,
    )
    scores = np.concatenate([r.scores for r in results])[keep] if has_scores else None  # type: ignore[misc]
    f_avg = cfg.f_avg_over(labels)
    m = evaluate(
        preds,
        labels,
        f_avg,
        n_boot=cfg.metrics.bootstrap,
        level=cfg.metrics.ci,
        random_state=derived_seed(cfg.seed, BOOTSTRAP, view_index),
    )
    y = frame["label"].map(index).to_numpy()
    by_fold = {(e["repeat"], e["fold"]): e for e in m["per_fold"]}
    for f, r in zip(plan.folds, results, strict=True):
        entry = by_fold.get((f.repeat, f.fold))
        if entry is None:  # every answer of the fold dropped
            continue
        if len(f.train):
            entry["train_support"] = np.bincount(y[f.train], minlength=len(labels)).tolist()
        if r.selected is not None:
            entry["selected"] = dict(r.selected)
    if reasons is not None:
        m["answers"] = answer_counts(gold_all, reasons, policy, len(labels))  # type: ignore[typeddict-item]
    if "capability" in frame:
        m["capabilities"] = capabilities(
            frame.iloc[kept][["id", "text", "capability", "test_type"]], preds, labels
        )
        m.update(by_test_type(preds, labels, f_avg))  # type: ignore[typeddict-item]
    records: list[dict[str, Any]] = []
    usage: dict[str, float] = {}
    if answering:
        ids = frame["id"].to_numpy()[rows].astype(str)
        k = 0
        for f, a in zip(plan.folds, answering, strict=True):
            for rec in a.records:
                where = {"view": plan.name, "repeat": f.repeat, "fold": f.fold, "id": ids[k]}
                records.append({**where, **rec})
                k += 1
            usage = add_usage(usage, a.usage)
    return ViewResult(
        plan.name,
        plan,
        preds,
        scores,
        kept,
        [r.fit_seconds for r in results],
        m,
        reasons[keep] if reasons is not None else None,
        records,
        usage,
    )


def _coinciding(plan: ViewPlan, of: ViewResult) -> ViewResult:
    """A zero-shot view whose items are another view's: that view's predictions and
    scores, under its own name."""
    metrics: ViewMetrics = {**of.metrics, "same_as": of.name}
    return ViewResult(
        plan.name,
        plan,
        of.predictions,
        of.scores,
        of.rows,
        [],
        metrics,
        of.reasons,  # type: ignore[arg-type]
    )


def finish(
    prep: Prepared,
    fitted: list[list[FoldResult]],
    started: datetime,
    wall: float,
    n_jobs: int,
    threads: int,
) -> RunOutput:
    """Score every view of a config from its fold results."""
    from bench.analysis import misclassified

    cfg = prep.config
    results: list[ViewResult] = []
    for i, (plan, f) in enumerate(zip(prep.views, fitted, strict=True)):
        if plan.same_as is not None:
            results.append(_coinciding(plan, next(r for r in results if r.name == plan.same_as)))
        else:
            results.append(score_view(cfg, plan, f, i, prep.run_labels))
    main = results[0]
    wrong = misclassified(main.plan.frame, main.predictions, main.rows, list(prep.run_labels))
    return RunOutput(prep, results, started, wall, n_jobs, threads, wrong)


# ------------------------------------------------------------------------------ a run
def run(
    todo: list[Prepared],
    *,
    n_jobs: int = 1,
    threads: int | None = None,
    backend: Backend | None = None,
    warn: Callable[[str], None] | None = None,
    on_fold: Callable[[], None] | None = None,
    runs: Path | None = None,
) -> Iterator[RunOutput]:
    """Fit every fold of every prepared config and yield each config's RunOutput as soon
    as its last fold is in (so a caller that writes them keeps the complete ones when
    interrupted). The fold fits of every config and view form one pool of tasks, so many
    small configs keep every worker busy; fits that compute the same features share a task
    (see ``_tasks``), each fit still guarded as its own fold (``fit_predict``). ``on_fold``
    is called after each fold (progress); ``runs`` is the runs folder the outputs go to
    (models that keep a cache there)."""
    import shutil

    from joblib import delayed

    from bench.io import temp_dir

    threads = threads or DEFAULT_THREADS
    backend = backend or Backend()
    tasks, scatter = _tasks(todo, n_jobs, runs)
    local = backend.name != "dask" and min(n_jobs, len(tasks)) > 1
    folders: list[Path] = []
    try:
        # folds fitted by local processes are marked while they fit (see _tracked)
        tracker = temp_dir("folds") if local else None
        marks = {} if tracker is None else {"tracker": str(tracker)}
        folders += [tracker] if tracker is not None else []
        spill: dict[str, str] = {}  # the folder the halves of cut groups share features in
        if local and any(t.cut for t in tasks):
            folders.append(temp_dir("features"))
            spill["folder"] = str(folders[-1])
        calls = [
            delayed(fit_group)(t.fits, threads, *t.data, **(spill if t.cut else {}), **marks)
            for t in tasks
        ]
        yield from _collect(
            todo, tasks, calls, scatter, n_jobs, threads, backend, warn, on_fold, tracker
        )
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _collect(
    todo: list[Prepared],
    tasks: list[_Task],
    calls: list,
    scatter: list,
    n_jobs: int,
    threads: int,
    backend: Backend,
    warn: Callable[[str], None] | None,
    on_fold: Callable[[], None] | None,
    tracker: Path | None,
) -> Iterator[RunOutput]:
    """``run``'s results, as each config's last fold is in; a local worker that died is
    one FoldError naming the fold(s) it was fitting (``_dead_worker``)."""
    from bench.backends import WorkerDied

    names: list[tuple[str, str]] = [("", "")] * sum(len(t.fits) for t in tasks)
    for t in tasks:
        for f in t.fits:
            names[f.index] = (f.where, f.fold)
    isolate = not all(t.here for t in tasks)
    left = [count_folds([p]) for p in todo]
    fitted: list[list[list[FoldResult | None]]] = [
        [[None] * len(v.folds) for v in p.views] for p in todo
    ]
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        for k, results in enumerate(execute(calls, n_jobs, backend, scatter, warn, isolate)):
            for (ci, vi, fi), result in zip(tasks[k].owners, results, strict=True):
                fitted[ci][vi][fi] = result
                left[ci] -= 1
                if on_fold is not None:
                    on_fold()
                if left[ci] == 0:
                    done = [[r for r in view if r is not None] for view in fitted[ci]]
                    if warn is not None:
                        _tell_warnings(todo[ci].config, done, warn)
                    wall = time.perf_counter() - t0
                    output = finish(todo[ci], done, started, wall, n_jobs, threads)
                    fitted[ci] = []
                    yield output
    except WorkerDied as exc:
        raise FoldError(_dead_worker(exc, tracker, names)) from None


def _tell_warnings(cfg: Config, done: list[list[FoldResult]], warn: Callable[[str], None]) -> None:
    """One line for a config whose fold fits warned that they did not converge."""
    warned = [r.warned for view in done for r in view if r.warned]
    if warned:
        total = sum(len(view) for view in done)
        warn(
            f"{shown_path(cfg.path)}: {len(warned)} of {total} fold fits did not converge "
            f"({shown(warned[0][0], 120)[1:-1]}); its scores are those of the unconverged "
            "fits"
        )


def _dead_worker(exc, tracker: Path | None, names: list[tuple[str, str]]) -> str:
    """One line for a worker process that died: the fold(s) it was fitting (their tracker
    files are left, see ``_tracked``; when workers died together, each of theirs), what
    ended it, and how to find out more."""
    import re

    left = sorted(int(p.name) for p in tracker.iterdir() if p.name.isdigit()) if tracker else []
    by_config: dict[str, list[str]] = {}
    for i in left[:4]:
        if i < len(names):
            by_config.setdefault(names[i][0], []).append(names[i][1])
    folds = "; ".join(f"{path}, {_either(labels)}" for path, labels in by_config.items())
    if not folds:
        what = "a worker process died while fitting a fold"
    elif len(left) == 1:
        what = f"{folds}: the worker process fitting it died"
    else:
        what = f"{folds}: the worker processes fitting them died"
    code = re.search(r"[A-Z]+\((-?\d+)\)", exc.exit_codes)
    how = (
        f"killed by {exc.exit_codes.strip('{}')}: the OOM killer, someone, or the model"
        if code and int(code.group(1)) < 0
        else f"it exited ({exc.exit_codes.strip('{}')}): the model ended the process, e.g. os._exit"
    )
    return (
        f"{what} ({how}); completed run folders were kept; re-run with --n-jobs 1 to see "
        "the model's own error, or with fewer jobs if memory ran out"
    )


def _either(labels: list[str]) -> str:
    """Fold labels joined, their common beginning said once: "view cv, repeat 0, fold 0
    or fold 2"."""
    if len(labels) == 1:
        return labels[0]
    head = labels[0].rpartition(", ")[0]
    if head and all(lab.rpartition(", ")[0] == head for lab in labels):
        return f"{head}, " + " or ".join(lab.rpartition(", ")[2] for lab in labels)
    return " or ".join(labels)


def count_folds(todo: list[Prepared]) -> int:
    """The fold fits of ``todo`` (a view that coincides with another has none)."""
    return sum(len(v.folds) for p in todo for v in p.views if v.same_as is None)
