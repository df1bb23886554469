"""Seeded simulation of the comparison statistics: type-I error, power and coverage.

    python perf/stats_sim.py [--quick] [--reps N] [--n-boot B] [--seed S]
    python perf/stats_sim.py --only tiers,mft,bca [--quick] [--reps N] [--seed S]

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

``--only`` runs named sections of issue 24 instead (``SECTIONS``), on a model of the
benchmark's own layout (``layout``, below): ``tiers`` (the leaderboard's split rate for
equal runs, 5 and 10 runs, 19 and 100 sentence groups), ``mft`` (the contrast row's type-I
error with MFT cases one group each vs grouped by phrase), ``bca`` (coverage of one run's
BCa interval and how often a side is beyond the resamples, three data models).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small matrices: BLAS threads cost more than they give

import numpy as np  # noqa: E402
from scipy.stats import binomtest  # noqa: E402
from stats_sim_gate import GATE_SECTIONS  # noqa: E402  (perf/: the gate sections of issue 24)
from stats_sim_gate import PROCS as GATE_PROCS  # noqa: E402

from bench.metrics import scores  # noqa: E402
from bench.stats import (  # noqa: E402
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


# ============================================================ issue 24: the layout model
# The seed's layout (``layout``): 25 items in 19 sentence groups (14 of one item, 4 of two,
# 1 of three), gold support / condemn / skeptical / fact in 9 / 3 / 4 / 9; at 100 groups the
# same mix of group sizes (131 items), labels drawn at those prevalences. Views of a run:
# cv (5 repeats, later repeats copy an item's first prediction with probability .85),
# cross_target (one prediction per item, harder), contrast (4 invariance cases and, with
# probability .8, one directional case per item, in the item's sentence group; plus the
# MFT suite: 19 phrases x 4 targets, a phrase's 4 targets predicted identically with
# probability .95). P(right) = sigmoid(mu + view offset + shared effects + the run's own
# effects, shared by a run's views with correlation RHO_VIEW). A wrong prediction goes to a
# label fixed per (run, item).
PREV = np.array([9, 3, 4, 9]) / 25
RHO_VIEW = 0.8
VIEW_MU = {"cv": 0.0, "cross_target": -0.8, "contrast": -0.4, "mft": 0.3}
MFT_LABELS = np.array([0] * 4 + [1] * 4 + [2] * 4 + [3] * 4 + [2] * 3)  # 19 phrases
MFT_TARGETS = 4
MFT_COPY = 0.95
VIEW_COPY = 0.45  # cross_target and invariance cases repeat the cv prediction's right/wrong
N_BOOT_GATE = 2000  # compare's default resamples


def rank_score(cms: np.ndarray) -> np.ndarray:
    """(n, 4, L, L): cross_target, invariance, directional, mft -> the rank score
    (cross_target + the mean of the contrast suite's three test types) / 2."""
    f = macro_f1(cms)
    return 0.5 * f[..., 0] + 0.5 * f[..., 1:].mean(axis=-1)


@dataclass(frozen=True)
class Layout:
    G: int
    group: np.ndarray  # (N,) item -> sentence group
    gold: np.ndarray  # (N,)
    case_item: np.ndarray  # (Nc,) contrast case -> source item
    case_gold: np.ndarray
    case_dir: np.ndarray  # (Nc,) bool: directional (else invariance)
    mft_phrase: np.ndarray  # (76,)
    mft_gold: np.ndarray

    @property
    def N(self) -> int:
        return len(self.gold)


def group_sizes(G: int) -> np.ndarray:
    if G == 19:
        return np.array([1] * 14 + [2] * 4 + [3])
    n2, n3 = round(G * 4 / 19), round(G * 1 / 19)
    return np.array([1] * (G - n2 - n3) + [2] * n2 + [3] * n3)


def layout(rng: np.random.Generator, G: int, prevalence=PREV, fixed_gold: bool = True) -> Layout:
    sizes = group_sizes(G)
    group = np.repeat(np.arange(G), sizes)
    N = len(group)
    if G == 19 and fixed_gold:
        gold = rng.permutation(np.repeat(np.arange(L), [9, 3, 4, 9]))
    else:
        gold = rng.choice(L, size=N, p=prevalence)
    n_dir = rng.random(N) < 0.8
    case_item = np.concatenate([np.repeat(np.arange(N), 4), np.flatnonzero(n_dir)])
    case_dir = np.concatenate([np.zeros(4 * N, bool), np.ones(int(n_dir.sum()), bool)])
    flip = np.array([1, 0, 3, 3])  # support <-> condemn, skeptical -> fact, fact -> fact
    case_gold = np.where(case_dir, flip[gold[case_item]], gold[case_item])
    case_gold = np.where(case_dir & (case_gold == gold[case_item]), 0, case_gold)
    mft_phrase = np.repeat(np.arange(len(MFT_LABELS)), MFT_TARGETS)
    return Layout(
        G, group, gold, case_item, case_gold, case_dir, mft_phrase, MFT_LABELS[mft_phrase]
    )


@dataclass(frozen=True)
class Shared:
    """Effects shared by every model (hard sentences are hard for all)."""

    u: np.ndarray  # (G,)
    e: np.ndarray  # (N,)
    e_case: np.ndarray  # (Nc,)
    u_phrase: np.ndarray  # (19,)


def shared(rng: np.random.Generator, lay: Layout, sd_cluster: float = SD_SHARED_CLUSTER) -> Shared:
    return Shared(
        sd_cluster * rng.standard_normal(lay.G),
        SD_SHARED_ITEM * rng.standard_normal(lay.N),
        0.5 * rng.standard_normal(len(lay.case_item)),
        sd_cluster * rng.standard_normal(len(MFT_LABELS)),
    )


@dataclass(frozen=True)
class RunPreds:
    cv: np.ndarray  # (R, N)
    ct: np.ndarray  # (N,)
    con: np.ndarray  # (Nc,)
    mft: np.ndarray  # (76,)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def draw_run(
    rng: np.random.Generator, lay: Layout, sh: Shared, mu: float, repeats: int = REPEATS
) -> RunPreds:
    G, N = lay.G, lay.N
    a, b = np.sqrt(RHO_VIEW), np.sqrt(1 - RHO_VIEW)
    common_g, common_i = rng.standard_normal(G), rng.standard_normal(N)
    wrong_item = (lay.gold + 1 + rng.integers(0, L - 1, N)) % L

    def own() -> np.ndarray:
        g = a * common_g + b * rng.standard_normal(G)
        i = a * common_i + b * rng.standard_normal(N)
        return SD_OWN_CLUSTER * g[lay.group] + SD_OWN_ITEM * i

    base = sh.u[lay.group] + sh.e
    p = _sig(mu + VIEW_MU["cv"] + base + own())
    right = rng.random((repeats, N)) < p
    copy = rng.random((repeats, N)) < COPY
    copy[0] = False
    right = np.where(copy, right[0], right)
    cv = np.where(right, lay.gold, wrong_item)
    p = _sig(mu + VIEW_MU["cross_target"] + base + own())
    right_ct = np.where(rng.random(N) < VIEW_COPY, right[0], rng.random(N) < p)
    ct = np.where(right_ct, lay.gold, wrong_item)
    src = lay.case_item
    o = own()
    p = _sig(mu + VIEW_MU["contrast"] + base[src] + o[src] + sh.e_case)
    wrong = (lay.case_gold + 1 + rng.integers(0, L - 1, len(src))) % L
    same = ~lay.case_dir & (rng.random(len(src)) < VIEW_COPY)  # invariance: like its source
    right_con = np.where(same, right[0][src], rng.random(len(src)) < p)
    con = np.where(right_con, lay.case_gold, wrong)
    nP = len(MFT_LABELS)
    own_phrase = np.hypot(SD_OWN_CLUSTER, SD_OWN_ITEM) * rng.standard_normal(nP)
    p = _sig(mu + VIEW_MU["mft"] + sh.u_phrase + own_phrase)
    phrase_pred = np.where(
        rng.random(nP) < p, MFT_LABELS, (MFT_LABELS + 1 + rng.integers(0, L - 1, nP)) % L
    )
    ph = lay.mft_phrase
    fresh_right = rng.random(len(ph)) < p[ph]
    fresh = np.where(
        fresh_right, lay.mft_gold, (lay.mft_gold + 1 + rng.integers(0, L - 1, len(ph))) % L
    )
    mft = np.where(rng.random(len(ph)) < MFT_COPY, phrase_pred[ph], fresh)
    return RunPreds(cv, ct, con, mft)


