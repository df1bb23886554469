"""The SemEval-2016 Task 6A SVM baseline as a plain scikit-learn script: read the three
files, one linear SVM per target on TF-IDF word 1-3 + char 2-5 n-grams (the settings of
configs/semeval2016/svm_ngrams_per_target.toml), predict the test tweets and print the
official F_avg (mean of F1(FAVOR) and F1(AGAINST), pooled over targets). Nothing else: no
bootstrap, no per-target metrics, no files.

    python perf/plain_semeval.py FOLDER [--check RUN_DIR]

``FOLDER`` holds the Task 6A files (the real ones, or perf/synth.py --semeval's).
``--check RUN_DIR`` asserts that F_avg equals the one in ``RUN_DIR/metrics.json`` (a
harness run of the config on the same files).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

FILES = ("trainingdata-all-annotations.txt", "trialdata-all-annotations.txt")
TEST = "testdata-taskA-all-annotations.txt"
SEED = 2016


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, sep="\t", encoding="cp1252", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False
    )


def model(random_state: int) -> Pipeline:
    def tfidf(**kw):
        return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **kw)

    features = ColumnTransformer(
        [
            ("word", tfidf(ngram_range=(1, 3)), "text"),
            ("char", tfidf(analyzer="char_wb", ngram_range=(2, 5)), "text"),
        ]
    )
    return Pipeline([("features", features), ("clf", LinearSVC(random_state=random_state))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the SemEval-2016 Task 6A files")
    parser.add_argument("--check", type=Path, metavar="RUN_DIR", help="assert the same F_avg")
    args = parser.parse_args()
    train = pd.concat([read(args.folder / f) for f in FILES], ignore_index=True)
    test = read(args.folder / TEST)
    # the harness's seed for the model of (repeat 0, fold 0): bench.protocol.derived_seed
    seed = int(np.random.SeedSequence([SEED, 0, 0]).generate_state(1)[0])
    pred = np.empty(len(test), dtype=object)
    for target in sorted(set(train["Target"])):
        rows = (train["Target"] == target).to_numpy()
        X = pd.DataFrame({"text": train["Tweet"][rows]})
        est = model(seed).fit(X, train["Stance"][rows].to_numpy())
        where = (test["Target"] == target).to_numpy()
        pred[where] = est.predict(pd.DataFrame({"text": test["Tweet"][where]}))
    gold = test["Stance"].to_numpy()
    f_avg = f1_score(gold, pred, labels=["FAVOR", "AGAINST"], average="macro", zero_division=0)
    print(f"F_avg {f_avg:.6f} on {len(test)} test tweets")
    if args.check is not None:
        doc = json.loads((args.check / "metrics.json").read_text(encoding="utf-8"))
        theirs = doc["pooled"]["f_avg"]
        if abs(f_avg - theirs) > 1e-9:
            raise SystemExit(f"F_avg differs: plain {f_avg!r} vs harness {theirs!r}")
        print("equal to the harness's")


if __name__ == "__main__":
    main()
