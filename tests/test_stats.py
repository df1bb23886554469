"""bench.stats: the family decider (exact sign flips against enumeration by hand and the
clustered McNemar, Tarone and Westfall-Young against hand computations, the family's level
checked exactly over a whole orbit), intervals, Holm, cluster tests, MDE."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as sps

from bench.metrics import scores
from bench.stats import (
    MIN_DISCORDANT,
    TIE_TOL,
    FamilyRow,
    PairedCounts,
    align_units,
    all_flips,
    bootstrap_delta,
    bootstrap_floor,
    bootstrap_metric,
    bootstrap_rounds_for,
    bootstrap_unpaired_delta,
    cluster_mcnemar,
    family_row,
    flip_family,
    flip_mde,
    group_counts,
    holm,
    holm_intervals,
    maxt_critical,
    maxt_stepdown,
    minimum_detectable_effect,
    nadeau_bengio,
    paired_counts,
    permutation_test,
    replicates,
    sign_flip_test,
    tarone_holm,
    tarone_k,
)

L = 4


def macro_f1(cms):
    return scores(cms, [0, 1])["macro_f1"]


def accuracy(cms):
    return scores(cms, [0, 1])["accuracy"]


def rows(rng, n_items, n_groups, p_base, p_cand):
    groups = np.concatenate([np.arange(n_groups), rng.integers(0, n_groups, n_items - n_groups)])
    gold = rng.integers(0, L, n_items)
    base = np.where(rng.random(n_items) < p_base, gold, rng.integers(0, L, n_items))
    cand = np.where(rng.random(n_items) < p_cand, gold, rng.integers(0, L, n_items))
    return groups, gold, base, cand


def test_group_counts_and_pairs():
    pair = paired_counts(["b", "a", "b"], [0, 1, 1], [0, 1, 0], [0, 0, 1], 2)
    assert pair.base.shape == (2, 2, 2) and pair.n_clusters == 2
    assert pair.base[0].tolist() == [[0, 0], [0, 1]]  # group "a"
    assert pair.cand[1].tolist() == [[1, 0], [0, 1]]  # group "b"
    assert pair.n_discordant == 2
    with pytest.raises(ValueError):
        PairedCounts(np.zeros((2, 2, 2)), np.zeros((3, 2, 2)))


@pytest.mark.parametrize("method", ["percentile", "bca", "expanded"])
def test_interval_excludes_zero_iff_p_below_level(method):
    rng = np.random.default_rng(0)
    for case in range(40):
        n = int(rng.integers(6, 40))
        g, gold, b, c = rows(rng, n, max(2, n // 2), 0.6, float(rng.uniform(0.55, 0.95)))
        if case % 4 == 0:  # mostly identical runs: many resampled deltas exactly 0
            c = b.copy()
            c[0] = gold[0]
        reps = bootstrap_delta(
            paired_counts(g, gold, b, c, L), macro_f1, n_boot=199, rng=case, method=method
        )
        p = reps.p_value()
        levels = list(rng.uniform(0.001, 0.5, 30)) + [p, float(np.nextafter(p, 1)), 0.05]
        for a in levels:
            if 0 < a < 1:
                ci = reps.interval(1 - a)
                assert ci.excludes_zero == (p < 1 - ci.level), (case, a, p)


def test_identical_runs_never_significant():
    rng = np.random.default_rng(1)
    g, gold, b, _ = rows(rng, 30, 10, 0.6, 0.6)
    reps = bootstrap_delta(paired_counts(g, gold, b, b, L), macro_f1, n_boot=99, rng=0)
    assert np.all(reps.values == 0) and reps.p_value() == 1.0
    assert not reps.interval(0.5).excludes_zero


@pytest.mark.parametrize("method", ["percentile", "bca", "expanded"])
def test_deltas_within_the_tie_tolerance_count_as_zero(method):
    """Float noise below TIE_TOL (sums of the same counts in another order) is a tie: it
    never makes a difference significant; a shift just above it does."""
    rng = np.random.default_rng(3)
    noise = rng.uniform(0.1, 0.9, 999) * TIE_TOL  # all positive, all within the tolerance
    tied = replicates(noise, float(noise.mean()), method=method, n_clusters=30)
    assert tied.p_value() == 1.0 and not tied.interval(0.5).excludes_zero
    shifted = replicates(noise + 2 * TIE_TOL, float(noise.mean() + 2 * TIE_TOL), n_clusters=30)
    assert shifted.p_value() < 0.01 and shifted.interval(0.95).excludes_zero


def test_holm_hand_computed():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*.005, 3*.01, 2*.03, max(.06, 1*.04)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([0.02]) == pytest.approx([0.02])


def test_holm_intervals_exclude_zero_iff_adjusted_p_below_alpha():
    rng = np.random.default_rng(2)
    for family in range(25):
        m = int(rng.integers(1, 6))
        reps = []
        for j in range(m):
            g, gold, b, c = rows(rng, 40, 15, 0.6, float(rng.uniform(0.5, 0.95)))
            method = ("percentile", "bca", "expanded")[(family + j) % 3]
            pair = paired_counts(g, gold, b, c, L)
            reps.append(bootstrap_delta(pair, macro_f1, n_boot=199, rng=j, method=method))
        alpha = float(rng.choice([0.01, 0.05, 0.1, 0.2]))
        for d in holm_intervals(reps, alpha):
            assert d.interval.excludes_zero == (d.p_adjusted < alpha) == d.significant
            assert d.interval.level == pytest.approx(1 - d.alpha_row, abs=1e-15)
            assert d.alpha_row <= alpha + 1e-15


def test_cluster_permutation_invariant_to_copying_repeats():
    rng = np.random.default_rng(3)
    g, gold, b, c = rows(rng, 60, 20, 0.55, 0.8)
    one = permutation_test(paired_counts(g, gold, b, c, L), macro_f1, n_perm=999, rng=5)
    five = paired_counts(np.tile(g, 5), np.tile(gold, 5), np.tile(b, 5), np.tile(c, 5), L)
    copied = permutation_test(five, macro_f1, n_perm=999, rng=5)
    assert copied.p_value == pytest.approx(one.p_value, abs=1e-9)
    assert copied.delta == pytest.approx(one.delta)
    same = permutation_test(paired_counts(g, gold, b, b, L), macro_f1, n_perm=99, rng=0)
    assert same.p_value == 1.0


def test_mcnemar_singletons_is_exact():
    rng = np.random.default_rng(4)
    rb, rc = rng.random(50) < 0.6, rng.random(50) < 0.75
    res = cluster_mcnemar(rb, rc, np.arange(50))
    b, c = int(np.sum(rb & ~rc)), int(np.sum(~rb & rc))
    assert res.method == "exact"
    assert res.p_value == pytest.approx(sps.binomtest(min(b, c), b + c, 0.5).pvalue)


def _clustered_items(dk):
    """Items realising per-cluster (b_k, c_k), plus one concordant item per cluster."""
    k, rb, rc = [], [], []
    for i, (bk, ck) in enumerate(dk):
        for right_b, right_c, n in ((True, False, bk), (False, True, ck), (True, True, 1)):
            k += [i] * n
            rb += [right_b] * n
            rc += [right_c] * n
    return np.array(rb), np.array(rc), np.array(k)


def test_mcnemar_clustered_exact_hand_computed():
    # (b_k, c_k) = A (2, 0), B (0, 1), C (1, 1), D (0, 3), E (0, 0): d = 2, -1, -3 (C, E
    # drop out); sum = -2; |±2 ±1 ±3| over the 8 flips: 6, 0, 4, 2, 2, 4, 0, 6 -> 6/8 >= 2
    res = cluster_mcnemar(*_clustered_items([(2, 0), (0, 1), (1, 1), (0, 3), (0, 0)]))
    assert res.method == "clustered-exact"
    assert res.statistic == -2 and res.p_value == pytest.approx(6 / 8)
    assert res.n_discordant == 8 and res.n_clusters == 5


def test_mcnemar_clustered_chi_square_hand_computed():
    # 17 clusters with d_k = (b_k - c_k): eight of +2 (2, 0), nine of -1 (0, 1)
    dk = [(2, 0)] * 8 + [(0, 1)] * 9
    res = cluster_mcnemar(*_clustered_items(dk))
    # sum d = 16 - 9 = 7; sum d^2 = 32 + 9 = 41; X^2 = 49 / 41
    assert res.method == "clustered"
    assert res.statistic == pytest.approx(49 / 41)
    assert res.p_value == pytest.approx(sps.chi2.sf(49 / 41, 1))


def test_mcnemar_clustered_exact_is_binomial_with_one_discordant_item_per_cluster():
    res = cluster_mcnemar(*_clustered_items([(1, 0)] * 7 + [(0, 1)] * 2))
    assert res.method == "clustered-exact"
    assert res.p_value == pytest.approx(sps.binomtest(2, 9, 0.5).pvalue)


def test_nadeau_bengio_formula():
    b = np.array([0.61, 0.58, 0.64, 0.60, 0.57, 0.63])
    c = np.array([0.65, 0.60, 0.66, 0.61, 0.62, 0.64])
    res = nadeau_bengio(b, c, n_train=200, n_test=100)
    d = c - b
    t = d.mean() / math.sqrt((1 / 6 + 100 / 200) * d.var(ddof=1))
    assert res is not None and res.df == 5
    assert res.statistic == pytest.approx(t)
    assert res.p_value == pytest.approx(2 * sps.t.sf(abs(t), 5))
    assert nadeau_bengio(b[:1], c[:1], n_train=2, n_test=1) is None
    flat = nadeau_bengio(b, b + 0.01, n_train=2, n_test=1)
    assert flat is not None and flat.p_value == 0.0


def test_unpaired_mde_uses_the_deciders_critical_value_and_refuses_few_groups():
    none = minimum_detectable_effect(0.02, alpha=0.05, n_clusters=MIN_DISCORDANT - 1)
    assert none.value is None and "not meaningful" in none.reason
    level, G = 0.05 / 3, 19
    mde = minimum_detectable_effect(0.02, alpha=level, n_clusters=G)
    crit = math.sqrt(G / (G - 1)) * sps.t.ppf(1 - level / 2, G - 1)
    assert mde.value == pytest.approx((crit + sps.norm.ppf(0.8)) * 0.02) and mde.alpha == level


def _mean_counts(x):
    """Per-cluster 'counts' whose metric is the mean of x: cell [0,0] = x, [0,1] = 1."""
    c = np.zeros((len(x), 2, 2))
    c[:, 0, 0], c[:, 0, 1] = x, 1.0
    return c


def _mean(cms):
    return cms[:, 0, 0] / cms[:, 0, 1]


def test_bca_matches_scipy_on_a_mean():
    x = np.random.default_rng(6).exponential(1.0, 40)  # skewed: BCa differs from percentile
    ours = bootstrap_metric(_mean_counts(x), _mean, n_boot=20000, rng=1, method="bca").interval(0.9)
    ref = sps.bootstrap((x,), np.mean, confidence_level=0.9, n_resamples=20000, method="BCa",
                        random_state=2).confidence_interval  # fmt: skip
    sd = x.std() / math.sqrt(len(x))
    assert ours.low == pytest.approx(ref.low, abs=0.05 * sd)
    assert ours.high == pytest.approx(ref.high, abs=0.05 * sd)
    pct = bootstrap_metric(_mean_counts(x), _mean, n_boot=20000, rng=1, method="percentile")
    pct = pct.interval(0.9)
    assert (ours.low - pct.low) > 0.05 * sd  # skewness moves BCa up
    assert ours.level == 0.9 and ours.method == "bca" and ours.n_clusters == 40


def test_percentile_endpoints_are_order_statistics():
    x = np.random.default_rng(7).normal(size=30)
    reps = bootstrap_metric(_mean_counts(x), _mean, n_boot=999, rng=0, method="percentile")
    ci = reps.interval(0.9)  # k = smallest with (k + 1) / 1000 >= 0.05 -> 49
    assert ci.low == reps.values[48] and ci.high == reps.values[999 - 49]
    assert ci.few_clusters


def test_group_counts_sum():
    g = group_counts(["x", "y", "x"], [0, 1, 2], [0, 2, 2], 3)
    assert g.shape == (2, 3, 3) and g.sum() == 3 and g[0].trace() == 2


def test_expanded_percentile_tail_formula():
    x = np.random.default_rng(8).normal(size=12)
    reps = bootstrap_metric(_mean_counts(x), _mean, n_boot=1999, rng=0, method="expanded")
    G, a = 12, 0.05
    tau = sps.norm.cdf(math.sqrt(G / (G - 1)) * sps.t.ppf(a / 2, G - 1))
    k = math.ceil(tau * 2000) - 1  # smallest k with (k + 1) / (B + 1) >= tau
    ci = reps.interval(1 - a)
    assert ci.low == reps.values[k - 1] and ci.high == reps.values[1999 - k]
    pct = replace(reps, method="percentile").interval(1 - a)
    assert ci.low < pct.low and ci.high > pct.high  # wider at few clusters


@pytest.mark.parametrize("method", ["percentile", "bca", "expanded"])
def test_holm_interval_at_the_boundary(method):
    rng = np.random.default_rng(9)
    g, gold, b, c = rows(rng, 40, 15, 0.6, 0.85)
    reps = bootstrap_delta(
        paired_counts(g, gold, b, c, L), macro_f1, n_boot=199, rng=0, method=method
    )
    p = reps.p_value()
    for alpha in (p, float(np.nextafter(p, 1)), 2 * p, float(np.nextafter(2 * p, 1))):
        for d in holm_intervals([reps, reps], alpha) + holm_intervals([reps], alpha):
            assert d.interval.excludes_zero == d.significant == (d.p_adjusted < alpha)


def test_unpaired_delta_is_centred_on_the_difference():
    rng = np.random.default_rng(10)
    g, gold, b, c = rows(rng, 200, 60, 0.5, 0.9)
    pair = paired_counts(g, gold, b, c, L)
    reps = bootstrap_unpaired_delta(pair.base, pair.cand[:40], accuracy, n_boot=999, rng=0)
    assert reps.n_clusters == 40
    assert reps.interval(0.95).low < reps.estimate < reps.interval(0.95).high
    assert reps.p_value() < 0.01


# ---------------------------------------------------------------- the family decider
def a_row(seed, n_items=24, n_groups=8, pb=0.6, pc=0.8, metric=macro_f1) -> FamilyRow:
    g, gold, b, c = rows(np.random.default_rng(seed), n_items, n_groups, pb, pc)
    return family_row(paired_counts(g, gold, b, c, L), np.arange(n_groups), metric)


def brute_force_p(row: FamilyRow) -> float:
    """Swap base/cand in every subset of clusters, recompute the metric from scratch."""
    d0 = row.delta
    G = row.base.shape[0]
    hits = total = 0
    for swap in itertools.product([False, True], repeat=G):
        s = np.array(swap)[:, None, None]
        b = np.where(s, row.cand, row.base).sum(axis=0)[None]
        c = np.where(s, row.base, row.cand).sum(axis=0)[None]
        d = float(row.metric(c)[0] - row.metric(b)[0])
        hits += abs(d) >= abs(d0) - 1e-12
        total += 1
    return hits / total


# ------------------------------------------------------------------- one row, exact
def test_sign_flip_on_accuracy_is_the_clustered_exact_mcnemar():
    # test_stats' hand computation: d = 2, -1, -3 over 3 discordant clusters -> p = 6/8
    rb, rc, k = _clustered_items([(2, 0), (0, 1), (1, 1), (0, 3), (0, 0)])
    gold = np.zeros(len(k), dtype=int)
    pair = paired_counts(k, gold, np.where(rb, 0, 1), np.where(rc, 0, 1), 2)
    row = family_row(pair, np.arange(5), lambda c: scores(c, [0])["accuracy"])
    t = sign_flip_test(row)
    assert t.method == "exact" and t.n_flips == 2**3  # C (1, 1) has equal counts in both runs
    assert t.p_value == pytest.approx(6 / 8) == pytest.approx(cluster_mcnemar(rb, rc, k).p_value)


@pytest.mark.parametrize("seed", range(4))
def test_exact_sign_flip_of_macro_f1_equals_brute_force(seed):
    row = a_row(seed, n_items=20, n_groups=7)
    t = sign_flip_test(row)
    assert t.method == "exact"
    assert t.p_value == pytest.approx(brute_force_p(row), abs=1e-12)
    assert t.p_min <= t.p_value and t.p_min >= 2 / 2**t.n_discordant - 1e-12


def test_monte_carlo_and_sequential_agree_with_exact_and_with_permutation_test():
    row = a_row(11, n_items=40, n_groups=14, pb=0.55, pc=0.75)
    exact = sign_flip_test(row)
    mc = sign_flip_test(row, max_exact=0, n_flips=20000, rng=1)
    seq = sign_flip_test(row, max_exact=0, n_flips=20000, sequential_hits=200, rng=2)
    se = math.sqrt(exact.p_value * (1 - exact.p_value) / 20000)
    assert mc.method == "monte-carlo" and abs(mc.p_value - exact.p_value) < 4 * se + 1e-4
    assert abs(seq.p_value - exact.p_value) < 0.25 * exact.p_value + 0.01
    old = permutation_test(PairedCounts(row.base, row.cand), macro_f1, n_perm=20000, rng=3)
    assert abs(old.p_value - exact.p_value) < 4 * se + 1e-4


def test_few_discordant_clusters_cannot_reject_and_identical_runs_give_one():
    rng = np.random.default_rng(5)
    g, gold, b, _ = rows(rng, 30, 10, 0.6, 0.6)
    c = b.copy()
    for i in np.flatnonzero(np.isin(g, [0, 1, 2, 3, 4]))[:5]:
        c[i] = gold[i] if b[i] != gold[i] else (gold[i] + 1) % L
    row = family_row(paired_counts(g, gold, b, c, L), np.arange(10), macro_f1)
    t = sign_flip_test(row)
    assert t.n_discordant <= 5 and t.p_min >= 2 / 32 and t.cannot_reject and t.p_value > 0.05
    same = sign_flip_test(family_row(paired_counts(g, gold, b, b, L), np.arange(10), macro_f1))
    assert same.p_value == 1.0 and same.n_discordant == 0


def test_copying_repeats_changes_nothing():
    g, gold, b, c = rows(np.random.default_rng(6), 30, 9, 0.5, 0.8)
    one = sign_flip_test(family_row(paired_counts(g, gold, b, c, L), np.arange(9), macro_f1))
    five = paired_counts(np.tile(g, 5), np.tile(gold, 5), np.tile(b, 5), np.tile(c, 5), L)
    assert sign_flip_test(family_row(five, np.arange(9), macro_f1)).p_value == one.p_value


def test_critical_value_matches_the_p_value():
    t = sign_flip_test(a_row(7, n_items=30, n_groups=10))
    for level in (0.01, 0.03, 0.05, 0.1, 0.2, 0.5):
        c = t.critical(level)
        assert (t.p_value <= level) == (abs(t.delta) > c + 1e-12), level


# -------------------------------------------------------------------- Tarone, Holm
def test_tarone_k_hand_computed():
    # p_min .0005 .001 .02 .03 .2 .5: K=1: 4 rows <= .05 (> 1); K=2: 3 rows <= .025 (> 2);
    # K=3: 2 rows <= .0167 (<= 3) -> K = 3
    assert tarone_k([0.0005, 0.001, 0.02, 0.03, 0.2, 0.5], 0.05) == 3
    assert tarone_k([1.0, 1.0, 0.5], 0.05) == 1
    assert tarone_k([1e-6] * 5, 0.05) == 5


def test_tarone_holm_hand_computed_and_is_holm_when_every_row_can_reject():
    p = np.array([0.004, 0.03, 0.0625, 0.5])
    pmin = np.array([0.0001, 0.0001, 0.0625, 0.0625])  # rows 3, 4: k = 5, cannot reject
    th = tarone_holm(p, pmin, 0.05)
    # step 1: K = 2 (two rows can reach .025), 2 * .004 = .008; step 2: K = 1 -> .03
    assert th.p_adjusted[:2] == pytest.approx([0.008, 0.03])
    assert th.reject(0.05).tolist() == [True, True, False, False] and th.first_k == 2
    q = np.array([0.01, 0.04, 0.03, 0.005])
    assert tarone_holm(q, np.full(4, 1e-9), 0.05).p_adjusted == pytest.approx(holm(q))


# ------------------------------------------------------------------ Westfall-Young
def test_maxt_stepdown_hand_computed():
    t = np.array([3.0, 1.0, 2.0])
    T = np.array([[1.0, 0.5, 2.5], [3.5, 0.2, 0.1], [0.3, 1.2, 0.4], [0.1, 0.1, 2.1]])
    # order rows 0 (3.0), 2 (2.0), 1 (1.0); successive maxima: all rows, rows {2, 1}, {1}
    # row 0: max per flip 2.5 3.5 1.2 2.1 -> one >= 3 -> (1 + 1) / 5
    # row 2: max(T2, T1) 2.5 0.2 1.2 2.1 -> two >= 2 -> 3 / 5
    # row 1: T1 .5 .2 1.2 .1 -> one >= 1 -> 2 / 5, monotone -> 3 / 5
    assert maxt_stepdown(t, T) == pytest.approx([2 / 5, 3 / 5, 3 / 5])
    assert maxt_stepdown(t[:1], T[:, :1]) == pytest.approx([2 / 5])
    # first-step critical at alpha .4: (1 + #{M >= c}) / 5 <= .4 -> at most one M >= c
    assert maxt_critical(T, 0.4) == 2.5


def _exact_maxt_by_hand(rows_, alpha):
    """Enumerate every joint flip of every unit, standardise, max-T single step."""
    U = max(int(r.units.max()) for r in rows_) + 1
    ds = []
    for swap in itertools.product([False, True], repeat=U):
        s = np.array(swap)
        vals = []
        for r in rows_:
            sw = s[r.units][:, None, None]
            b = np.where(sw, r.cand, r.base).sum(0)[None]
            c = np.where(sw, r.base, r.cand).sum(0)[None]
            vals.append(float(r.metric(c)[0] - r.metric(b)[0]))
        ds.append(vals)
    ds = np.array(ds)
    scale = np.sqrt(np.mean(ds**2, axis=0))
    T = np.abs(ds) / scale
    t = np.abs(np.array([r.delta for r in rows_])) / scale
    M = T.max(axis=1)
    return np.array([np.mean(ti * (1 - 1e-9) - 1e-12 <= M) for ti in t])


def test_exact_maxt_family_equals_enumeration_by_hand():
    fam = [a_row(21, 20, 7), a_row(22, 20, 7, pb=0.5, pc=0.9, metric=accuracy)]
    dec = flip_family(fam, alpha=0.05)
    assert all(d.method == "maxt-exact" for d in dec)
    by_hand = _exact_maxt_by_hand(fam, 0.05)
    top = int(np.argmin(by_hand))
    assert dec[top].p_adjusted == pytest.approx(by_hand[top])  # the first step is single-step


def _flip_rows(rows_, s):
    out = []
    for r in rows_:
        sw = s[r.units][:, None, None]
        out.append(
            FamilyRow(np.where(sw, r.cand, r.base), np.where(sw, r.base, r.cand), r.units, r.metric)
        )
    return out


@pytest.mark.parametrize("method", ["maxt", "tarone-holm"])
def test_family_level_is_exact_over_the_whole_orbit(method):
    """Under the null every joint flip of the data is equally likely: the share of the orbit
    on which the family rejects anything is the procedure's conditional FWER (<= alpha)."""
    rng = np.random.default_rng(8)
    G = 7
    base_rows = []
    for _ in range(3):
        g, gold, b, c = rows(rng, 21, G, 0.3, 0.95)  # a big difference in every row
        base_rows.append(family_row(paired_counts(g, gold, b, c, L), np.arange(G), macro_f1))
    alpha = 0.1
    rejections = 0
    for swap in itertools.product([False, True], repeat=G):
        dec = flip_family(_flip_rows(base_rows, np.array(swap)), alpha=alpha, method=method)
        rejections += any(d.significant for d in dec)
    assert rejections / 2**G <= alpha + 1e-12
    assert rejections > 0  # and the orbit is not one that can never reject


