"""The default benchmark's work written as a plain scikit-learn script, for comparison.

Reads the derived Parquet, draws the same folds (StratifiedGroupKFold, same seeds), fits
the same models (every config in configs/) on every fold and scores pooled macro-F1 with
scikit-learn. No bootstrap, no reports, no files: the floor the harness is measured against.

    python perf/plain_sklearn.py [data/derived/data/train.parquet]
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

LABELS = ["support", "condemn", "skeptical", "fact"]
SEED, N_SPLITS, N_REPEATS = 20251, 3, 5


def seed(*parts):
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def features(target_aware):
    parts = [
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32), "text"),
        (
            "char",
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
            ),
            "text",
        ),
    ]
    if target_aware:
        parts += [
            ("target", OneHotEncoder(handle_unknown="ignore"), ["target"]),
            ("target_words", TfidfVectorizer(dtype=np.float32), "target"),
        ]
    return ColumnTransformer(parts)


def models(rs):
    from bench.lexicon import CueLexiconClassifier  # the rule model itself, not the harness

    def pipe(clf, target=False):
        return Pipeline([("features", features(target)), ("clf", clf)])

    return {
        "majority": DummyClassifier(strategy="most_frequent"),
        "stratified": DummyClassifier(strategy="stratified", random_state=rs),
        "cue_lexicon": CueLexiconClassifier(),
        "tfidf_logreg": pipe(
            LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=rs)
        ),
        "tfidf_svm": pipe(LinearSVC(C=1.0, class_weight="balanced", random_state=rs)),
        "tfidf_cnb": pipe(ComplementNB(alpha=0.3)),
        "tfidf_logreg_target": pipe(
            LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=rs),
            True,
        ),
        "tfidf_svm_target": pipe(LinearSVC(C=1.0, class_weight="balanced", random_state=rs), True),
    }


RUNS = [("joint", name) for name in models(0)] + [
    (task, name)
    for task in ("fact", "stance")
    for name in ("majority", "cue_lexicon", "tfidf_svm_target")
]


def task_view(frame, task):
    y = np.array(LABELS, dtype=object)[frame["label"].to_numpy()]
    if task == "fact":
        y = np.where(y == "fact", "fact", "stance")
    keep = y != "fact" if task == "stance" else np.ones(len(y), bool)
    X = pd.DataFrame({"text": frame["sentence"], "target": frame["target"]})[keep]
    return X.reset_index(drop=True), y[keep], frame["group"].to_numpy()[keep]


def main(path="data/derived/data/train.parquet"):
    frame = pd.read_parquet(path)
    for task, name in RUNS:
        X, y, groups = task_view(frame, task)
        labels = sorted(set(y))
        folds = []
        for r in range(N_REPEATS):
            cv = StratifiedGroupKFold(n_splits=N_SPLITS, shuffle=True, random_state=seed(SEED, r))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                folds += [(r, i, tr, te) for i, (tr, te) in enumerate(cv.split(X, y, groups))]
        gold, pred = [], []
        for r, i, tr, te in folds:
            model = models(seed(SEED, r, i))[name]
            model.fit(X.iloc[tr], y[tr])
            pred.append(model.predict(X.iloc[te]))
            gold.append(y[te])
            if hasattr(model, "predict_proba"):
                model.predict_proba(X.iloc[te])
        score = f1_score(
            np.concatenate(gold),
            np.concatenate(pred),
            labels=labels,
            average="macro",
            zero_division=0,
        )
        print(f"{task:7} {name:22} macro-F1 {score:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
