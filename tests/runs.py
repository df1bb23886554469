"""Build run folders from known predictions, for compare/check/leaderboard tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.io import dumps_json
from bench.metrics import Predictions, evaluate

LABELS = ["support", "condemn", "skeptical", "fact"]


def write_run(
    folder: Path,
    name: str,
    gold,
    pred,
    *,
    repeats: int = 1,
    n_folds: int = 4,
    data_hash: str = "d" * 64,
    folds_hash: str = "f" * 64,
) -> Path:
    """A run folder whose ``repeats`` repeats all predict ``pred`` for items 0..n-1; two
    items per sentence group; folds assign items round-robin."""
    gold, pred = np.asarray(gold), np.asarray(pred)
    n = len(gold)
    ids = np.array([f"x{i:04d}" for i in range(n)])
    groups = np.array([f"g{i // 2:04d}" for i in range(n)])
    fold = np.arange(n) % n_folds
    p = Predictions(
        ids=np.tile(ids, repeats),
        groups=np.tile(groups, repeats),
        repeat=np.repeat(np.arange(repeats), n),
        fold=np.tile(fold, repeats),
        gold=np.tile(gold, repeats),
        pred=np.tile(pred, repeats),
        proba=None,
    )
    m = evaluate(p, LABELS, ["support", "condemn"], n_boot=100, random_state=0)
    m.update(
        config=name,
        model="test",
        task="joint",
        primary="macro_f1",
        data_hash=data_hash,
        folds_hash=folds_hash,
        config_hash="c" * 64,
        protocol={
            "kind": "group_kfold",
            "n_splits": n_folds,
            "n_repeats": repeats,
            "n_folds": n_folds * repeats,
        },
    )
    run = folder / name
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(dumps_json(m), encoding="utf-8")
    rows = [
        {
            "id": str(p.ids[i]),
            "group": str(p.groups[i]),
            "repeat": int(p.repeat[i]),
            "fold": int(p.fold[i]),
            "gold": LABELS[p.gold[i]],
            "predicted": LABELS[p.pred[i]],
            "scores": None,
        }
        for i in range(len(p.ids))
    ]
    (run / "predictions.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    (run / "manifest.json").write_text("{}\n", encoding="utf-8")
    return run


def noisy(gold, accuracy: float, seed: int):
    """Predictions that are right with probability ``accuracy``, else another label."""
    rng = np.random.default_rng(seed)
    gold = np.asarray(gold)
    wrong = (gold + rng.integers(1, len(LABELS), len(gold))) % len(LABELS)
    return np.where(rng.random(len(gold)) < accuracy, gold, wrong)
