"""Where fold fits run: local processes (loky, through joblib) or a Dask cluster.

``execute`` takes the fits as joblib ``delayed`` calls and yields their results in
submission order, whatever the backend, so callers never see which one ran them. A Dask
cluster receives the data the calls share once (scattered to every worker) and the calls
themselves by ``client.submit``; when every worker holding that data dies at once, the
calls not yet collected are resubmitted (up to ``RESUBMITS`` times, each time said through
``warn``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.errors import RunError

_UNUSED = r".*tasks have been successfully executed\s+but not used"  # joblib, when stopped early


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

        results = Parallel(n_jobs=n_jobs, return_as="generator")(calls) if calls else iter([])
        try:
            yield _guard(results)
        finally:
            # Stopped early (Ctrl-C, a failed fold): joblib warns on stderr that the tasks
            # it ran ahead "have been successfully executed but not used", beside the one
            # line the CLI prints; closing it here, under a filter, keeps that line alone.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_UNUSED, category=UserWarning)
                close = getattr(results, "close", None)
                if close is not None:
                    close()
        return
    client = _connect(backend)
    try:
        yield _guard(_on_dask(client, calls, shared))
    finally:
        # best effort: closing a client whose cluster just went away can itself fail (a
        # timeout under load, a closed connection), and must not hide what happened
        with contextlib.suppress(Exception):
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


def _on_dask(client: Any, calls: list, shared: list) -> Iterator[Any]:
    """Submit every call to the cluster (never run here, whatever the cluster's size:
    joblib's Dask backend runs the calls in this process when the cluster has one
    thread), then yield the results in submission order.

    A fold's own failure (its task raised, or the scheduler gave it up: ``KilledWorker``)
    is raised as it is. Anything else that goes wrong on the way (sending the data or the
    folds, or collecting a result whose task did not fail) is the cluster's machinery
    failing as its workers die (a lost dependency, a closed connection, a client whose
    scheduler link dropped, in whatever exception distributed words it), so it is
    ``_ClusterLost``: the folds not yet collected are resubmitted on a new connection."""
    try:
        scattered = client.scatter(shared, broadcast=True, hash=False) if shared else []
        futures_of = {id(obj): fut for obj, fut in zip(shared, scattered, strict=True)}
        futures = deque(
            client.submit(func, *[futures_of.get(id(a), a) for a in args], pure=False, **kwargs)
            for func, args, kwargs in calls
        )
    except _MACHINERY as exc:  # workers dying as the data or the folds are sent
        raise _ClusterLost(f"sending the folds failed: {_what(exc)}") from None
    while futures:  # each result leaves the cluster's memory once it is here
        future = futures.popleft()
        try:
            result = future.result()
        except _MACHINERY as exc:
            if future.status == "error":  # the task itself failed: the fold's own error
                raise
            raise _ClusterLost(f"collecting a fold failed: {_what(exc)}") from None
        yield result


# What distributed raises when its connections or workers go away under a call: OSError
# (CommClosedError, StreamClosedError), TimeoutError ("No valid workers found"),
# CancelledError (a future whose data was lost), RuntimeError ("ConnectionPool is
# closed", a client closed after its scheduler link dropped). A TypeError or a pickling
# error (data that cannot be sent) is none of these, and is raised as it is.
_MACHINERY = (OSError, TimeoutError, concurrent.futures.CancelledError, RuntimeError)


def _what(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class WorkerDied(RunError):
    """A local worker process ended while it was fitting: killed by a signal (the OOM
    killer, a user), or by model code that ended its own process (``os._exit``, a crash in
    native code). ``exit_codes`` is what the pool saw, e.g. "{SIGKILL(-9)}"."""

    def __init__(self, exit_codes: str):
        super().__init__(f"a worker process died while fitting (exit codes {exit_codes})")
        self.exit_codes = exit_codes


class _ClusterLost(Exception):
    """The Dask cluster lost data that pending folds need (every worker holding the
    scattered data died at once); the folds not yet collected can be resubmitted."""


# How many times the folds still pending are resubmitted after the cluster lost their data.
RESUBMITS = 2


def _guard(results: Any) -> Iterator[Any]:
    """Results as they come; a cluster that lost a fold for good (its workers kept dying)
    is one clear error, after the runs already written; a cluster that lost the scattered
    data (all its workers died together) is `_ClusterLost`, for the caller to resubmit."""
    import re
    from concurrent.futures import CancelledError

    try:
        yield from results
    except Exception as exc:
        if type(exc).__name__ in ("TerminatedWorkerError", "BrokenProcessPool"):
            codes = re.search(r"exit codes of the workers are (\{.*?\})", str(exc))
            raise WorkerDied(codes.group(1) if codes else "unknown") from None
        if type(exc).__name__ == "KilledWorker":
            raise RunError(
                f"a Dask worker died repeatedly while fitting a fold ({exc}); the run folders "
                "already complete were kept; check the workers' memory and logs, then re-run"
            ) from None
        if isinstance(exc, CancelledError):  # distributed's FutureCancelledError
            raise _ClusterLost(str(exc)) from None
        raise


def execute(
    calls: list,
    n_jobs: int,
    backend: Backend,
    shared: list,
    warn: Callable[[str], None] | None = None,
) -> Iterator[Any]:
    """The results of ``calls`` in submission order, from at most ``n_jobs`` local
    processes (a single call runs in this process) or from the backend's Dask cluster."""
    done = 0
    for attempt in range(RESUBMITS + 1):
        pending = calls[done:]
        try:
            with _results(pending, max(1, min(n_jobs, len(pending))), backend, shared) as rs:
                for result in rs:
                    done += 1
                    yield result
            return
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