def _counts(unit, gold, pred, U) -> np.ndarray:
    code = (np.ravel(unit) * L + np.ravel(gold)) * L + np.ravel(pred)
    return np.bincount(code.ravel(), minlength=U * L * L).reshape(U, L, L).astype(np.float64)


def view_counts(lay: Layout, r: RunPreds, view: str, mft_grouped: bool = True) -> np.ndarray:
    """Counts (U, L, L) of one view: sentence groups 0..G-1, then (contrast) the MFT groups
    (phrases, or one per case when not ``mft_grouped``)."""
    G = lay.G
    if view == "cv":
        R = r.cv.shape[0]
        return _counts(np.tile(lay.group, R), np.tile(lay.gold, R), r.cv, G)
    nM = len(lay.mft_phrase)
    mu = lay.mft_phrase if mft_grouped else np.arange(nM)
    U = G + (len(MFT_LABELS) if mft_grouped else nM)
    unit = np.concatenate([lay.group[lay.case_item], G + mu])
    gold = np.concatenate([lay.case_gold, lay.mft_gold])
    pred = np.concatenate([r.con, r.mft])
    return _counts(unit, gold, pred, U)


def score_counts(lay: Layout, r: RunPreds) -> np.ndarray:
    """(U, 4, L, L) counts of the rank score's components over G + 19 units."""
    G, U = lay.G, lay.G + len(MFT_LABELS)
    out = np.zeros((U, 4, L, L))
    out[:G, 0] = _counts(lay.group, lay.gold, r.ct, G)
    g = lay.group[lay.case_item]
    for c, mask in ((1, ~lay.case_dir), (2, lay.case_dir)):
        out[:G, c] = _counts(g[mask], lay.case_gold[mask], r.con[mask], G)
    out[G:, 3] = _counts(lay.mft_phrase, lay.mft_gold, r.mft, len(MFT_LABELS))
    return out


