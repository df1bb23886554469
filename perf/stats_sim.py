"""Seeded simulation of the comparison statistics: type-I error, power and coverage.

    python perf/stats_sim.py [--quick] [--reps N] [--n-boot B] [--seed S]

Synthetic paired runs with 4 labels and errors correlated within clusters (sentences):
P(right) = sigmoid(mu_model + u_cluster + e_item + v_model,cluster + w_model,item), where
u, e are shared by both models (hard sentences are hard for both) and v, w are each
model's own. Repeats are near-copies, as in repeated CV: each later repeat copies the
first repeat's prediction of an item with probability 0.85, else draws it afresh. A wrong
prediction goes to a label fixed per (model, item). Equal models (same mu) give the
type-I error; a higher mu for the candidate (calibrated on a large sample to a
macro-F1 gain) gives the power. Population values for coverage come from one large
sample (metric of pooled counts, which is what the runs estimate).

Prints Markdown tables. Everything is seeded by --seed. --quick (3 sizes, 200 runs,
B = 500) takes 45 s of CPU, the default (5 sizes, 600 runs, B = 1000) 5 minutes of CPU,
spread over --workers processes (about 3 minutes on 2 idle cores). The defaults in
bench/stats.py come from the default run.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import binomtest

from bench.metrics import scores
from bench.stats import (
    METHODS,
    bootstrap_delta,
    bootstrap_metric,
    cluster_mcnemar,
    nadeau_bengio,
    paired_counts,
    permutation_test,
)

L = 4
REPEATS = 5
FOLDS = 3
COPY = 0.85
SD_SHARED_CLUSTER, SD_SHARED_ITEM = 1.0, 0.5
SD_OWN_CLUSTER, SD_OWN_ITEM = 0.8, 0.5
MU = 0.6
ALPHA = 0.05
SIZES = {19: 25, 30: 120, 50: 200, 100: 400, 500: 2000}  # clusters -> items


def macro_f1(cms: np.ndarray) -> np.ndarray:
    return scores(cms, [0, 1])["macro_f1"]


@dataclass(frozen=True)
class Sample:
    clusters: np.ndarray  # (N,)
    gold: np.ndarray  # (N,)
    base: np.ndarray  # (R, N) predicted labels
    cand: np.ndarray  # (R, N)


def simulate(rng: np.random.Generator, n_items: int, n_clusters: int, shift: float) -> Sample:
    G, N = n_clusters, n_items
    clusters = np.concatenate([np.arange(G), rng.integers(0, G, N - G)])
    tendency = rng.integers(0, L, G)
    gold = np.where(rng.random(N) < 0.5, tendency[clusters], rng.integers(0, L, N))
    shared = SD_SHARED_CLUSTER * rng.standard_normal(G)[clusters] + SD_SHARED_ITEM * (
        rng.standard_normal(N)
    )

    def model(mu: float) -> np.ndarray:
        own = SD_OWN_CLUSTER * rng.standard_normal(G)[clusters] + SD_OWN_ITEM * (
            rng.standard_normal(N)
        )
        p = 1 / (1 + np.exp(-(mu + shared + own)))
        right = rng.random((REPEATS, N)) < p
        copy = rng.random((REPEATS, N)) < COPY
        copy[0] = False
        right = np.where(copy, right[0], right)
        wrong = (gold + 1 + rng.integers(0, L - 1, N)) % L
        return np.where(right, gold, wrong)

    return Sample(clusters, gold, model(MU), model(MU + shift))


def counts(s: Sample):
    R = REPEATS
    return paired_counts(
        np.tile(s.clusters, R), np.tile(s.gold, R), s.base.ravel(), s.cand.ravel(), L
    )


def truth(rng: np.random.Generator, shift: float, items_per_cluster: float) -> tuple[float, float]:
    """Population macro-F1 of the base and the delta (metric of pooled counts, large n)."""
    N = 400_000
    s = simulate(rng, N, int(N / items_per_cluster), shift)
    cb = np.bincount(np.tile(s.gold, REPEATS) * L + s.base.ravel(), minlength=L * L)
    cc = np.bincount(np.tile(s.gold, REPEATS) * L + s.cand.ravel(), minlength=L * L)
    vb, vc = macro_f1(np.stack([cb, cc]).reshape(2, L, L).astype(float))
    return float(vb), float(vc - vb)


def calibrate(rng: np.random.Generator, target: float, items_per_cluster: float) -> float:
    lo, hi = 0.0, 3.0
    for _ in range(12):
        mid = (lo + hi) / 2
        if truth(rng, mid, items_per_cluster)[1] < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ------------------------------------------------------------------------ old tests
def old_shift_p(deltas: np.ndarray, observed: float) -> float:
    if observed == 0:
        return 1.0
    return float((1 + np.sum(np.abs(deltas - observed) >= abs(observed))) / (len(deltas) + 1))


def old_rowwise_perm(s: Sample, rounds: int, rng: np.random.Generator) -> float:
    gold = np.tile(s.gold, REPEATS)
    pb, pc = s.base.ravel(), s.cand.ravel()
    cb = np.bincount(gold * L + pb, minlength=L * L).astype(float)
    cc = np.bincount(gold * L + pc, minlength=L * L).astype(float)
    obs = float(np.diff(macro_f1(np.stack([cb, cc]).reshape(2, L, L)))[0])
    differ = np.flatnonzero(pb != pc)
    if obs == 0 or len(differ) == 0:
        return 1.0
    D = np.zeros((len(differ), L * L))
    np.add.at(D, (np.arange(len(differ)), gold[differ] * L + pc[differ]), 1.0)
    np.add.at(D, (np.arange(len(differ)), gold[differ] * L + pb[differ]), -1.0)
    S = rng.integers(0, 2, size=(rounds, len(differ))).astype(float)
    shift = S @ D
    d = macro_f1((cc - shift).reshape(-1, L, L)) - macro_f1((cb + shift).reshape(-1, L, L))
    return float((1 + np.sum(np.abs(d) >= abs(obs) - 1e-12)) / (rounds + 1))


def naive_mcnemar(s: Sample) -> float:
    rb, rc = s.base[0] == s.gold, s.cand[0] == s.gold
    b, c = int(np.sum(rb & ~rc)), int(np.sum(~rb & rc))
    return 1.0 if b + c == 0 else float(binomtest(min(b, c), b + c, 0.5).pvalue)


def nb_p(s: Sample, rng: np.random.Generator) -> float:
    """Nadeau-Bengio on per-fold macro-F1 of grouped 3-fold CV, 5 repeats."""
    G = int(s.clusters.max()) + 1
    fold = np.stack([rng.permutation(np.arange(G) % FOLDS)[s.clusters] for _ in range(REPEATS)])
    unit = (np.arange(REPEATS)[:, None] * FOLDS + fold) * L * L
    J = REPEATS * FOLDS
    vals = []
    for pred in (s.base, s.cand):
        cm = np.bincount((unit + s.gold * L + pred).ravel(), minlength=J * L * L)
        vals.append(macro_f1(cm.reshape(J, L, L).astype(float)))
    n = len(s.gold)
    res = nadeau_bengio(vals[0], vals[1], n_train=n * (FOLDS - 1) / FOLDS, n_test=n / FOLDS)
    return 1.0 if res is None else res.p_value


# ------------------------------------------------------------------------------ run
TESTS = [
    ("bootstrap, percentile (new)", "boot_percentile"),
    ("bootstrap, BCa (new)", "boot_bca"),
    ("bootstrap, expanded percentile (new)", "boot_expanded"),
    ("cluster permutation (new)", "perm_cluster"),
    ("McNemar, cluster-adjusted (new; accuracy)", "mcnemar_cluster"),
    ("Nadeau–Bengio (per-fold macro-F1)", "nadeau_bengio"),
    ("bootstrap, shift p (old)", "boot_shift_old"),
    ("row-wise permutation (old)", "perm_rows_old"),
    ("McNemar, exact on items (old; accuracy)", "mcnemar_naive_old"),
]


def one_rep(s: Sample, n_boot: int, rng: np.random.Generator, t_base: float, t_delta: float):
    pair = counts(s)
    seed = int(rng.integers(2**63))
    out: dict[str, float] = {}
    cover: dict[str, float] = {}
    # one bootstrap per quantity; every method reads the same replicates
    delta = bootstrap_delta(pair, macro_f1, n_boot=n_boot, rng=seed, method="bca")
    single = bootstrap_metric(pair.base, macro_f1, n_boot=n_boot, rng=seed + 1, method="bca")
    out["boot_shift_old"] = old_shift_p(delta.values, delta.estimate)
    for method in METHODS:
        reps = replace(delta, method=method)
        out[f"boot_{method}"] = reps.p_value()
        ci = reps.interval(1 - ALPHA)
        cover[f"delta_{method}"] = float(ci.low <= t_delta <= ci.high)
        ci = replace(single, method=method).interval(1 - ALPHA)
        cover[f"single_{method}"] = float(ci.low <= t_base <= ci.high)
    out["perm_cluster"] = permutation_test(pair, macro_f1, n_perm=n_boot, rng=seed + 2).p_value
    first = (s.base[0] == s.gold, s.cand[0] == s.gold)
    out["mcnemar_cluster"] = cluster_mcnemar(*first, s.clusters).p_value
    out["nadeau_bengio"] = nb_p(s, rng)
    out["perm_rows_old"] = old_rowwise_perm(s, n_boot, rng)
    out["mcnemar_naive_old"] = naive_mcnemar(s)
    return out, cover


def task(G: int, N: int, scenario: str, effect: float, reps: int, n_boot: int, seed):
    rng = np.random.default_rng(seed)
    shift = calibrate(rng, effect, N / G) if scenario == "effect" else 0.0
    t_base, t_delta = truth(rng, shift, N / G)
    if scenario == "null":
        t_delta = 0.0  # exchangeable models
    rej: dict[str, list[float]] = {}
    cov: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    for _ in range(reps):
        p, c = one_rep(simulate(rng, N, G, shift), n_boot, rng, t_base, t_delta)
        for k, v in p.items():
            rej.setdefault(k, []).append(v < ALPHA)
        for k, v in c.items():
            cov.setdefault(k, []).append(v)
    return (
        {k: float(np.mean(v)) for k, v in rej.items()},
        {k: float(np.mean(v)) for k, v in cov.items()},
        t_delta,
        time.perf_counter() - t0,
    )


def run(sizes, reps, n_boot, seed, seed_effect, big_effect, workers):
    keys = [(G, s) for G in sizes for s in ("null", "effect")]
    seeds = np.random.SeedSequence(seed).spawn(len(keys))
    args = [
        (G, sizes[G], s, big_effect if G >= 100 else seed_effect, reps, n_boot, ss)
        for (G, s), ss in zip(keys, seeds, strict=True)
    ]
    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(task, *a) for a in args]
        return {k: f.result() for k, f in zip(keys, futures, strict=True)}


def tables(results, sizes, reps: int, n_boot: int) -> str:
    cols = list(sizes)
    head = " | ".join(f"{G} cl / {sizes[G]} items" for G in cols)
    lines = []
    se = np.sqrt(ALPHA * (1 - ALPHA) / reps)
    lines += [
        f"### Type-I error at alpha {ALPHA} (equal models; {reps} runs each, "
        f"MC s.e. {se:.3f}; B = R = {n_boot})",
        "",
        f"| test | {head} |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for label, key in TESTS:
        lines.append(
            f"| {label} | " + " | ".join(f"{results[G, 'null'][0][key]:.3f}" for G in cols) + " |"
        )
    lines += [
        "",
        f"### Power at alpha {ALPHA} (true macro-F1 gain in the header)",
        "",
        "| test | " + " | ".join(f"{G} cl, +{results[G, 'effect'][2]:.3f}" for G in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for label, key in TESTS:
        lines.append(
            f"| {label} | " + " | ".join(f"{results[G, 'effect'][0][key]:.3f}" for G in cols) + " |"
        )
    lines += [
        "",
        f"### Coverage of nominal {1 - ALPHA:.0%} intervals (MC s.e. {se:.3f})",
        "",
        f"| interval | {head} |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for what, scen, label in (
        ("single", "null", "single-run macro-F1"),
        ("delta", "effect", "paired delta (effect runs)"),
        ("delta", "null", "paired delta (equal models)"),
    ):
        for method in METHODS:
            k = f"{what}_{method}"
            lines.append(
                f"| {label}, {method} | "
                + " | ".join(f"{results[G, scen][1][k]:.3f}" for G in cols)
                + " |"
            )
    secs = sum(v[3] for v in results.values())
    lines += ["", f"({secs:.0f} s of simulation)"]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and sizes (about a minute)")
    ap.add_argument("--reps", type=int, help="simulated runs per size and scenario")
    ap.add_argument("--n-boot", type=int, help="bootstrap resamples and permutation rounds")
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--seed-effect", type=float, default=0.20, help="gain at <100 clusters")
    ap.add_argument("--effect", type=float, default=0.05, help="gain at >=100 clusters")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    sizes = {g: SIZES[g] for g in (19, 50, 500)} if args.quick else SIZES
    reps = args.reps or (200 if args.quick else 600)
    n_boot = args.n_boot or (500 if args.quick else 1000)
    results = run(sizes, reps, n_boot, args.seed, args.seed_effect, args.effect, args.workers)
    print(tables(results, sizes, reps, n_boot))


if __name__ == "__main__":
    main()
