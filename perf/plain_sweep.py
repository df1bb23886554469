"""A sweep of the linear SVM's C as a plain scikit-learn script: load the Parquet, the same
grouped 80/20 split as the harness (``bench.protocol.make_folds``: the folds are data),
TF-IDF word 1-2 + char 2-5 features fitted once, then for every C a linear SVM, its
predictions and decision values, and pooled macro-F1. Nothing else: no bootstrap, no
per-target metrics, no files.

    python perf/plain_sweep.py DATA.parquet --C 0.01 0.1 1 [--check RUNS_DIR]

``--check RUNS_DIR`` asserts that each macro-F1 equals the one in
``RUNS_DIR/sweep.C-<C>/metrics.json`` (a harness run of perf/sweep.py's config).
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
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.protocol import derived_seed, make_folds  # noqa: E402

SEED = 0
LABELS = ["support", "condemn", "skeptical", "fact"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a Parquet file from perf/synth.py")
    parser.add_argument("--C", type=float, nargs="+", required=True, help="the sweep's values")
    parser.add_argument("--check", type=Path, metavar="RUNS_DIR", help="assert the same F1s")
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
    X_train = features.fit_transform(X.iloc[fold.train])  # once for every C
    X_test = features.transform(X.iloc[fold.test])
    wrong = []
    for C in args.C:
        svm = LinearSVC(C=C, class_weight="balanced", random_state=derived_seed(SEED, 0, 0))
        svm.fit(X_train, y[fold.train])
        pred = svm.predict(X_test)
        svm.decision_function(X_test)  # the harness keeps a score per prediction and label
        score = f1_score(y[fold.test], pred, labels=LABELS, average="macro", zero_division=0)
        print(f"C {C:g}: macro-F1 {score:.6f} on {len(fold.test)} rows")
        if args.check is not None:
            doc = json.loads((args.check / f"sweep.C-{C}" / "metrics.json").read_text("utf-8"))
            if abs(score - doc["pooled"]["macro_f1"]) > 1e-9:
                wrong.append(f"C {C}: plain {score!r} vs harness {doc['pooled']['macro_f1']!r}")
    if wrong:
        raise SystemExit("macro-F1 differs from the harness's:\n" + "\n".join(wrong))
    if args.check is not None:
        print(f"all {len(args.C)} macro-F1s equal the harness's")


if __name__ == "__main__":
    main()
