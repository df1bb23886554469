"""Where fold fits run: local processes (this one and loky workers) or a Dask cluster.

``execute`` takes the fits as joblib ``delayed`` calls and yields their results in
submission order, whatever the backend, so callers never see which one ran them. Locally,
``n_jobs`` processes fit: ``n_jobs - 1`` loky workers take the calls in order, and this
process, whenever it waits for the next result, takes the next call not yet sent to a
worker (it has everything imported already, and would be idle otherwise); calls that run
code which may end its process (a plug-in model: ``isolate``) go to ``n_jobs`` workers
only, so that what ends is a worker, which the caller can name, never the run. A Dask
cluster receives the data the calls share once (scattered to every worker) and the calls
themselves by ``client.submit``; when every worker holding that data dies at once, the
calls not yet collected are resubmitted (up to ``RESUBMITS`` times, each time said through
``warn``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from bench.errors import RunError


@dataclass(frozen=True)
class Backend:
    """Where fold fits run: ``loky`` (local processes, ``n_jobs`` of them) or ``dask``
    (a Dask cluster: ``scheduler`` is its address, e.g. tcp://host:8786)."""

    name: str = "loky"
    scheduler: str | None = None


@contextlib.contextmanager
def _results(
    calls: list, n_jobs: int, backend: Backend, shared: list, isolate: bool = False
) -> Iterator[Iterator]:
    """The results of ``calls`` (joblib ``delayed`` calls) in submission order: from
    ``n_jobs`` local processes (see ``_local``), or from a Dask cluster, which receives
    ``shared`` (the objects the calls pass by identity) once, copied to every worker."""
    if backend.name != "dask":
        results = _local(calls, n_jobs, isolate)
        try:
            yield _guard(results)
        finally:  # stopped early (Ctrl-C, a failed fold): the workers' fits are moot
            results.close()
        return
    client = _connect(backend)
    try:
        yield _guard(_on_dask(client, calls, shared))
    finally:
        # best effort: closing a client whose cluster just went away can itself fail (a
        # timeout under load, a closed connection), and must not hide what happened
        with contextlib.suppress(Exception):
            client.close()


# Native thread pools of a worker, as joblib sets them for its loky workers: the cores
# shared among the processes, unless the environment says otherwise (fits also limit
# them while they run: bench.runner).
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


# loky's resource tracker (a process of its own, started with the first executor) warns
# on stderr when semaphores of killed workers are left for it to clean up, which it then
# does: after a fold that timed out, or Ctrl-C, those lines came beside the CLI's one line
# (seen under load, though the pool is shut down first). The tracker reads the filter from
# its environment, set before it starts.
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"


def _quiet_resource_tracker() -> None:
    current = os.environ.get("PYTHONWARNINGS", "")
    if QUIET_TRACKER not in current.split(","):
        os.environ["PYTHONWARNINGS"] = ",".join(x for x in (current, QUIET_TRACKER) if x)


def _workers(n_jobs: int, workers: int | None = None) -> Any:
    """The loky executor of the worker processes of a run of ``n_jobs`` processes:
    ``workers`` of them, by default ``n_jobs - 1``, that fit beside this one (reused from
    call to call while its parameters stay the same)."""
    from joblib.externals.loky import get_reusable_executor

    _quiet_resource_tracker()

    threads = str(max((os.cpu_count() or 1) // n_jobs, 1))
    env = {var: os.environ.get(var, threads) for var in THREAD_VARS}
    size = n_jobs - 1 if workers is None else workers
    return get_reusable_executor(max_workers=size, timeout=300, env=env)


def warm_up(n_jobs: int, backend: Backend, call: Any) -> None:
    """Start the local worker processes now, each running ``call`` (a joblib ``delayed``
    call that imports what the fits will need), so that their start overlaps the caller's
    own work (loading configs and data) instead of delaying their first fit; ``execute``
    reuses them. Nothing happens for Dask or a single process; a failure here is left for
    the fits to meet."""
    if backend.name == "dask" or n_jobs < 2:
        return
    executor = _workers(n_jobs)
    func, args, kwargs = call
    for _ in range(n_jobs - 1):
        executor.submit(func, *args, **kwargs)


# Calls queued per worker while many are left. This process tops the workers up only
# between its own fits, so a worker with too few queued waits for its next call: with two,
# a worker of the default benchmark waited about a fifth of the fitting window, with four
# about a sixth (`perf/phases.py`, its per-process table); deeper queues leave this
# process waiting at the end for calls a worker holds.
QUEUED_PER_WORKER = 4


def _local(calls: list, n_jobs: int, isolate: bool = False) -> Generator[Any, None, None]:
    """The results of ``calls`` in submission order, from ``n_jobs - 1`` worker processes
    and this one. Calls go to the workers in order, no more at a time than keep them busy
    (``QUEUED_PER_WORKER`` each while more than two per process are left, then one each: a
    call sent to a worker can no longer be taken back); while the next result is not in,
    this process fits the next call not yet sent. So two calls on two processes run side
    by side, one here, one in a worker. With ``isolate``, this process fits none:
    ``n_jobs`` workers fit them all (code that may end its process, ``os._exit`` or a
    crash, then ends a worker, not the run).
    """
    if n_jobs < 2:
        for func, args, kwargs in calls:
            yield func(*args, **kwargs)
        return
    workers = n_jobs if isolate else n_jobs - 1
    executor = _workers(n_jobs, workers)
    futures: dict[int, Any] = {}  # sent to a worker, not yet yielded
    here: dict[int, Any] = {}  # fitted in this process, not yet yielded
    sent = 0  # calls before it went to a worker or were fitted here
    try:
        for i in range(len(calls)):
            while True:
                busy = sum(not f.done() for f in futures.values())
                depth = QUEUED_PER_WORKER if len(calls) - sent > 2 * n_jobs else 1
                while sent < len(calls) and busy < depth * workers:
                    func, args, kwargs = calls[sent]
                    futures[sent] = executor.submit(func, *args, **kwargs)
                    sent, busy = sent + 1, busy + 1
                if i in here:
                    yield here.pop(i)
                    break
                if i in futures and (futures[i].done() or sent == len(calls)):
                    yield futures.pop(i).result()
                    break
                if isolate:  # every worker busy: wait for one, to send it the next call
                    running = [f for f in futures.values() if not f.done()]
                    concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                    continue
                func, args, kwargs = calls[sent]  # the workers are busy: fit it here
                here[sent] = func(*args, **kwargs)
                sent += 1
    except BaseException:  # a failed fit, Ctrl-C, or a caller that stopped reading
        # fits still running or queued are moot: the pool fails the queued ones itself and
        # ends its workers (no future is cancelled here first: loky's shutdown then sets
        # an exception on a cancelled future, its manager thread dies of InvalidStateError
        # on stderr, and the workers outlive the run until their idle timeout, minutes);
        # waiting for the pool lets it release its semaphores, which loky's resource
        # tracker otherwise cleans up (and, but for QUIET_TRACKER, reports on stderr) as
        # this process exits
        with _quiet_manager_thread():
            executor.shutdown(wait=True, kill_workers=True)
        raise


@contextlib.contextmanager
def _quiet_manager_thread() -> Iterator[None]:
    """Keep loky's manager thread from printing a traceback while a pool with queued
    calls is shut down: it can race the shutdown's clearing of its pending calls and die
    of a KeyError (seen about once in four runs of a plug-in that raises with folds
    queued). The workers are ended all the same; the run's own error is the one line."""
    import threading

    previous = threading.excepthook

    def hook(args) -> None:
        name = args.thread.name if args.thread is not None else ""
        races = (KeyError, concurrent.futures.InvalidStateError)
        if name == "ExecutorManagerThread" and issubclass(args.exc_type, races):
            return
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


# Where a local cluster's scheduler serves HTTP: loopback only, any free port (":0" would
# listen on every interface; None still takes 8787).
LOOPBACK_ANY_PORT = "127.0.0.1:0"
# How long a run waits for a Dask cluster without workers to get one.
WORKER_WAIT_S = 60
# How long a run tries to connect to a Dask scheduler (distributed retries a refused
# connection until then).
CONNECT_WAIT_S = 5


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
            Client(backend.scheduler, timeout=f"{CONNECT_WAIT_S}s")
            if backend.scheduler
            # a local cluster, without its workers' logs; its scheduler's HTTP server
            # (dashboard, metrics) on a free loopback port: runs at once fought over 8787
            else Client(silence_logs=logging.CRITICAL, dashboard_address=LOOPBACK_ANY_PORT)
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
    isolate: bool = False,
) -> Iterator[Any]:
    """The results of ``calls`` in submission order, from at most ``n_jobs`` local
    processes (this one among them, unless ``isolate``: see ``_local``; a single call runs
    here) or from the backend's Dask cluster."""
    done = 0
    for attempt in range(RESUBMITS + 1):
        pending = calls[done:]
        jobs = max(1, min(n_jobs, len(pending)))
        try:
            with _results(pending, jobs, backend, shared, isolate) as rs:
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