def test_printed_interval_excludes_zero_exactly_when_significant():
    rng = np.random.default_rng(40)
    for seed in range(12):
        fam = []
        for _ in range(4):
            g, gold, b, c = rows(rng, 40, 14, 0.6, float(rng.uniform(0.5, 0.98)))
            fam.append(family_row(paired_counts(g, gold, b, c, L), np.arange(14), macro_f1))
        for d in flip_family(fam, alpha=0.1, rng=seed):
            if d.in_family:
                assert (abs(d.delta) > d.critical) == d.significant, (seed, d)


def test_identical_rows_leave_the_family_and_change_nothing():
    r = a_row(30, 60, 20, pb=0.4, pc=0.9)
    g, gold, b, _ = rows(np.random.default_rng(31), 60, 20, 0.6, 0.6)
    same = family_row(paired_counts(g, gold, b, b, L), np.arange(20), macro_f1)
    alone = flip_family([r], rng=0)
    padded = flip_family([r] + [same] * 40, rng=0)
    assert padded[0].p_adjusted == alone[0].p_adjusted and padded[0].significant
    assert all(not d.in_family and d.p_value == 1.0 and d.mde.value is None for d in padded[1:])
    th = flip_family([r] + [same] * 40, method="tarone-holm", rng=0)
    assert th[0].p_adjusted == flip_family([r], method="tarone-holm", rng=0)[0].p_adjusted


