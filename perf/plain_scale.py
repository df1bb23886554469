"""The scale benchmark's work as a plain scikit-learn script: load the Parquet, the same
grouped 80/20 split as the harness (``bench.protocol.make_folds``: the folds are data),
TF-IDF word 1-2 + char 2-5 features, a linear SVM, predictions and decision values,
pooled macro-F1. Nothing else: no bootstrap, no per-target metrics, no files.

    python perf/plain_scale.py DATA.parquet [--check RUN_DIR]

``--check RUN_DIR`` asserts that the macro-F1 equals the one in ``RUN_DIR/metrics.json``
(a harness run of perf/scale.py's config on the same file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.protocol import derived_seed, make_folds  # noqa: E402

SEED = 0
LABELS = ["support", "condemn", "skeptical", "fact"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a Parquet file from perf/synth.py")
    parser.add_argument("--check", type=Path, metavar="RUN_DIR", help="assert the same F1")
    args = parser.parse_args()
    frame = pd.read_parquet(args.data)
    X, y = frame[["text", "target"]], frame["label"].to_numpy()
    (fold,) = make_folds("split", y, frame["id"].to_numpy(), SEED, test_size=0.2)

    def tfidf(**kw):
        return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **kw)

    features = ColumnTransformer(
        [
            ("word", tfidf(ngram_range=(1, 2)), "text"),
            ("char", tfidf(analyzer="char_wb", ngram_range=(2, 5)), "text"),
        ]
    )
    svm = LinearSVC(C=1.0, class_weight="balanced", random_state=derived_seed(SEED, 0, 0))
    model = Pipeline([("features", features), ("clf", svm)])
    model.fit(X.iloc[fold.train], y[fold.train])
    X_test = X.iloc[fold.test]
    pred = model.predict(X_test)
    model.decision_function(X_test)  # the harness keeps a score per prediction and label
    score = f1_score(y[fold.test], pred, labels=LABELS, average="macro", zero_division=0)
    print(f"macro-F1 {score:.6f} on {len(fold.test)} rows")
    if args.check is not None:
        doc = json.loads((args.check / "metrics.json").read_text(encoding="utf-8"))
        theirs = doc["pooled"]["macro_f1"]
        if abs(score - theirs) > 1e-9:
            raise SystemExit(f"macro-F1 differs: plain {score!r} vs harness {theirs!r}")
        print("equal to the harness's")


if __name__ == "__main__":
    main()