def _se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-12) / n))


def _rate(p: float, n: int) -> str:
    return f"{p:.3f} ({_se(p, n):.3f})"


# ------------------------------------------------------------------------ section tiers
def leader_vs_each(est: np.ndarray, rep: np.ndarray, G: int) -> np.ndarray:
    """The tiers bench.ranking used before issue 24, kept for contrast: the leader and
    every run not significantly different from it (expanded-percentile bootstrap p of the
    paired delta, unadjusted) share a tier; the rest are tiered the same way."""
    from bench.stats import replicates

    order = list(np.argsort(-est, kind="stable"))
    tier = np.zeros(len(est), dtype=np.int64)
    t = 1
    while order:
        lead, rest = order[0], order[1:]
        members = [lead]
        for r in rest:
            d = replicates(rep[:, r] - rep[:, lead], float(est[r] - est[lead]), n_clusters=G)
            if est[r] == est[lead] or d.p_value() >= ALPHA:
                members.append(r)
        for r in members:
            tier[r] = t
        order = [r for r in rest if r not in members]
        t += 1
    return tier


TIER_PROCS = {
    "before": "before: leader vs each, unadjusted bootstrap p",
    "shipped": "shipped: bench.ranking.permutation_tiers",
}


def task_tiers(G, K, scenario, reps, seed, shift, n_perm, n_boot=1000):
    from bench.ranking import permutation_tiers

    rng = np.random.default_rng(seed)
    res = {k: {"split": 0, "sep": 0, "split_eq": 0, "nonmono": 0} for k in TIER_PROCS}
    gains, t0 = [], time.process_time()
    for _ in range(reps):
        lay = layout(rng, G)
        sh = shared(rng, lay)
        counts = []
        for j in range(K):
            mu = MU + (shift if (scenario == "one-better" and j == 0) else 0.0)
            counts.append(score_counts(lay, draw_run(rng, lay, sh, mu, repeats=1)))
        C = np.stack(counts, axis=1)  # (U, K, 4, L, L)
        U = C.shape[0]
        est = rank_score(C.sum(axis=0))
        idx = rng.integers(0, U, size=(n_boot, U)) + U * np.arange(n_boot)[:, None]
        w = np.bincount(idx.ravel(), minlength=n_boot * U).reshape(n_boot, U).astype(float)
        rep = rank_score((w @ C.reshape(U, -1)).reshape(n_boot, K, 4, L, L))
        if scenario == "one-better":
            gains.append(est[0] - est[1:].mean())
        tiers = {
            "before": leader_vs_each(est, rep, U),
            "shipped": permutation_tiers(C, rank_score, n_perm=n_perm, rng=rng).tier,
        }
        order = np.argsort(-est, kind="stable")
        for name, tr in tiers.items():
            r = res[name]
            r["split"] += int(tr.max() > 1)
            r["nonmono"] += int(np.any(np.diff(tr[order]) < 0))
            if scenario == "one-better":
                r["sep"] += int(np.all(tr[1:] > tr[0]))
                r["split_eq"] += int(len(set(tr[1:].tolist())) > 1)
    rates = {k: {kk: vv / reps for kk, vv in v.items()} for k, v in res.items()}
    gain = float(np.mean(gains)) if gains else 0.0
    return {"rates": rates, "gain": gain, "U": U, "reps": reps, "cpu": time.process_time() - t0}