def test_shared_units_align_by_label():
    idx, labels = align_units(["a", "c"], ["b", "c", "d"])
    assert labels == ["a", "b", "c", "d"]
    assert idx[0].tolist() == [0, 2] and idx[1].tolist() == [1, 2, 3]


# ------------------------------------------------------------------------- MDE
def test_flip_mde_formula_and_na():
    G, s, d, c = 19, 0.15, -0.3, 2.3
    s0 = math.sqrt(s * s - d * d / G)
    want = (c + sps.norm.ppf(0.8) * math.sqrt(G / (G - 1))) * s0
    assert flip_mde(c, s, d, G, level=0.02).value == pytest.approx(want)
    assert flip_mde(4.5, s, d, G, level=0.001).value is None  # c^2 >= G: never significant
    assert flip_mde(math.inf, s, d, G, level=0.001).value is None
    assert "do not differ" in flip_mde(c, 0, 0, G, level=0.02, n_discordant=0).reason


# ---------------------------------------------------------- bootstrap floor, rounds
def test_bootstrap_floor_is_the_issues_and_rounds_invert_it():
    assert bootstrap_floor(2000, 19) == pytest.approx(0.0049, abs=1e-4)  # issue 24
    assert 11 * bootstrap_floor(2000, 19) > 0.05  # Holm: blind from m = 11
    for G in (19, 38, 100):
        for m in (3, 18, 54):
            B = bootstrap_rounds_for(0.05 / m, G)
            assert bootstrap_floor(B, G) <= 0.05 / m < bootstrap_floor(B - 1, G)


