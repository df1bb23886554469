"""Folds on a Dask cluster: byte-identical results, and a worker dying mid-run.

Runs an in-process ``distributed.LocalCluster`` of two worker processes; skipped when the
``[dask]`` extra is not installed.
"""

from __future__ import annotations

import pytest

from bench.cli import main
from tests.conftest import write_base_config

distributed = pytest.importorskip("distributed")

DYING = '''
import os
from pathlib import Path

from sklearn.dummy import DummyClassifier

MARKER = Path({marker!r})


class Dying(DummyClassifier):
    """The first fit anywhere kills its worker process; every later fit is a majority."""

    def fit(self, X, y):
        if not MARKER.exists():
            MARKER.write_text("died once")
            os._exit(1)
        return super().fit(X, y)


def build():
    return Dying(strategy="most_frequent")
'''


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def _config(tmp_path, derived_dir, model: str):
    write_base_config(tmp_path / "_base.toml", derived_dir)
    cfg = tmp_path / "m.toml"
    cfg.write_text(
        f'extends = "_base.toml"\n[model]\nname = "{model}"\n[views]\ncross_target = true\n'
    )
    return cfg


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
def test_a_worker_dying_mid_run_loses_nothing(tmp_path, derived_dir, cluster):
    (tmp_path / "dying.py").write_text(DYING.format(marker=str(tmp_path / "died")))
    cfg = _config(tmp_path, derived_dir, "dying:build")
    args = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "dask"), *args]) == 0
    assert (tmp_path / "died").read_text() == "died once"  # a worker really died
    majority = (
        _config(tmp_path / "m2", derived_dir, "majority")
        if (tmp_path / "m2").mkdir() is None
        else None
    )
    assert main(["run", "-q", str(majority), "--out", str(tmp_path / "local")]) == 0
    got = (tmp_path / "dask" / "m" / "predictions.jsonl").read_text()
    want = (tmp_path / "local" / "m" / "predictions.jsonl").read_text()
    assert got == want  # the lost fold was retried on the other worker


def test_unreachable_scheduler_is_one_line(tmp_path, derived_dir, capsys):
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
