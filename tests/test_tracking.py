"""Experiment trackers (bench.tracking): `run --dvc` checked with the real dvc command,
`run --mlflow` with a temporary sqlite store read back through mlflow.search_runs."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.runs import load_run
from tests.conftest import write_base_config

CONFIGS = ("cue_lexicon", "majority")


@pytest.fixture(scope="module")
def project(tmp_path_factory, derived_dir):
    """A git repository with two fast configs, run once with --dvc."""
    root = tmp_path_factory.mktemp("tracked")
    (root / "configs").mkdir()
    base = write_base_config(root / "configs" / "_base.toml", derived_dir, seed=5)
    base.write_text(base.read_text() + "[views]\ncross_target = true\ncontrast = true\n")
    for name in CONFIGS:
        (root / "configs" / f"{name}.toml").write_text(
            f'extends = "_base.toml"\n[model]\nname = "{name}"\n'
        )
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert main(["run", "configs", "-q", "--dvc", "--n-jobs", "1"]) == 0
    finally:
        os.chdir(cwd)
    return root


def _metrics(project, name):
    return json.loads((project / "runs" / name / "metrics.json").read_text())


def test_confusion_pairs_count_what_metrics_json_counts(project):
    for name in CONFIGS:
        text = (project / "runs" / ".confusion" / f"{name}.csv").read_text()
        header, *rows = text.splitlines()
        doc = _metrics(project, name)
        labels = doc["labels"]
        counts = np.zeros((len(labels), len(labels)), dtype=int)
        for row in rows:
            actual, predicted = row.split(",")
            counts[labels.index(actual), labels.index(predicted)] += 1
        assert header == "actual,predicted" and len(rows) == doc["n_predictions"]
        assert counts.tolist() == doc["confusion_matrix"]


def test_dvc_yaml_lists_every_run_of_the_folder(project):
    cwd = Path.cwd()
    os.chdir(project)
    try:  # one config run again: the other run folder stays listed, with its plot
        assert main(["run", "configs/majority.toml", "-q", "--dvc", "--n-jobs", "1"]) == 0
    finally:
        os.chdir(cwd)
    text = (project / "runs" / "dvc.yaml").read_text()
    for name in CONFIGS:
        assert f'  - "{name}/metrics.json"\n' in text and f'  - "{name}/config.toml"\n' in text
        assert f'  - ".confusion/{name}.csv":\n' in text
        assert (project / "runs" / ".confusion" / f"{name}.csv").is_file()
    assert text.count("template: confusion") == len(CONFIGS)


DVC = Path(sys.executable).parent / "dvc"
needs_dvc = pytest.mark.skipif(
    not DVC.is_file(), reason="dvc is not installed (pip install '.[dvc]' brings it)"
)


def _dvc(repo: Path, *args: str) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(
        [str(DVC), *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@needs_dvc
def test_dvc_reads_the_runs_metrics_params_and_confusion_plots(project, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(project, repo)
    _git(repo, "init", "-q")
    _dvc(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "runs")

    shown = json.loads(_dvc(repo, "metrics", "show", "--json"))
    (workspace,) = shown.values()
    files = workspace["data"]
    for name in CONFIGS:
        data = files[f"runs/{name}/metrics.json"]["data"]
        doc = _metrics(repo, name)
        assert data["pooled"] == doc["pooled"]
        assert data["views"]["cross_target"]["pooled"] == doc["views"]["cross_target"]["pooled"]
        assert "ci" not in data  # DVC shows scalars: the [low, high] intervals are left out

    plots = json.loads(_dvc(repo, "plots", "show", "--json"))["data"]
    for name in CONFIGS:
        (plot,) = plots[f"runs/.confusion/{name}.csv"]
        values = plot["content"]["data"]["values"]
        doc = _metrics(repo, name)
        labels = doc["labels"]
        counts = np.zeros((len(labels), len(labels)), dtype=int)
        for v in values:
            counts[labels.index(v["actual"]), labels.index(v["predicted"])] += 1
        assert counts.tolist() == doc["confusion_matrix"]
        assert plot["content"]["title"]["text"] == f"{name}: confusion (cv, every repeat)"

    # a changed config shows in params diff against the committed runs
    config = repo / "runs" / "majority" / "config.toml"
    config.write_text(config.read_text().replace("seed = 5", "seed = 6"))
    diff = json.loads(_dvc(repo, "params", "diff", "--json"))
    assert diff == {"runs/majority/config.toml": {"seed": {"old": 5, "new": 6, "diff": 1}}}
    assert json.loads(_dvc(repo, "metrics", "diff", "--json")) == {}  # metrics unchanged


@pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None,
    reason="mlflow is not installed (pip install '.[mlflow]' or '.[test]' brings it)",
)
def test_mlflow_logs_one_run_per_config_and_view(project, tmp_path, capsys):
    import mlflow

    from bench import tracking

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    runs = [load_run(project / "runs" / name) for name in CONFIGS]
    logged = tracking.log_mlflow(uri, runs, "bench-test")
    views = ("cv", "cross_target", "contrast")
    assert sorted((x.config, x.view) for x in logged) == sorted(
        (c, v) for c in CONFIGS for v in views
    )
    assert all(x.new for x in logged)

    mlflow.set_tracking_uri(uri)
    frame = mlflow.search_runs(experiment_names=["bench-test"])
    assert len(frame) == len(CONFIGS) * len(views)
    for _, row in frame.iterrows():
        name, view = row["tags.stance-bench.config"], row["tags.stance-bench.view"]
        doc = _metrics(project, name)
        part = doc if view == "cv" else doc["views"][view]
        assert row["tags.mlflow.runName"] == f"{name}/{view}"
        assert row["metrics.macro_f1"] == pytest.approx(part["pooled"]["macro_f1"])
        low, high = part["ci"]["macro_f1"]
        assert (row["metrics.macro_f1_ci_low"], row["metrics.macro_f1_ci_high"]) == (
            pytest.approx(low),
            pytest.approx(high),
        )
        assert row["metrics.n_predictions"] == part["n_predictions"]
        assert row["params.model.name"] == name and row["params.seed"] == "5"
        assert row["params.protocol.n_repeats"] == "2"
        artifacts = {f.path for f in mlflow.MlflowClient(uri).list_artifacts(row["run_id"])}
        assert {"report.md", "report.html", "metrics.json", "config.toml"} <= artifacts
    assert (tmp_path / "mlartifacts").is_dir()  # beside the database, not in the cwd

    # the same results again are not logged twice; the CLI says so
    assert not any(x.new for x in tracking.log_mlflow(uri, runs, "bench-test"))
    cwd = Path.cwd()
    os.chdir(project)
    try:
        capsys.readouterr()
        args = ["run", "configs", "-q", "--mlflow", uri, "--mlflow-experiment", "bench-test"]
        assert main(args) == 0
    finally:
        os.chdir(cwd)
    assert "0 run(s) logged" in capsys.readouterr().out
    assert len(mlflow.search_runs(experiment_names=["bench-test"])) == len(frame)


def test_mlflow_missing_is_one_line_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    out = tmp_path / "runs"
    assert main(["run", "no-such-configs", "--out", str(out), "--mlflow", "sqlite:///x.db"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'stance-bench[mlflow]'" in err and err.count("\n") == 1
    assert not out.exists()
