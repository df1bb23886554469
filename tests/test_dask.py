"""Folds on a Dask cluster: byte-identical results, and a worker dying mid-run.

Runs an in-process ``distributed.LocalCluster`` of two worker processes; skipped when the
``[dask]`` extra is not installed.
"""

from __future__ import annotations

import pytest

from bench.backends import LOOPBACK_ANY_PORT
from bench.cli import main
from tests.conftest import write_base_config

distributed = pytest.importorskip("distributed")

DYING = '''
import os
import time
from pathlib import Path

from sklearn.dummy import DummyClassifier

MARKS = [Path(p) for p in {marks!r}]  # one death each; empty: every fit dies
TOGETHER = {together!r}  # the deaths wait for each other, so the workers die at once


def _claim(mark):
    try:  # atomic: of two workers that try at once, exactly one wins the mark
        os.close(os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class Dying(DummyClassifier):
    """A fit that claims a mark kills its worker process; later fits are a majority."""

    def fit(self, X, y):
        if not MARKS:
            os._exit(1)
        for mark in MARKS:
            if _claim(mark):
                deadline = time.monotonic() + 120  # a loaded machine starts workers slowly
                while TOGETHER and time.monotonic() < deadline:
                    if all(m.exists() for m in MARKS):
                        break
                    time.sleep(0.02)
                os._exit(1)
        return super().fit(X, y)


def build():
    return Dying(strategy="most_frequent")
'''


def _local_cluster(n_workers: int = 2):
    """A cluster of worker processes with one thread each, in this test process."""
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=LOOPBACK_ANY_PORT,
    )


@pytest.fixture(scope="module")
def cluster():
    """Two workers shared by the tests below, some of which kill one. A LocalCluster drops
    a worker for good (closes its nanny) when it has not come back within the
    lost-worker timeout, 15 s by default: on a loaded machine a restart can take longer,
    and the next test then found one worker, or none ("has no worker after 60 s"). Here
    a killed worker is always waited for."""
    import dask

    with dask.config.set({"distributed.deploy.lost-worker-timeout": "600s"}), _local_cluster() as c:
        yield c


def _config(tmp_path, derived_dir, model: str):
    write_base_config(tmp_path / "_base.toml", derived_dir)
    cfg = tmp_path / "m.toml"
    cfg.write_text(
        f'extends = "_base.toml"\n[model]\nname = "{model}"\n[views]\ncross_target = true\n'
    )
    return cfg


def _dying(tmp_path, derived_dir, marks: list[str], *, together: bool = False):
    """A config whose model kills a worker once per mark (every fit if no marks)."""
    paths = [str(tmp_path / m) for m in marks]
    (tmp_path / "dying.py").write_text(DYING.format(marks=paths, together=together))
    return _config(tmp_path, derived_dir, "dying:build")


def _majority_predictions(tmp_path, derived_dir) -> str:
    (tmp_path / "majority").mkdir()
    cfg = _config(tmp_path / "majority", derived_dir, "majority")
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "local")]) == 0
    return (tmp_path / "local" / "m" / "predictions.jsonl").read_text()


@pytest.mark.slow
def test_dask_backend_writes_the_same_bytes_as_local(tmp_path, derived_dir, cluster):
    cfg = _config(tmp_path, derived_dir, "cue_lexicon")
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "local")]) == 0
    args = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "dask"), *args]) == 0
    for name in ("metrics.json", "predictions.jsonl", "folds.json"):
        local = (tmp_path / "local" / "m" / name).read_bytes()
        assert (tmp_path / "dask" / "m" / name).read_bytes() == local, name


@pytest.mark.slow
def test_text_models_sharing_features_on_dask_write_the_same_bytes(tmp_path, derived_dir, cluster):
    # the fits of a fold share one task, whose data (two views' frames) is scattered
    svm = _config(tmp_path, derived_dir, "tfidf_svm")
    logreg = tmp_path / "logreg.toml"
    logreg.write_text(svm.read_text().replace('"tfidf_svm"', '"tfidf_logreg"'))
    assert main(["run", "-q", str(svm), str(logreg), "--out", str(tmp_path / "local")]) == 0
    args = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main(["run", "-q", str(svm), str(logreg), "--out", str(tmp_path / "dask"), *args]) == 0
    for run in ("m", "logreg"):
        for name in ("metrics.json", "predictions.jsonl"):
            local = (tmp_path / "local" / run / name).read_bytes()
            assert (tmp_path / "dask" / run / name).read_bytes() == local, (run, name)