def cells_tiers(args, seeds):
    r_null = args.reps or (100 if args.quick else 500)
    r_alt = args.reps or (50 if args.quick else 150)
    out = {}
    for G in (19, 100):
        for K in (5, 10):
            out["null", G, K] = (task_tiers, (G, K, "equal", r_null, next(seeds), 0.0, args.n_perm))
            shift = 1.5 if G == 19 else 0.6
            out["alt", G, K] = (
                task_tiers,
                (G, K, "one-better", r_alt, next(seeds), shift, args.n_perm),
            )
    return out


def table_tiers(res, args) -> str:
    lines = [
        f"### Tiers: split rate of equal runs (alpha {ALPHA}; bound {ALPHA} + 2 MC s.e.), and "
        f"one better run (permutations R = {args.n_perm})",
        "",
        "| groups (units) | runs | procedure | equal runs split | non-monotone | one better: "
        "separated from all | one better: equal runs split |",
        "|---|---|---|---|---|---|---|",
    ]
    for G in (19, 100):
        for K in (5, 10):
            null, alt = res["null", G, K], res["alt", G, K]
            for name, label in TIER_PROCS.items():
                a, b = null["rates"][name], alt["rates"][name]
                lines.append(
                    f"| {G} ({null['U']}) | {K} | {label} | {_rate(a['split'], null['reps'])} | "
                    f"{a['nonmono']:.3f} | {_rate(b['sep'], alt['reps'])} | "
                    f"{_rate(b['split_eq'], alt['reps'])} |"
                )
        gain = np.mean([res["alt", G, K]["gain"] for K in (5, 10)])
        lines.append(f"| {G} | | (one better: its rank-score gain {gain:.3f}) | | | | |")
    return "\n".join(lines)


# -------------------------------------------------------------------------- section mft
def task_mft(G, reps, seed):
    """Type-I error at alpha of the contrast row (pooled macro-F1), equal models, MFT cases
    one group each vs grouped by (capability, phrase): the gate's bootstrap (expanded) and
    the cluster sign-flip test (bench.stats.permutation_test)."""
    from bench.stats import PairedCounts, bootstrap_delta

    rng = np.random.default_rng(seed)
    rej = {(g, t): 0 for g in ("per case", "per phrase") for t in ("bootstrap", "sign-flip")}
    ratio = []
    for _ in range(reps):
        lay = layout(rng, G)
        sh = shared(rng, lay)
        b, c = draw_run(rng, lay, sh, MU), draw_run(rng, lay, sh, MU)
        sds = {}
        for grouped, name in ((False, "per case"), (True, "per phrase")):
            pair = PairedCounts(
                view_counts(lay, b, "contrast", grouped), view_counts(lay, c, "contrast", grouped)
            )
            seed_ = int(rng.integers(2**63))
            boot = bootstrap_delta(pair, macro_f1, n_boot=N_BOOT_GATE, rng=seed_)
            sds[name] = float(boot.values.std())
            rej[name, "bootstrap"] += int(boot.p_value() < ALPHA)
            flip = permutation_test(pair, macro_f1, n_perm=N_BOOT_GATE - 1, rng=seed_ + 1)
            rej[name, "sign-flip"] += int(flip.p_value <= ALPHA)
        if sds["per case"] > 0:
            ratio.append(sds["per phrase"] / sds["per case"])
    return {
        "rates": {k: v / reps for k, v in rej.items()},
        "se_ratio": float(np.median(ratio)),
        "reps": reps,
        "units": {"per case": G + len(lay.mft_phrase), "per phrase": G + len(MFT_LABELS)},
    }


