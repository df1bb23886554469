"""Local fits: worker processes and this one, results in submission order."""

from __future__ import annotations

import os
import time

import pytest
from joblib import delayed

from bench.backends import Backend, execute, warm_up


def where(i: int, seconds: float = 0.0) -> tuple[int, int]:
    time.sleep(seconds)
    return i, os.getpid()


def mark(path: str) -> None:
    with open(path, "a") as f:
        f.write(f"{os.getpid()}\n")


def fail(i: int) -> None:
    raise ValueError(f"call {i} failed")


def test_results_come_in_order_from_the_workers_and_this_process():
    calls = [delayed(where)(i, 0.05) for i in range(12)]
    got = list(execute(calls, 2, Backend(), []))
    assert [i for i, _ in got] == list(range(12))
    pids = {pid for _, pid in got}
    assert os.getpid() in pids and len(pids) == 2  # this process fitted some, a worker others


def test_one_process_or_one_call_runs_here():
    for jobs, n in ((1, 3), (4, 1)):
        got = list(execute([delayed(where)(i) for i in range(n)], jobs, Backend(), []))
        assert got == [(i, os.getpid()) for i in range(n)]


def test_a_failing_call_raises_and_the_next_run_still_works():
    calls = [delayed(where)(0, 0.05), delayed(fail)(1), *[delayed(where)(i) for i in range(2, 6)]]
    with pytest.raises(ValueError, match="call 1 failed"):
        list(execute(calls, 2, Backend(), []))
    got = list(execute([delayed(where)(i, 0.02) for i in range(4)], 2, Backend(), []))
    assert [i for i, _ in got] == [0, 1, 2, 3]


def test_warm_up_starts_the_worker_the_run_then_uses(tmp_path):
    warm_up(2, Backend(), delayed(mark)(str(tmp_path / "warm")))
    got = list(execute([delayed(where)(i, 0.05) for i in range(6)], 2, Backend(), []))
    workers = {pid for _, pid in got} - {os.getpid()}
    assert [i for i, _ in got] == list(range(6)) and len(workers) == 1
    assert (tmp_path / "warm").read_text().split() == [str(p) for p in workers]
    warm_up(2, Backend("dask"), delayed(mark)(str(tmp_path / "dask")))
    warm_up(1, Backend(), delayed(mark)(str(tmp_path / "one")))
    assert not (tmp_path / "dask").exists() and not (tmp_path / "one").exists()


def test_two_calls_on_two_processes_run_side_by_side():
    # a sweep's group cut in two: one half in a worker, the other here, at the same time
    # (a worker given both could not hand the second back)
    warm_up(2, Backend(), delayed(where)(-1, 0.3))  # the worker busy starting up
    got = list(execute([delayed(where)(i, 0.2) for i in range(2)], 2, Backend(), []))
    assert [i for i, _ in got] == [0, 1]
    assert got[1][1] == os.getpid() and got[0][1] != os.getpid()


def test_isolated_calls_run_in_the_workers_only():
    # plug-in fits: code that may end its process runs in n_jobs workers, never here
    calls = [delayed(where)(i, 0.02) for i in range(7)]
    got = list(execute(calls, 2, Backend(), [], isolate=True))
    assert [i for i, _ in got] == list(range(7))
    pids = {pid for _, pid in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


LEAK = """
from bench.backends import _workers
from joblib.externals.loky.backend import resource_tracker

_workers(2).submit(int, 1).result()
resource_tracker.register("/loky-stance-bench-test-leak", "semlock")  # left for the tracker
"""


def test_the_resource_tracker_cleans_up_a_left_semaphore_without_a_word_on_stderr():
    """What a worker killed after a fold's timeout leaves: a semaphore registered with
    loky's resource tracker. The tracker cleans it up as the process exits; its warnings
    (two lines) must not join the CLI's one line on stderr."""
    import subprocess
    import sys

    from tests.conftest import REPO

    out = subprocess.run(
        [sys.executable, "-c", LEAK], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


def test_loky_manager_thread_races_at_shutdown_print_nothing(monkeypatch):
    """Seen about once in four runs of a plug-in raising with folds queued: loky's manager
    thread died of a KeyError during shutdown and printed a traceback beside the run's
    one-line error. Any other thread's exception still reaches the hook before it."""
    import threading

    from bench.backends import _quiet_manager_thread

    told: list[tuple[str, type]] = []
    monkeypatch.setattr(threading, "excepthook", lambda a: told.append((a.thread.name, a.exc_type)))

    def dies(exc):
        def run():
            raise exc

        return run

    with _quiet_manager_thread():
        for name, exc in (("ExecutorManagerThread", KeyError(7)), ("other", ValueError("x"))):
            t = threading.Thread(target=dies(exc), name=name)
            t.start()
            t.join()
    assert told == [("other", ValueError)]
