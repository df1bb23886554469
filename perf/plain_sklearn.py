"""The default benchmark's work written as a plain scikit-learn script, for comparison.

Reads the derived Parquet files (train and contrast), draws the same folds
(``bench.protocol.make_folds``: the folds are data, like the Parquet), builds the same
models (the model factories of ``bench.models.baselines``: the models themselves) and fits them
on every fold of the three views the default configs evaluate:

- ``cv``: repeated stratified group k-fold (3 x 5), grouped by sentence;
- ``cross_target``: leave one target out;
- ``contrast``: trained on every item, tested on the derived contrast suite.

Scores are pooled macro-F1 from scikit-learn. No bootstrap, no per-target metrics, no
reports, no files: the floor the harness is measured against.

    python perf/plain_sklearn.py [--data data/derived] [--check RUNS_DIR] [--quick]

``--check RUNS_DIR`` asserts that every macro-F1 equals the one in
``RUNS_DIR/<config>/metrics.json`` (a harness run of configs/). ``--quick`` runs only
the configs of ``QUICK``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.models import baselines as factories  # noqa: E402  (the models themselves)
from bench.protocol import Fold, derived_seed, make_folds  # noqa: E402

LABELS = ("support", "condemn", "skeptical", "fact")
TASK_LABELS = {
    "joint": LABELS,
    "stance": ("support", "condemn", "skeptical"),
    "fact": ("stance", "fact"),
}
SEED, N_SPLITS, N_REPEATS = 20251, 3, 5

# config name -> (task, model factory, its parameters): configs/*.toml written out.
CONFIGS: dict[str, tuple[str, str, dict]] = {
    "majority": ("joint", "majority", {}),
    "stratified": ("joint", "stratified", {}),
    "cue_lexicon": ("joint", "cue_lexicon", {}),
    "cue_logreg": ("joint", "cue_logreg", {}),
    "embed_logreg": ("joint", "embed_logreg", {}),
    "tfidf_logreg": ("joint", "tfidf_logreg", {"C": 10.0}),
    "tfidf_logreg_target": ("joint", "tfidf_logreg", {"C": 10.0, "target_aware": True}),
    "tfidf_svm": ("joint", "tfidf_svm", {"C": 1.0}),
    "tfidf_svm_target": ("joint", "tfidf_svm", {"C": 1.0, "target_aware": True}),
    "tfidf_cnb": ("joint", "tfidf_cnb", {"alpha": 0.3}),
    **{
        f"{task}_{name}": (task, model, params)
        for task in ("fact", "stance")
        for name, model, params in (
            ("majority", "majority", {}),
            ("cue_lexicon", "cue_lexicon", {}),
            ("cue_logreg", "cue_logreg", {}),
            ("tfidf_svm_target", "tfidf_svm", {"target_aware": True}),
        )
    },
}
QUICK = ("majority", "cue_lexicon", "tfidf_svm", "tfidf_logreg_target", "stance_cue_logreg")


def build(model: str, params: dict, random_state: int, labels: tuple[str, ...]):
    """The model, given the seed and the task's labels when its factory takes them."""
    factory = getattr(factories, model)
    kwargs = dict(params)
    sig = factory.__signature__ if hasattr(factory, "__signature__") else None
    names = sig.parameters if sig is not None else factory.__code__.co_varnames
    if "random_state" in names:
        kwargs["random_state"] = random_state
    if "labels" in names:
        kwargs["labels"] = labels
    return factory(**kwargs)


def task_frame(path: Path, task: str) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    label = np.array(LABELS, dtype=object)[frame["label"].to_numpy()]
    if task == "fact":
        label = np.where(label == "fact", "fact", "stance")
    keep = np.isin(label, TASK_LABELS[task])
    return pd.DataFrame(
        {
            "text": frame["sentence"].to_numpy()[keep],
            "target": frame["target"].to_numpy()[keep],
            "group": frame["group"].to_numpy()[keep],
            "label": label[keep],
        }
    )


def views(data: Path, task: str) -> dict[str, tuple[pd.DataFrame, list[Fold]]]:
    train = task_frame(data / "data" / "train.parquet", task)
    y, groups = train["label"].to_numpy(), train["group"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = make_folds("group_kfold", y, groups, SEED, n_splits=N_SPLITS, n_repeats=N_REPEATS)
        cross = make_folds(
            "leave_one_group_out",
            y,
            train["target"].to_numpy(),
            SEED,
            require_stratified=False,
        )
    contrast = task_frame(data / "data" / "contrast.parquet", task)
    both = pd.concat([train, contrast], ignore_index=True)
    n = len(train)
    fixed = [Fold(0, 0, np.arange(n), np.arange(n, len(both)))]
    return {"cv": (train, cv), "cross_target": (train, cross), "contrast": (both, fixed)}


def score(frame: pd.DataFrame, folds: list[Fold], model: str, params: dict, labels) -> float:
    X, y = frame[["text", "target", "group"]], frame["label"].to_numpy()
    gold, pred = [], []
    for f in folds:
        est = build(model, params, derived_seed(SEED, f.repeat, f.fold), labels)
        est.fit(X.iloc[f.train], y[f.train])
        X_test = X.iloc[f.test]
        pred.append(np.asarray(est.predict(X_test)).astype(str))
        gold.append(y[f.test])
        if hasattr(est, "predict_proba"):  # the harness keeps scores per prediction too
            est.predict_proba(X_test)
        elif hasattr(est, "decision_function"):
            est.decision_function(X_test)
    return float(
        f1_score(
            np.concatenate(gold),
            np.concatenate(pred),
            labels=list(labels),
            average="macro",
            zero_division=0,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "derived")
    parser.add_argument("--check", type=Path, metavar="RUNS_DIR", help="assert equal F1s")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    args = parser.parse_args()
    names = QUICK if args.quick else tuple(CONFIGS)
    cache: dict[str, dict] = {}
    mismatches = []
    for name in names:
        task, model, params = CONFIGS[name]
        if task not in cache:
            cache[task] = views(args.data, task)
        labels = TASK_LABELS[task]
        f1s = {v: score(fr, folds, model, params, labels) for v, (fr, folds) in cache[task].items()}
        print(f"{name:24} " + "  ".join(f"{v} {s:.4f}" for v, s in f1s.items()), flush=True)
        if args.check is not None:
            doc = json.loads((args.check / name / "metrics.json").read_text(encoding="utf-8"))
            theirs = {"cv": doc["pooled"]["macro_f1"]} | {
                v: doc["views"][v]["pooled"]["macro_f1"] for v in ("cross_target", "contrast")
            }
            for v, s in f1s.items():
                if not np.isclose(s, theirs[v], rtol=0, atol=1e-9):
                    mismatches.append(f"{name} {v}: plain {s!r} vs harness {theirs[v]!r}")
    if mismatches:
        raise SystemExit("macro-F1 differs from the harness:\n" + "\n".join(mismatches))
    if args.check is not None:
        print(f"all {len(names) * 3} macro-F1s equal the harness's in {args.check}")


if __name__ == "__main__":
    main()