def cells_mft(args, seeds):
    r = args.reps or (300 if args.quick else 2000)
    return {("mft", G): (task_mft, (G, r, next(seeds))) for G in (19, 100)}


def table_mft(res, args) -> str:
    lines = [
        f"### MFT grouping: contrast row (pooled macro-F1), equal models, type-I error at {ALPHA}",
        "",
        "| sentence groups | MFT cases grouped | units | bootstrap, expanded (B = 2000) | "
        "cluster sign flip (R = 1999) | bootstrap s.e. vs one group per case |",
        "|---|---|---|---|---|---|",
    ]
    for G in (19, 100):
        r = res["mft", G]
        n = r["reps"]
        for g, label in (
            ("per case", "one group per case (before)"),
            ("per phrase", "by (capability, phrase)"),
        ):
            ratio = "1" if g == "per case" else f"x{r['se_ratio']:.2f} (median)"
            lines.append(
                f"| {G} | {label} | {r['units'][g]} | {_rate(r['rates'][g, 'bootstrap'], n)} | "
                f"{_rate(r['rates'][g, 'sign-flip'], n)} | {ratio} |"
            )
    return "\n".join(lines)


# -------------------------------------------------------------------------- section bca
BCA_MODELS = ("uniform", "unequal", "unequal+correlated")


def task_bca(G, model, reps, seed, truth_seed, n_boot=1000):
    """Coverage of the nominal 95% BCa interval of one run's cv macro-F1 and how often a
    side is beyond the resamples (open), at B = n_boot and as shipped
    (bench.stats.interval_rounds: 5000 below 50 groups); an open side counts as unbounded."""
    from bench.stats import bootstrap_metric, interval_rounds, open_sides, rounds_to_close

    rng = np.random.default_rng(seed)
    prev = np.full(L, 0.25) if model == "uniform" else PREV
    sd_c = 1.5 if model == "unequal+correlated" else SD_SHARED_CLUSTER
    rho_l = 0.5 if model == "unequal+correlated" else 0.0

    def sample(r, G_):
        lay = layout(r, G_, prevalence=prev, fixed_gold=False)
        if rho_l > 0:  # labels correlated within a sentence group
            tend = r.choice(L, size=G_, p=prev)
            gold = np.where(r.random(lay.N) < rho_l, tend[lay.group], lay.gold)
            lay = replace(lay, gold=gold)
        sh = shared(r, lay, sd_cluster=sd_c)
        return view_counts(lay, draw_run(r, lay, sh, MU), "cv")

    big = sample(np.random.default_rng(truth_seed), 20000)  # one truth per data model
    truth = float(macro_f1(big.sum(0)[None])[0])
    cover = {"fixed": 0, "shipped": 0}
    opened = {"fixed": 0, "shipped": 0}
    need = []
    for _ in range(reps):
        cnt = sample(rng, G)
        seed_ = int(rng.integers(2**63))
        for rule, B in (("fixed", n_boot), ("shipped", interval_rounds(n_boot, G))):
            reps_ = bootstrap_metric(cnt, macro_f1, n_boot=B, rng=seed_, method="bca")
            iv = reps_.interval(0.95)
            cover[rule] += int(iv.low <= truth <= iv.high)  # an open side is +-inf
            opened[rule] += int(bool(open_sides(iv)))
            if rule == "fixed":
                k = rounds_to_close(reps_, 0.95)
                need.append(np.inf if k is None else k)
    need_ = np.array(need)
    return {
        "cover": {k: v / reps for k, v in cover.items()},
        "open": {k: v / reps for k, v in opened.items()},
        "need_q": [float(np.quantile(need_, q)) for q in (0.95, 0.99)],
        "never": float(np.mean(~np.isfinite(need_))),
        "reps": reps,
        "B": interval_rounds(n_boot, G),
    }


def cells_bca(args, seeds):
    r = args.reps or (200 if args.quick else 600)
    truth = {m: next(seeds) for m in BCA_MODELS}
    return {
        ("bca", m, G): (task_bca, (G, m, r, next(seeds), truth[m]))
        for m in BCA_MODELS
        for G in (19, 30, 50, 100)
    }


