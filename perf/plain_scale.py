"""The scale benchmark's work as a plain scikit-learn script: load the Parquet, one
grouped 80/20 split (same seed as the harness), TF-IDF word 1-2 + char 2-5 features,
a linear SVM, predictions, macro-F1.

    python perf/plain_scale.py DATA.parquet
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

SEED = 0


def seed(*parts):
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def main(path: str) -> None:
    frame = pd.read_parquet(path)
    X, y = frame[["text", "target"]], frame["label"].to_numpy()
    split = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed(SEED, 0))
    train, test = next(split.split(X, y, frame["id"]))
    features = ColumnTransformer(
        [
            (
                "word",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32),
                "text",
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
                ),
                "text",
            ),
        ]
    )
    model = Pipeline(
        [
            ("features", features),
            ("clf", LinearSVC(C=1.0, class_weight="balanced", random_state=seed(SEED, 0, 0))),
        ]
    )
    model.fit(X.iloc[train], y[train])
    pred = model.predict(X.iloc[test])
    print(f"macro-F1 {f1_score(y[test], pred, average='macro'):.4f} on {len(test)} rows")


if __name__ == "__main__":
    main(sys.argv[1])
