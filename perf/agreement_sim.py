"""Seeded simulation of the agreement intervals (bench/agreement.py): coverage of nominal
95% cluster-bootstrap intervals of Krippendorff's alpha, Cohen's and Fleiss' kappa, and
per-label alpha, at the sizes the benchmark has (19 to 100 sentence groups).

    python perf/agreement_sim.py [--quick] [--reps N] [--n-boot B] [--seed S] [--workers W]

Two annotators label each unit of a sentence group; sentence g has its own reliability
r_g ~ Beta(a, b) (hard sentences are hard for both). Each annotator gives the true label
with probability r_g, else a label drawn from the label prevalence; the true label is
drawn from the same prevalence. Then every coefficient's population value is E[r_g^2]
(both annotators have the prevalence as marginals, so chance agreement is sum p_c^2 and
P(agree) = E[r^2] + (1 - E[r^2]) sum p_c^2), for each label against the rest too. Each
annotator misses a unit with probability 0.1 (never both): missing at random, it does not
change the population value. A group has 1 + Poisson(0.5) units. The units go through
``bench.agreement.scope`` (the code the CLI runs) once per interval method.

Prints Markdown tables. --quick (2 sizes, 150 runs, B = 500) takes about 20 s of CPU,
the default (4 sizes, 500 runs, B = 1000) about 5 minutes of CPU over --workers
processes. bench/agreement.py's METHOD and MIN_GROUPS come from the default run.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from bench.agreement import ZERO_BOUND, Match, scope
from bench.corpus.annotations import Item
from bench.corpus.segment import Unit
from bench.labels import LABELS
from bench.stats import METHODS

PREVALENCE = np.array([0.35, 0.15, 0.15, 0.35])  # support, condemn, skeptical, fact
MISS = 0.1
SCENARIOS = {"moderate": (8.0, 2.0), "high": (18.0, 1.0)}  # Beta(a, b) of r_g
SIZES = (19, 30, 50, 100)
CHECKED = (("alpha", None), ("cohen_kappa", None), ("fleiss_kappa", None), ("alpha", "condemn"))


def truth(a: float, b: float) -> float:
    """E[r^2] for r ~ Beta(a, b)."""
    mean = a / (a + b)
    return a * b / ((a + b) ** 2 * (a + b + 1)) + mean**2


def sample(rng: np.random.Generator, groups: int, a: float, b: float) -> list[Match]:
    unit = Unit(0, 0, 1, "x", "sentence")
    out = []
    for g in range(groups):
        r = rng.beta(a, b)
        for k in range(1 + rng.poisson(0.5)):
            true = rng.choice(4, p=PREVALENCE)
            missing = rng.random() < 2 * MISS
            who = rng.integers(2) if missing else -1
            items = {}
            for name_k, name in enumerate(("a1", "a2")):
                if name_k == who:
                    continue
                own = true if rng.random() < r else rng.choice(4, p=PREVALENCE)
                items[name] = Item(f"{name}-{g}-{k}", LABELS[own], "h", "t", "x", k, k + 1, unit, 1)
            out.append(Match("sim", g, items))
    return out


def one(args) -> dict:
    scenario, groups, rep, n_boot, seed = args
    a, b = SCENARIOS[scenario]
    rng = np.random.default_rng([seed, groups, rep, list(SCENARIOS).index(scenario)])
    matches = sample(rng, groups, a, b)
    value = truth(a, b)
    out = {}
    for method in METHODS:
        s = scope("sim", matches, n_boot=n_boot, level=0.95, method=method, random_state=rep)
        for stat, label in CHECKED:
            e = s.get(stat, label)
            if e is None or not np.isfinite(e.interval.estimate):
                continue
            iv = e.interval
            low = iv.low if np.isfinite(iv.low) else -np.inf
            high = iv.high if np.isfinite(iv.high) else np.inf
            out[(method, stat, label)] = (low <= value <= high, high - low, iv.method == ZERO_BOUND)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--n-boot", type=int)
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    reps = args.reps or (150 if args.quick else 500)
    n_boot = args.n_boot or (500 if args.quick else 1000)
    sizes = SIZES[:2] if args.quick else SIZES
    t0 = time.perf_counter()
    print(f"# Agreement intervals: coverage of nominal 95% ({reps} runs per cell, B = {n_boot})")
    for scenario, (a, b) in SCENARIOS.items():
        print(
            f"\n## {scenario} agreement: r ~ Beta({a:g}, {b:g}), population value "
            f"{truth(a, b):.3f}\n"
        )
        jobs = [(scenario, g, r, n_boot, args.seed) for g in sizes for r in range(reps)]
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(one, jobs, chunksize=10))
        print("| statistic | method | " + " | ".join(f"{g} groups" for g in sizes) + " |")
        print("|---|---|" + "---:|" * len(sizes))
        for stat, label in CHECKED:
            for method in METHODS:
                cells = []
                for gi in range(len(sizes)):
                    got = [
                        r[(method, stat, label)]
                        for r in results[gi * reps : (gi + 1) * reps]
                        if (method, stat, label) in r
                    ]
                    cover = np.mean([c for c, _, _ in got]) if got else np.nan
                    width = np.median([w for _, w, _ in got]) if got else np.nan
                    zero = sum(z for _, _, z in got)
                    cells.append(f"{cover:.3f} (w {width:.2f}, n {len(got)}, zero {zero})")
                name = stat + (f" {label}" if label else "")
                print(f"| {name} | {method} | " + " | ".join(cells) + " |")
    print(
        f"\n({time.perf_counter() - t0:.0f} s; w: median width; n: runs with a defined value; "
        "zero: runs without a disagreement, whose interval is the zero-disagreement bound)"
    )


if __name__ == "__main__":
    main()