@pytest.mark.slow
def test_a_worker_dying_mid_run_loses_nothing(tmp_path, derived_dir, cluster):
    cfg = _dying(tmp_path, derived_dir, ["died"])
    args = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "dask"), *args]) == 0
    assert (tmp_path / "died").exists()  # a worker really died
    got = (tmp_path / "dask" / "m" / "predictions.jsonl").read_text()
    assert got == _majority_predictions(tmp_path, derived_dir)  # its fold was retried


@pytest.mark.slow
def test_every_worker_dying_at_once_resubmits_the_pending_folds(
    tmp_path, derived_dir, cluster, capsys
):
    # both workers die together: the scattered data is lost with them, so the folds not yet
    # collected are resubmitted (data scattered again) to the restarted workers. Both must
    # be up first (an earlier test killed one; on a loaded machine its restart can still be
    # under way): with one, the data would be on it alone and the deaths not simultaneous,
    # two losses of the data, two warnings (seen under load before this wait)
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=120)
    cfg = _dying(tmp_path, derived_dir, ["died-a", "died-b"], together=True)
    args = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "dask"), *args]) == 0
    assert (tmp_path / "died-a").exists() and (tmp_path / "died-b").exists()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("stance-bench")]
    assert len(err) == 1 and err[0].startswith("stance-bench: warning: the Dask cluster lost")
    got = (tmp_path / "dask" / "m" / "predictions.jsonl").read_text()
    assert got == _majority_predictions(tmp_path, derived_dir)


class _Future:
    """A distributed Future as ``bench.backends`` sees it: ``result()`` and ``status``."""

    def __init__(self, value=None, error: BaseException | None = None, status="finished"):
        self.value, self.error, self.status = value, error, status

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class _Client:
    """A client of a cluster whose machinery fails where ``fail`` says, for the first
    ``times`` connections; each connection is a new client, as after a reconnect."""

    made = 0

    def __init__(self, fail, error, times, status="cancelled", close_fails=True):
        self.fail, self.error, self.times, self.status = fail, error, times, status
        self.close_fails = close_fails
        type(self).made += 1
        self.n = type(self).made

    def _failing(self, where: str) -> bool:
        return self.fail == where and self.n <= self.times

    def scatter(self, data, **kw):
        if self._failing("scatter"):
            raise self.error
        return [_Future(d) for d in data]

    def submit(self, func, *args, pure=True, **kw):
        if self._failing("submit"):
            raise self.error
        if self._failing("result"):
            return _Future(error=self.error, status=self.status)
        return _Future(func(*[a.value if isinstance(a, _Future) else a for a in args], **kw))

    def close(self):
        if self.close_fails and self.n <= self.times:  # its cluster went away: this fails too
            raise RuntimeError("ConnectionPool is closed")


POOL_CLOSED = RuntimeError("ConnectionPool is closed")


@pytest.mark.parametrize(
    "fail, error",
    [
        ("scatter", POOL_CLOSED),
        ("submit", POOL_CLOSED),
        ("result", POOL_CLOSED),
        ("scatter", TimeoutError("No valid workers found")),
        ("result", OSError("Stream is closed")),
    ],
)
@pytest.mark.parametrize("times", [1, 3])
def test_the_cluster_machinery_failing_is_resubmitted_then_one_line(
    monkeypatch, fail, error, times
):
    """However distributed words a cluster going away under a call (a closed connection
    pool, no worker, a closed stream), the folds not yet collected are resubmitted on a new
    connection, and after RESUBMITS times it is one RunError, never a traceback."""
    import bench.backends as b
    from bench.errors import RunError

    monkeypatch.setattr(_Client, "made", 0)
    monkeypatch.setattr(b, "_connect", lambda backend: _Client(fail, error, times))
    calls = [(lambda x, i=i: (i, len(x)), ([1, 2],), {}) for i in range(4)]
    warnings: list[str] = []
    run = b.execute(calls, 1, b.Backend("dask", "tcp://x"), [calls[0][1][0]], warnings.append)
    if times <= b.RESUBMITS:
        assert list(run) == [(i, 2) for i in range(4)]
        assert len(warnings) == times and "resubmitting the 4 folds" in warnings[0]
    else:
        with pytest.raises(RunError, match=r"every Dask worker died at once, 3 times") as got:
            list(run)
        assert "ConnectionPool" in str(got.value) or type(error).__name__ in str(got.value)
        assert len(warnings) == b.RESUBMITS


