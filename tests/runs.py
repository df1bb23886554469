"""Run folders from known predictions, for compare/check/leaderboard tests: written by
the package's own serialisers and writer (``bench.runs``), only the fitting is skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.io import dumps_json
from bench.labels import TASKS
from bench.metrics import Predictions, evaluate
from bench.runs import RUN_FILES, metrics_document, predictions_digest, predictions_jsonl
from bench.runs import write_run as write_folder

LABELS = ["support", "condemn", "skeptical", "fact"]


def write_run(
    folder: Path,
    name: str,
    gold,
    pred,
    *,
    repeats: int = 1,
    n_folds: int = 4,
    group_size: int = 2,
    data_hash: str = "d" * 64,
    folds_hash: str = "f" * 64,
    task: str = "joint",
    views: tuple[str, ...] = ("cv",),
    ids=None,
    partitions: list[int] | None = None,
    labels: tuple[str, ...] | None = None,
) -> Path:
    """A run folder whose ``repeats`` repeats all predict ``pred`` for items 0..n-1 (or
    the given ``ids``); ``group_size`` items per sentence group; folds assign groups
    round-robin, the same in every repeat, or with ``partitions`` (a seed per repeat)
    after shuffling the groups by that seed (the same seed, the same partition). Each of
    ``views`` (the main one first) holds these same predictions. ``gold`` and ``pred``
    index ``labels`` (default: the task's)."""
    labels = tuple(labels or TASKS[task].labels)
    f_avg = [lab for lab in TASKS[task].f_avg_labels if lab in labels]
    gold, pred = np.asarray(gold), np.asarray(pred)
    n = len(gold)
    ids = np.array([f"x{i:04d}" for i in range(n)] if ids is None else list(ids))
    groups = np.array([f"g{i // group_size:04d}" for i in range(n)])
    group = np.arange(n) // group_size
    if partitions is None:
        fold = np.tile(group % n_folds, repeats)
    else:
        assert len(partitions) == repeats
        shuffled = [np.random.default_rng(s).permutation(group.max() + 1) for s in partitions]
        fold = np.concatenate([order[group] % n_folds for order in shuffled])
    p = Predictions(
        ids=np.tile(ids, repeats),
        groups=np.tile(groups, repeats),
        repeat=np.repeat(np.arange(repeats), n),
        fold=fold,
        gold=np.tile(gold, repeats),
        pred=np.tile(pred, repeats),
        proba=None,
    )
    jsonl = "".join(
        predictions_jsonl(v, p.ids, p.groups, p.repeat, p.fold, p.gold, p.pred, None, list(labels))
        for v in views
    )
    protocol = {
        "kind": "group_kfold",
        "group_by": "group",
        "n_splits": n_folds,
        "n_repeats": repeats,
        "n_folds": n_folds * repeats,
    }
    m = metrics_document(
        config=name,
        model="test",
        task=task,
        primary="macro_f1",
        hashes={"data_hash": data_hash, "folds_hash": folds_hash, "config_hash": "c" * 64},
        views=[(v, protocol, evaluate(p, list(labels), f_avg, n_boot=100)) for v in views],
        predictions_sha256=predictions_digest(jsonl),
    )
    run = folder / name
    files = dict.fromkeys(RUN_FILES, "")  # no fit happened: no config, folds or manifest
    files.update(
        {"predictions.jsonl": jsonl, "metrics.json": dumps_json(m), "manifest.json": "{}\n"}
    )
    write_folder(run, files)
    return run


def noisy(gold, accuracy: float, seed: int):
    """Predictions that are right with probability ``accuracy``, else another label."""
    rng = np.random.default_rng(seed)
    gold = np.asarray(gold)
    wrong = (gold + rng.integers(1, len(LABELS), len(gold))) % len(LABELS)
    return np.where(rng.random(len(gold)) < accuracy, gold, wrong)
