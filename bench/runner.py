"""Config -> data -> folds -> fit/predict (in parallel) -> metrics -> a complete run folder.

A run folder is written in a staging folder next to its final place and renamed into
place only when every file is there, so an interrupted run never looks complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench.config import Config, as_dict, to_toml
from bench.io import (
    dumps_json,
    replace_dir_atomic,
    sha256_bytes,
    sha256_json,
    staging_dir,
    write_json_atomic,
    write_jsonl_atomic,
    write_text_atomic,
)
from bench.metrics import Predictions, evaluate
from bench.models import resolve
from bench.protocol import Fold, derived_seed, folds_hash, make_folds

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
MAX_MISCLASSIFIED = 200


@dataclass(frozen=True)
class Prepared:
    """A config with its data loaded and its folds drawn: ready to fit."""

    config: Config
    frame: object  # pandas DataFrame: id, text, target, label, group (+ extras)
    folds: list[Fold]
    data_hash: str
    config_hash: str
    folds_hash: str


@dataclass(frozen=True)
class RunResult:
    config: Config
    run_dir: Path
    metrics: dict
    manifest: dict
    reused: bool = False


def frame_hash(frame) -> str:
    cols = [c for c in ("id", "text", "target", "label", "group", "is_test") if c in frame]
    return sha256_bytes(*("\x1f".join(map(str, frame[c].tolist())).encode("utf-8") for c in cols))


def config_hash(cfg: Config) -> str:
    """Hash of what the experiment is: the resolved config less its description and file
    locations (the data hash covers the data), so equal across clones and run folders."""
    data = as_dict(cfg, relative_to=None)
    data.pop("description")
    return sha256_json(data)


def prepare(cfg: Config, cache: dict | None = None) -> Prepared:
    """Load the config's data (shared through ``cache`` by configs that read the same
    dataset for the same task) and draw its folds."""
    import pandas as pd

    from bench.data import source_frame

    def load(ds, where):
        key = (ds, cfg.task)
        if cache is None or key not in cache:
            frame, extras = source_frame(ds, cfg.task, where)
            for name, col in extras.items():
                frame[name] = col.values
            if cache is None:
                return frame
            cache[key] = frame
        return cache[key]

    frame = load(cfg.dataset, "dataset")
    is_test = None
    if cfg.test is not None:
        test = load(cfg.test, "test")
        frame = pd.concat(
            [frame.assign(is_test=False), test.assign(is_test=True)], ignore_index=True
        )
        is_test = frame["is_test"].to_numpy()
    folds = make_folds(
        cfg.protocol, frame["label"].to_numpy(), frame["group"].to_numpy(), cfg.seed, is_test
    )
    return Prepared(
        cfg,
        frame,
        folds,
        frame_hash(frame),
        config_hash(cfg),
        folds_hash(folds, frame["id"].to_numpy()),
    )


def _fit_predict(
    model_name: str, params: dict, X_train, y_train, X_test, labels: tuple, random_state: int
):
    """One fold: fit, predict, and the scores per label (probabilities when the model has
    them, else decision values)."""
    est = resolve(model_name).build(params, random_state)
    t0 = time.perf_counter()
    est.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - t0
    pred = est.predict(X_test)
    proba = scores = None
    classes = [str(c) for c in getattr(est, "classes_", [])]
    cols = [labels.index(c) for c in classes]
    if hasattr(est, "predict_proba"):
        proba = np.zeros((len(pred), len(labels)))
        proba[:, cols] = est.predict_proba(X_test)
        scores = proba
    elif hasattr(est, "decision_function"):
        dec = np.asarray(est.decision_function(X_test), dtype=np.float64)
        if dec.ndim == 1:  # binary: the score of classes_[1]
            dec = np.stack([-dec, dec], axis=1)
        scores = np.full((len(pred), len(labels)), np.nan)
        scores[:, cols] = dec
    return np.asarray(pred).astype(str), proba, scores, fit_seconds


def fit_folds(prep: Prepared, n_jobs: int = 1, on_fold=None):
    """Fit and predict every fold, in parallel when ``n_jobs`` > 1; results in fold order."""
    from joblib import Parallel, delayed

    cfg = prep.config
    frame = prep.frame
    X = frame[["text", "target"]]
    y = frame["label"].to_numpy()
    params = dict(cfg.model.params)
    jobs = (
        delayed(_fit_predict)(
            cfg.model.name,
            params,
            X.iloc[f.train],
            y[f.train],
            X.iloc[f.test],
            cfg.labels,
            derived_seed(cfg.seed, f.repeat, f.fold),
        )
        for f in prep.folds
    )
    results = []
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    for out in parallel(jobs):
        results.append(out)
        if on_fold is not None:
            on_fold()
    return results


def collect(prep: Prepared, results) -> tuple[Predictions, np.ndarray, str, list[float]]:
    """Pool the folds' predictions: the Predictions, the frame rows they are of, the
    predictions.jsonl text, and the fit times."""
    cfg = prep.config
    labels = list(cfg.labels)
    index = {lab: i for i, lab in enumerate(labels)}
    frame = prep.frame
    ids = frame["id"].to_numpy()
    groups = frame["group"].to_numpy()
    gold_all = frame["label"].map(index).to_numpy()
    parts = {k: [] for k in ("rows", "repeat", "fold", "pred", "proba", "scores")}
    fit_seconds = []
    for fold, (pred, proba, scores, seconds) in zip(prep.folds, results, strict=True):
        unknown = set(pred) - set(labels)
        if unknown:
            from bench.errors import ModelError

            raise ModelError(
                f"model {cfg.model.name!r} predicted labels outside the task "
                f"{cfg.task!r}: {sorted(unknown)}"
            )
        parts["rows"].append(fold.test)
        parts["repeat"].append(np.full(len(fold.test), fold.repeat))
        parts["fold"].append(np.full(len(fold.test), fold.fold))
        parts["pred"].append(np.array([index[p] for p in pred], dtype=np.int64))
        parts["proba"].append(proba)
        parts["scores"].append(scores)
        fit_seconds.append(seconds)
    rows = np.concatenate(parts["rows"])
    has_proba = all(p is not None for p in parts["proba"])
    preds = Predictions(
        ids=ids[rows],
        groups=groups[rows],
        repeat=np.concatenate(parts["repeat"]),
        fold=np.concatenate(parts["fold"]),
        gold=gold_all[rows],
        pred=np.concatenate(parts["pred"]),
        proba=np.concatenate(parts["proba"]) if has_proba else None,
        targets=frame["target"].to_numpy()[rows],
    )
    has_scores = all(s is not None for s in parts["scores"])
    scores = np.concatenate(parts["scores"]) if has_scores else None
    return preds, rows, predictions_jsonl(preds, scores, labels), fit_seconds


def predictions_jsonl(preds: Predictions, scores: np.ndarray | None, labels: list[str]) -> str:
    """One JSON object per prediction, built column-wise (no per-row Python work)."""
    import pandas as pd

    names = np.array(labels, dtype=object)
    flat = pd.DataFrame(
        {
            "id": preds.ids.astype(str),
            "group": preds.groups.astype(str),
            "repeat": preds.repeat.astype(np.int64),
            "fold": preds.fold.astype(np.int64),
            "gold": names[preds.gold],
            "predicted": names[preds.pred],
        }
    )
    if len(flat) == 0:
        return ""
    lines = pd.Series(flat.to_json(orient="records", lines=True).splitlines())
    if scores is None:
        tail = pd.Series(',"scores":null}', index=lines.index)
    else:
        table = pd.DataFrame(np.round(scores, 6), columns=labels)
        tail = (
            ',"scores":'
            + pd.Series(
                table.to_json(orient="records", lines=True, double_precision=6).splitlines()
            )
            + "}"
        )
    return "\n".join(lines.str[:-1] + tail) + "\n"


def misclassified(prep: Prepared, preds: Predictions, rows: np.ndarray, labels) -> list[dict]:
    """Examples predicted wrongly in any repeat, most often wrong first (at most 200), each
    with its most frequent wrong label (ties: the label listed first)."""
    import pandas as pd

    df = pd.DataFrame({"row": rows, "pred": preds.pred, "wrong": preds.pred != preds.gold})
    bad = df[df["wrong"]]
    if bad.empty:
        return []
    total = df.groupby("row").size()
    n_wrong = bad.groupby("row").size()
    top = (
        bad.groupby(["row", "pred"])
        .size()
        .reset_index(name="n")
        .sort_values(["row", "n", "pred"], ascending=[True, False, True])
        .drop_duplicates("row")
        .set_index("row")["pred"]
    )
    table = pd.DataFrame(
        {"wrong": n_wrong, "of": total.reindex(n_wrong.index), "pred": top.reindex(n_wrong.index)}
    )
    table["share"] = table["wrong"] / table["of"]
    frame = prep.frame
    table["id"] = frame["id"].to_numpy()[table.index.to_numpy()]
    table = table.sort_values(["share", "id"], ascending=[False, True]).head(MAX_MISCLASSIFIED)
    out = []
    for row, r in table.iterrows():  # at most MAX_MISCLASSIFIED rows
        src = frame.iloc[row]
        out.append(
            {
                "id": str(src["id"]),
                "text": str(src["text"]),
                "target": str(src["target"]),
                "evidence": str(src["evidence"]) if "evidence" in frame else None,
                "gold": str(src["label"]),
                "predicted": labels[int(r["pred"])],
                "wrong": int(r["wrong"]),
                "of": int(r["of"]),
            }
        )
    return out


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the package's own files: a run is reused only by the code that made it."""
    root = Path(__file__).parent
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml") and p.is_file())
    return sha256_bytes(*(str(p.relative_to(root)).encode() + p.read_bytes() for p in files))