def test_a_folds_own_error_on_the_cluster_is_raised_as_it_is(monkeypatch):
    """A task that failed (status "error") is the fold's failure, even when the model's
    exception is a RuntimeError: not resubmitted, not called a lost cluster."""
    import bench.backends as b

    own = RuntimeError("the model's own error")
    monkeypatch.setattr(b, "_connect", lambda backend: _Client("result", own, 9, "error", False))
    warnings: list[str] = []
    run = b.execute([(len, ([1],), {})], 1, b.Backend("dask", "tcp://x"), [], warnings.append)
    with pytest.raises(RuntimeError, match="the model's own error"):
        list(run)
    assert warnings == []


@pytest.mark.slow
def test_a_fold_that_keeps_killing_workers_is_one_clear_error(tmp_path, derived_dir, capsys):
    import dask

    cfg = _dying(tmp_path, derived_dir, [])  # every fit kills its worker
    # a task is given up after its first killed worker (the default retries it 3 times)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        _local_cluster() as c,
    ):
        args = ["--backend", "dask", "--scheduler", c.scheduler_address]
        code = main(["run", "-q", str(cfg), "--out", str(tmp_path / "dask"), *args])
    assert code == 2
    err = capsys.readouterr().err
    ours = [ln for ln in err.splitlines() if ln.startswith("stance-bench")]
    assert ours and ours[-1].startswith("stance-bench: error: ") and "Traceback" not in err
    assert "check the workers' memory and logs, then re-run" in ours[-1]
    assert not (tmp_path / "dask" / "m").exists()  # no half-written run


PIDS = """
import os

from sklearn.dummy import DummyClassifier


class Where(DummyClassifier):
    def fit(self, X, y):
        with open({log!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        return super().fit(X, y)


def build():
    return Where(strategy="most_frequent")
"""


@pytest.mark.slow
def test_a_one_thread_cluster_still_fits_on_the_cluster(tmp_path, derived_dir):
    # joblib's Dask backend runs every call in the client process when the cluster has a
    # single thread; the folds must go to the worker whatever the cluster's size
    import os

    (tmp_path / "where.py").write_text(PIDS.format(log=str(tmp_path / "pids")))
    cfg = _config(tmp_path, derived_dir, "where:build")
    with _local_cluster(n_workers=1) as c:
        args = ["--backend", "dask", "--scheduler", c.scheduler_address]
        assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "o"), *args]) == 0
    pids = set((tmp_path / "pids").read_text().split())
    assert len(pids) == 1 and str(os.getpid()) not in pids


def test_a_scheduler_without_workers_is_one_line(tmp_path, derived_dir, capsys, monkeypatch):
    import bench.backends

    monkeypatch.setattr(bench.backends, "WORKER_WAIT_S", 1)
    cfg = _config(tmp_path, derived_dir, "majority")
    with _local_cluster(n_workers=0) as c:
        args = ["--backend", "dask", "--scheduler", c.scheduler_address]
        assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"stance-bench: error: the Dask scheduler {c.scheduler_address} has no worker after "
        f"1 s; start one with `dask worker {c.scheduler_address}`"
    )
    assert not (tmp_path / "o" / "m").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, derived_dir, capsys, monkeypatch):
    import bench.backends

    monkeypatch.setattr(bench.backends, "CONNECT_WAIT_S", 0.5)
    cfg = _config(tmp_path, derived_dir, "majority")
    code = main(
        [
            "run",
            "-q",
            str(cfg),
            "--out",
            str(tmp_path / "o"),
            "--backend",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:1",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("stance-bench: error: cannot reach the Dask scheduler") and "\n" not in err
    )