def test_all_flips_enumerates_in_order():
    f = all_flips(3)
    assert f.shape == (8, 3) and f[0].sum() == 0 and f[-1].sum() == 3
    assert len({tuple(r) for r in f.tolist()}) == 8


# ------------------------------------------------- BCa sides beyond the resamples (issue 24)
def _symmetric_bca(B: int, jackknife: np.ndarray):
    """Symmetric replicates around the estimate (z0 = 0) with a given jackknife."""
    from scipy.special import ndtri

    values = ndtri((np.arange(B) + 0.5) / B)
    return replicates(values, 0.0, jackknife, "bca", len(jackknife))


def test_an_open_bca_side_is_named_and_the_rounds_that_close_it_do():
    from bench.stats import open_sides, rounds_to_close

    jk = np.concatenate([np.zeros(18), [-6.0]])  # one influential cluster: large acceleration
    reps = _symmetric_bca(199, jk)
    assert reps.z0 == 0 and reps.acc > 0.1
    iv = reps.interval(0.95)
    sides = open_sides(iv)
    assert sides == ["high"] and iv.high == math.inf and math.isfinite(iv.low)
    need = rounds_to_close(reps, 0.95)
    tau = min(reps._tails(0.05))
    assert need is not None and need == math.floor(1 / tau) and need > 199
    assert open_sides(_symmetric_bca(need, jk).interval(0.95)) == []
    assert open_sides(_symmetric_bca(need - 1, jk).interval(0.95)) == ["high"]
    plain = _symmetric_bca(199, np.zeros(19))  # no acceleration: tails .025, bounded
    assert open_sides(plain.interval(0.95)) == [] and rounds_to_close(plain, 0.95) == 40


def test_interval_rounds_rise_below_min_clusters():
    from bench.stats import FEW_CLUSTERS_ROUNDS, MIN_CLUSTERS, interval_rounds

    assert FEW_CLUSTERS_ROUNDS == 5000 and MIN_CLUSTERS["bca"] == 50
    assert interval_rounds(1000, 19) == 5000 and interval_rounds(1000, 49) == 5000
    assert interval_rounds(1000, 50) == 1000 and interval_rounds(8000, 19) == 8000
    assert interval_rounds(0, 19) == 0  # no intervals asked for
