"""Fold quality: the project's stratified group k-fold vs scikit-learn's splitters.

    python perf/folds_quality.py [--seeds 50] [--n-splits 3] [--quick]

For each dataset and each splitter, over many seeds, measures every test fold against the
whole data and prints a Markdown table (means over seeds and folds):

- label MAD: mean absolute deviation of a test fold's label proportions from the overall
  ones, in percentage points (0 is perfect stratification);
- size spread: (largest - smallest test fold) / mean test fold size, in percent;
- missing: share of (test fold, label) pairs with no row of that label, in percent;
- ms: time per repeat (k folds) in milliseconds.

Datasets: the seed dataset (task joint, sentence groups); synthetic data with groups of
geometric sizes (mean 2, 5, 50 and 30) whose labels lean towards a per-group label; and
singleton groups (every row its own group) with a rare label. Then the time of one repeat
of ours on 300k rows, as singletons and in 50k groups. scikit-learn's
StratifiedGroupKFold ran on grouped data before, StratifiedKFold on singleton groups.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.protocol import derived_seed, make_folds  # noqa: E402

PRIORS = np.array([0.45, 0.3, 0.2, 0.05])


def seed_dataset() -> tuple[np.ndarray, np.ndarray]:
    from bench.data import ensure_derived, seed_frame

    with tempfile.TemporaryDirectory() as tmp:
        frame = seed_frame(ensure_derived(ROOT / "seeds", Path(tmp) / "data"), "joint")
    return frame["label"].to_numpy(), frame["group"].to_numpy()


def grouped(n_groups: int, mean_size: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Groups of geometric sizes; 70% of a group's rows take the group's label."""
    rng = np.random.default_rng(seed)
    sizes = rng.geometric(1 / mean_size, n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    lean = rng.choice(len(PRIORS), n_groups, p=PRIORS)[groups]
    other = rng.choice(len(PRIORS), len(groups), p=PRIORS)
    y = np.where(rng.random(len(groups)) < 0.7, lean, other)
    return y, groups


def singletons(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.choice(len(PRIORS), n, p=[0.5, 0.3, 0.19, 0.01]), np.arange(n)


def ours(y, groups, k, seed):
    folds = make_folds("group_kfold", y, groups, seed, n_splits=k)
    return [f.test for f in folds]


def sklearn_splitter(kind):
    def split(y, groups, k, seed):
        from sklearn import model_selection

        splitter = getattr(model_selection, kind)(k, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return [te for _, te in splitter.split(np.zeros(len(y)), y, groups)]

    return split


def measure(split, y, groups, k, seeds):
    labels, y_idx = np.unique(y, return_inverse=True)
    overall = np.bincount(y_idx, minlength=len(labels)) / len(y)
    mad, spread, missing, seconds = [], [], [], []
    for s in range(seeds):
        t0 = time.perf_counter()
        tests = split(y, groups, k, derived_seed(s, 0))
        seconds.append(time.perf_counter() - t0)
        counts = np.array([np.bincount(y_idx[t], minlength=len(labels)) for t in tests])
        sizes = counts.sum(axis=1)
        mad.append(np.abs(counts / sizes[:, None] - overall).mean())
        spread.append((sizes.max() - sizes.min()) / sizes.mean())
        missing.append((counts == 0).mean())
    return 100 * np.mean(mad), 100 * np.mean(spread), 100 * np.mean(missing), np.mean(seconds)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--n-splits", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="3 seeds, the small datasets, no 300k timing"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = 3
    k = args.n_splits
    datasets = {
        "seed dataset (joint)": seed_dataset(),
        "1k groups, mean size 2": grouped(1000, 2),
        "4k groups, mean size 5": grouped(4000, 5),
        "400 groups, mean size 50": grouped(400, 50),
        "60 groups, mean size 30": grouped(60, 30),
        "20k singletons, 1% label": singletons(20_000),
    }
    if args.quick:
        datasets = dict(list(datasets.items())[:3])
    sgkf, skf = sklearn_splitter("StratifiedGroupKFold"), sklearn_splitter("StratifiedKFold")
    print(f"{args.seeds} seeds, n_splits = {k}\n")
    print(
        "| data | rows | groups | splitter | label MAD (pp) | size spread (%) | missing (%) | ms |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for name, (y, groups) in datasets.items():
        single = len(np.unique(groups)) == len(groups)
        rivals = {"stance-bench": ours, "sklearn StratifiedGroupKFold": sgkf}
        if single:
            rivals["sklearn StratifiedKFold"] = skf
        for rival, split in rivals.items():
            mad, spread, missing, sec = measure(split, y, groups, k, args.seeds)
            print(
                f"| {name} | {len(y)} | {len(np.unique(groups))} | {rival} | {mad:.3f} "
                f"| {spread:.2f} | {missing:.2f} | {1000 * sec:.1f} |"
            )
    if args.quick:
        return
    print()
    for name, (y, groups) in {
        "300k singletons": singletons(300_000),
        "300k rows in 50k groups": grouped(50_000, 6),
    }.items():
        t0 = time.perf_counter()
        ours(y, groups, k, 0)
        print(f"{name}: {time.perf_counter() - t0:.2f} s per repeat")


if __name__ == "__main__":
    main()
