"""Experiment trackers on a runs folder: DVC (a ``dvc.yaml`` beside the run folders) and
MLflow (one MLflow run per config and view). Both read run folders through
``bench.runs.load_run``; neither changes a run folder.

- DVC: ``dvc.yaml`` lists each run's ``metrics.json`` as metrics, its ``config.toml`` as
  params, and a confusion-pairs file (``actual``, ``predicted``: the main view's
  out-of-fold predictions, every repeat) per run as a plot with DVC's ``confusion``
  template, so ``dvc metrics show``, ``dvc params diff`` and ``dvc plots show`` work on
  the runs folder. DVC itself is not imported.
- MLflow (``pip install 'stance-bench[mlflow]'``): params from the resolved config
  (``config.toml``, flattened as ``section.key``), the view's pooled metrics with their
  interval bounds (``<metric>_ci_low``/``_ci_high``), per-class F1 and counts, and the
  reports as artifacts. A run already logged (same view, same predictions digest) is not
  logged again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.io import tomllib, write_text_atomic
from bench.runs import REPORT_FILES, Run
from bench.views import MAIN

DVC_FILE = "dvc.yaml"
# confusion pairs live in a folder no config can be named like (names have no leading dot)
PAIRS_DIR = ".confusion"


# ---------------------------------------------------------------------------------- DVC
def confusion_pairs(run: Run, view: str = MAIN) -> str:
    """The CSV of (actual, predicted) label pairs of ``view``'s predictions, one row per
    prediction (sorted by id and repeat): DVC's confusion template counts them."""
    pred = run.predictions()[view]
    labels = run.labels
    rows = "".join(f"{labels[g]},{labels[p]}\n" for g, p in zip(pred.gold, pred.pred, strict=True))
    return "actual,predicted\n" + rows


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML scalar


def render_dvc_yaml(names: Iterable[str]) -> str:
    """dvc.yaml for the run folders ``names`` beside it."""
    names = list(names)
    lines = [
        "# Written by `stance-bench run --dvc`: the run folders beside this file as DVC",
        "# metrics (metrics.json), params (config.toml) and confusion plots. Regenerated on",
        "# every run with --dvc; edit the configs, not this file.",
        "metrics:",
        *(f"  - {_yaml_str(f'{n}/metrics.json')}" for n in names),
        "params:",
        *(f"  - {_yaml_str(f'{n}/config.toml')}" for n in names),
        "plots:",
    ]
    for n in names:
        lines += [
            f"  - {_yaml_str(f'{PAIRS_DIR}/{n}.csv')}:",
            f"      title: {_yaml_str(f'{n}: confusion ({MAIN}, every repeat)')}",
            "      template: confusion",
            "      x: actual",
            "      y: predicted",
        ]
    return "\n".join(lines) + "\n"


def write_dvc(out: Path, runs: list[Run]) -> Path:
    """Write ``out/dvc.yaml`` and the confusion pairs of ``runs`` (the run folders in
    ``out``); pairs of runs no longer there are removed. Returns the dvc.yaml path."""
    out = Path(out)
    for run in runs:
        if run.path.parent.resolve() != out.resolve():
            raise BenchError(f"{run.path}: not a run folder of {out}")
    pairs = out / PAIRS_DIR
    for run in runs:
        write_text_atomic(pairs / f"{run.path.name}.csv", confusion_pairs(run))
    keep = {f"{run.path.name}.csv" for run in runs}
    for old in pairs.glob("*.csv"):
        if old.name not in keep:
            old.unlink()
    path = out / DVC_FILE
    write_text_atomic(path, render_dvc_yaml(run.path.name for run in runs))
    return path


# ------------------------------------------------------------------------------- MLflow
EXPERIMENT = "stance-bench"
TAG = "stance-bench."  # the prefix of the tags this module sets


@dataclass(frozen=True)
class Logged:
    config: str
    view: str
    run_id: str
    new: bool  # False: the same result was logged before


def _flat(table: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flat(value, f"{name}.")
        else:
            out[name] = json.dumps(value) if isinstance(value, list) else value
    return out


def params(run: Run) -> dict[str, Any]:
    """The resolved config of ``run`` (its config.toml) as MLflow params, ``section.key``."""
    with open(run.path / "config.toml", "rb") as fh:
        return _flat(tomllib.load(fh))


def view_metrics(doc: dict) -> dict[str, float]:
    """One view's numbers for MLflow: pooled metrics and their interval bounds, per-class
    F1 (``f1.<label>``) and the counts; undefined values (null) are left out."""
    out: dict[str, float] = {}
    for name, value in doc["pooled"].items():
        if value is not None:
            out[name] = value
        low, high = doc.get("ci", {}).get(name) or (None, None)
        if low is not None and high is not None:
            out[f"{name}_ci_low"], out[f"{name}_ci_high"] = low, high
    for label, scores in doc.get("per_class", {}).items():
        out[f"f1.{label}"] = scores["f1"]
    for key in ("n_predictions", "n_examples", "n_groups"):
        if key in doc:
            out[key] = doc[key]
    return out


def _mlflow():
    try:
        import mlflow
    except ImportError:
        raise BenchError(
            "--mlflow needs MLflow: pip install 'stance-bench[mlflow]' (or mlflow)"
        ) from None
    return mlflow


def check_mlflow(uri: str) -> None:
    """Fail before any work when MLflow is absent or ``uri`` is not a store it can use."""
    _mlflow()
    if "://" not in uri:
        raise BenchError(
            f"--mlflow {uri}: not a tracking URI; give e.g. sqlite:///mlflow.db or http://host:5000"
        )


def _experiment(mlflow, uri: str, name: str) -> str:
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    artifacts = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not in the cwd
        db = Path(uri[len("sqlite:///") :]).resolve()
        artifacts = (db.parent / "mlartifacts").as_uri()
    return mlflow.create_experiment(name, artifact_location=artifacts)


def log_mlflow(uri: str, runs: list[Run], experiment: str = EXPERIMENT) -> list[Logged]:
    """Log one MLflow run per run folder and view into ``experiment`` at ``uri``."""
    mlflow = _mlflow()
    check_mlflow(uri)
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp_id = _experiment(mlflow, uri, experiment)
    logged = []
    for run in runs:
        config_params = params(run)
        for view, doc in run.views().items():
            tags = {
                f"{TAG}config": run.name,
                f"{TAG}view": view,
                f"{TAG}task": str(run.metrics["task"]),
                f"{TAG}model": str(run.metrics["model"]),
                f"{TAG}config_hash": str(run.metrics.get("config_hash", "")),
                f"{TAG}data_hash": str(run.metrics["data_hash"]),
                f"{TAG}predictions_sha256": str(run.metrics["predictions_sha256"]),
            }
            query = " and ".join(
                f"tags.`{k}` = '{tags[k]}'"
                for k in (f"{TAG}config", f"{TAG}view", f"{TAG}predictions_sha256")
            )
            old = client.search_runs([exp_id], filter_string=query, max_results=1)
            if old:
                logged.append(Logged(run.name, view, old[0].info.run_id, False))
                continue
            with mlflow.start_run(
                experiment_id=exp_id, run_name=f"{run.name}/{view}", tags=tags
            ) as active:
                mlflow.log_params(config_params)
                mlflow.log_metrics(view_metrics(dict(doc)))
                for name in (*REPORT_FILES, "metrics.json", "config.toml"):
                    if (run.path / name).is_file():
                        mlflow.log_artifact(str(run.path / name))
            logged.append(Logged(run.name, view, active.info.run_id, True))
    return logged