def table_bca(res, args) -> str:
    Gs = (19, 30, 50, 100)
    n = res["bca", BCA_MODELS[0], Gs[0]]["reps"]
    lines = [
        f"### BCa: one run's cv macro-F1, nominal 95% ({n} runs per cell, MC s.e. ~"
        f"{_se(0.95, n):.3f})",
        "",
        "| data model | quantity | " + " | ".join(f"{G} groups" for G in Gs) + " |",
        "|---|---|" + "---|" * len(Gs),
    ]
    for m in BCA_MODELS:
        cells = [res["bca", m, G] for G in Gs]
        rows = [
            (
                "coverage, as shipped (open side unbounded)",
                [f"{c['cover']['shipped']:.3f}" for c in cells],
            ),
            ("coverage, B = 1000", [f"{c['cover']['fixed']:.3f}" for c in cells]),
            ("a side open, B = 1000", [f"{c['open']['fixed']:.3f}" for c in cells]),
            (
                "a side open, as shipped (B)",
                [f"{c['open']['shipped']:.3f} ({c['B']})" for c in cells],
            ),
            (
                "B that bounds both sides, 95th / 99th pct",
                [f"{c['need_q'][0]:.0f} / {c['need_q'][1]:.0f}" for c in cells],
            ),
        ]
        for q, vals in rows:
            lines.append(f"| {m} | {q} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def run_cells(jobs: dict, workers: int) -> dict:
    with ProcessPoolExecutor(workers) as pool:
        futures = {k: pool.submit(f, *a) for k, (f, a) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


def section_tiers(args, seed: np.random.SeedSequence) -> str:
    return table_tiers(run_cells(cells_tiers(args, iter(seed.spawn(64))), args.workers), args)


def section_mft(args, seed: np.random.SeedSequence) -> str:
    return table_mft(run_cells(cells_mft(args, iter(seed.spawn(64))), args.workers), args)


def section_bca(args, seed: np.random.SeedSequence) -> str:
    return table_bca(run_cells(cells_bca(args, iter(seed.spawn(64))), args.workers), args)


# name -> (the function, a fixed number that seeds it with --seed): a section prints the
# same numbers alone or with others. Sections of other issues register here too.
SECTIONS = {
    "tiers": (section_tiers, 373767074),
    "mft": (section_mft, 3682728037),
    "bca": (section_bca, 3229069302),
    **GATE_SECTIONS,  # fwer, power, repeats, mde, maxdrop, ci, reference (stats_sim_gate.py)
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and sizes (about a minute)")
    ap.add_argument("--reps", type=int, help="simulated runs per size and scenario")
    ap.add_argument("--n-boot", type=int, help="bootstrap resamples and permutation rounds")
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--seed-effect", type=float, default=0.20, help="gain at <100 clusters")
    ap.add_argument("--effect", type=float, default=0.05, help="gain at >=100 clusters")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--only", help=f"run these sections instead (comma-separated: {', '.join(SECTIONS)})"
    )
    ap.add_argument("--n-perm", type=int, default=199, help="tiers: label permutations per table")
    ap.add_argument(
        "--procs",
        default=",".join(GATE_PROCS),
        help="gate sections: the deciders simulated (before, maxt, tarone-holm)",
    )
    ap.add_argument(
        "--reference",
        default=str(Path(__file__).resolve().parents[1] / "results" / "reference"),
        help="section reference: the committed reference runs",
    )
    args = ap.parse_args(argv)
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - set(SECTIONS))
        if unknown:
            ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
        for name in names:
            fn, index = SECTIONS[name]
            t0 = time.perf_counter()
            print(fn(args, np.random.SeedSequence([args.seed, index])))
            mode = ", --quick" if args.quick else ""
            print(f"\n({name}: {time.perf_counter() - t0:.0f} s wall{mode}, seed {args.seed})\n")
        return
    sizes = {g: SIZES[g] for g in (19, 50, 500)} if args.quick else SIZES
    reps = args.reps or (200 if args.quick else 600)
    n_boot = args.n_boot or (500 if args.quick else 1000)
    results = run(sizes, reps, n_boot, args.seed, args.seed_effect, args.effect, args.workers)
    print(tables(results, sizes, reps, n_boot))


if __name__ == "__main__":
    main()