def _versions() -> dict:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("stance-bench", "scikit-learn", "numpy", "pandas", "pyarrow", "datasets"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _git_commit(where: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def metrics_document(prep: Prepared, preds: Predictions) -> dict:
    cfg = prep.config
    m = evaluate(
        preds,
        cfg.labels,
        cfg.metrics.f_avg_labels,
        n_boot=cfg.metrics.bootstrap,
        level=cfg.metrics.ci,
        random_state=derived_seed(cfg.seed, 7919),
    )
    return {
        "config": cfg.name,
        "model": cfg.model.name,
        "task": cfg.task,
        "primary": cfg.metrics.primary,
        "protocol": {
            "kind": cfg.protocol.kind,
            "n_splits": cfg.protocol.n_splits,
            "n_repeats": cfg.protocol.n_repeats,
            "n_folds": len(prep.folds),
        },
        "data_hash": prep.data_hash,
        "config_hash": prep.config_hash,
        "folds_hash": prep.folds_hash,
        **m,
    }


def is_complete(run_dir: Path) -> bool:
    return all((run_dir / name).is_file() for name in RUN_FILES)


def reusable(prep: Prepared, run_dir: Path) -> dict | None:
    """The manifest of a complete earlier run of the same config on the same data, if any."""
    import json

    if not is_complete(run_dir):
        return None
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except ValueError:
        return None
    same = (manifest.get("config_hash"), manifest.get("data_hash"), manifest.get("code_hash"))
    want = (prep.config_hash, prep.data_hash, code_hash())
    return manifest if same == want else None


def write_run(
    prep: Prepared, results, run_dir: Path, started: datetime, n_jobs: int, wall: float
) -> RunResult:
    from bench.report import RunData, render_html, render_markdown

    cfg = prep.config
    preds, rows, jsonl, fit_seconds = collect(prep, results)
    metrics = metrics_document(prep, preds)
    manifest = {
        "config": cfg.name,
        "config_path": str(cfg.path),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "fit_seconds": round(sum(fit_seconds), 4),
        "fit_seconds_per_fold": [round(s, 4) for s in fit_seconds],
        "n_jobs": n_jobs,
        "versions": _versions(),
        "machine": _machine(),
        "git_commit": _git_commit(cfg.path.parent),
        "data_hash": prep.data_hash,
        "config_hash": prep.config_hash,
        "folds_hash": prep.folds_hash,
        "code_hash": code_hash(),
    }
    wrong = misclassified(prep, preds, rows, list(cfg.labels))
    stage = staging_dir(run_dir)
    try:
        write_text_atomic(stage / "config.toml", to_toml(cfg, relative_to=run_dir))
        write_text_atomic(stage / "predictions.jsonl", jsonl)
        write_json_atomic(
            stage / "folds.json",
            [
                {
                    "repeat": f.repeat,
                    "fold": f.fold,
                    "test_ids": prep.frame["id"].iloc[f.test].astype(str).tolist(),
                }
                for f in prep.folds
            ],
        )
        write_text_atomic(stage / "metrics.json", dumps_json(metrics))
        write_json_atomic(stage / "manifest.json", manifest)
        write_jsonl_atomic(stage / "misclassified.jsonl", wrong)
        data = RunData(metrics=metrics, manifest=manifest, misclassified=wrong)
        write_text_atomic(stage / "report.md", render_markdown(data))
        write_text_atomic(stage / "report.html", render_html(data))
        replace_dir_atomic(stage, run_dir)
    except BaseException:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
        raise
    return RunResult(cfg, run_dir, metrics, manifest)


def _machine() -> dict:
    import os
    import platform

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "hostname": platform.node(),
    }


def run_configs(
    configs: list[Config], out: Path, *, n_jobs: int = 1, force: bool = False, progress: bool = True
) -> list[RunResult]:
    """Run every config into ``out/<name>/``; complete runs of unchanged configs are reused."""
    import json

    from tqdm.auto import tqdm

    cache: dict = {}
    prepared = [
        prepare(cfg, cache)
        for cfg in tqdm(configs, desc="loading", unit="config", disable=not progress, leave=False)
    ]
    todo = []
    results: dict[str, RunResult] = {}
    for prep in prepared:
        run_dir = Path(out) / prep.config.name
        manifest = None if force else reusable(prep, run_dir)
        if manifest is not None:
            metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
            results[prep.config.name] = RunResult(prep.config, run_dir, metrics, manifest, True)
        else:
            todo.append(prep)
    total = sum(len(p.folds) for p in todo)
    with tqdm(
        total=total, desc="folds", unit="fold", disable=not progress or not total, leave=False
    ) as bar:
        for prep in todo:
            bar.set_postfix_str(prep.config.name)
            started = datetime.now(timezone.utc)
            t0 = time.perf_counter()
            fitted = fit_folds(prep, n_jobs=n_jobs, on_fold=lambda: bar.update(1))
            bar.set_postfix_str(f"{prep.config.name}: metrics and reports")
            results[prep.config.name] = write_run(
                prep,
                fitted,
                Path(out) / prep.config.name,
                started,
                n_jobs,
                time.perf_counter() - t0,
            )
    return [results[cfg.name] for cfg in configs]
