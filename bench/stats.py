"""Paired tests, intervals, Holm and MDE for comparing runs -> typed results.

Everything here works on **per-cluster confusion counts**: a cluster is a sentence group,
and all its rows of all repeats move together (resampled, permuted, left out together).
``base`` and ``cand`` are arrays (G, L, W) of float counts over the *same* clusters, summed
over repeats (W = L, or L + 1 whose last column counts abstentions); a metric is a
callable ``metric(cms: (n, L, W)) -> (n,)``, e.g.
``lambda c: scores(c, f_idx)["macro_f1"]``. Randomness comes in as ``rng`` (a
``numpy.random.Generator`` or a seed); nothing is seeded at module level, nothing prints.

One procedure decides and gives the interval. For a bootstrap distribution of B
replicates, the interval at level 1 - a has the order statistics d_(k), d_(B+1-k) as
endpoints, where k is the smallest integer with (k + 1) / (B + 1) >= tau(a) and tau(a) is
the method's tail probability (a / 2 for percentile, the adjusted tail for BCa and
expanded; k = 0 gives an unbounded side, -inf or inf). The p-value is the smallest a whose
interval excludes 0, settled on the float grid, so ``interval(level).excludes_zero`` holds
exactly when ``p_value() < 1 - level``. Ties: a replicate within
``TIE_TOL`` of 0 counts as *not* excluding 0 on either side (conservative; on small data
many resampled deltas are exactly 0). ``TIE_TOL`` is the one tolerance of every test here.

Interval methods (``METHODS``), all on the same cluster-bootstrap replicates:

- ``percentile``: tails a/2;
- ``bca``: bias-corrected and accelerated (Efron 1987); the acceleration comes from the
  cluster jackknife, which is cheap on counts (total minus one cluster's counts);
- ``expanded``: percentile with tails widened for G clusters (Hesterberg 2015, "What
  teachers should know about the bootstrap", 3.4): tau = Phi(sqrt(G/(G-1)) t_{G-1}(a/2)),
  which corrects the bootstrap's too-narrow spread at few clusters and tends to
  percentile as G grows.

``DEFAULT_METHOD`` (one run's metric: BCa), ``DEFAULT_DELTA_METHOD`` (deltas: expanded)
and ``MIN_CLUSTERS`` were chosen from the coverage measured by ``perf/stats_sim.py``
(numbers below; its full output is in the issue note).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri, stdtr, stdtrit  # type: ignore[import-untyped]

Metric = Callable[[np.ndarray], np.ndarray]
RandomState = np.random.Generator | int | None

TIE_TOL = 1e-12  # one tie tolerance for every test and interval
METHODS = ("percentile", "bca", "expanded")
# Defaults by coverage of nominal 95% intervals in perf/stats_sim.py (600 runs per cell,
# MC s.e. .009; clusters 19 / 30 / 50 / 100 / 500):
#   single-run macro-F1: percentile .898 .915 .922 .943 .945, BCa .937 .943 .938 .945 .950,
#                        expanded .927 .935 .930 .948 .948  -> BCa;
#   paired delta, equal models (= 1 - type-I error): percentile .902 .928 .935 .948 .943,
#                        BCa .893 .923 .935 .948 .942, expanded .935 .938 .947 .952 .945
#                        -> expanded (power cost: .37 vs .44 at 19 clusters, none at 500).
DEFAULT_METHOD = "bca"  # one run's metric
DEFAULT_DELTA_METHOD = "expanded"  # paired (and unpaired) deltas, hence the decision
# Intervals from fewer clusters than this are flagged ``few_clusters``: the smallest
# simulated size from which both coverages above stay >= .93 (about 2 MC s.e. under .95).
# BCa's 50 also holds beyond the uniform-label model above: in perf/stats_sim.py --only bca
# (one run's cv macro-F1 on the seed's layout; labels uniform, or 9/3/4/9 as the seed's,
# or 9/3/4/9 with labels and errors correlated within a sentence group; 600 runs per cell,
# MC s.e. .009) BCa run intervals cover .945-.957 at 50 groups and .933-.962 at 100 in all
# three models, but .887-.935 at 19 groups and .928-.957 at 30 (lowest with correlated,
# unequal labels), so intervals from fewer than 50 groups are flagged.
MIN_CLUSTERS = {"percentile": 100, "bca": 50, "expanded": 30}
# Bootstrap rounds of one run's intervals below MIN_CLUSTERS[method] clusters: there a BCa
# tail can be far smaller than a / 2, beyond the reach of B = 1000 resamples (a side is
# then open: 1.0-4.2% of intervals at 19 groups in the same simulation); with 5000,
# 0-1.2% at 19 groups and none from 30.
FEW_CLUSTERS_ROUNDS = 5000
# A normal-approximation MDE needs the runs to differ in at least this many clusters: with
# k discordant clusters the paired delta moves in at most k discrete cluster-sized jumps
# (its sign-flip distribution has 2**k points; at k = 5 the smallest two-sided p is
# 2/2**5 = .0625, nothing is detectable at .05); from about 10 the sum is close enough
# to normal for the formula to mean something.
MIN_DISCORDANT = 10
POWER = 0.8
_BLOCK = 2_000_000  # numbers per block of resampling weights


# ------------------------------------------------------------------------------ inputs
def group_counts(groups, gold, pred, n_labels: int, w: int | None = None) -> np.ndarray:
    """Confusion counts per cluster, shape (G, L, W), clusters in sorted order of
    ``groups``; ``W`` is ``L``, or ``L + 1`` with abstentions (``bench.metrics.confusions``)."""
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    G = int(g.max()) + 1 if len(g) else 0
    L = n_labels
    W = L if w is None else w
    pred = np.asarray(pred, dtype=np.int64)
    if W == L + 1:  # abstentions (negative) in the last column
        pred = np.where(pred < 0, L, pred)
    elif (pred < 0).any():
        raise ValueError("abstentions need counts with a no-answer column (w = L + 1)")
    codes = g * L * W + np.asarray(gold, dtype=np.int64) * W + pred
    return np.bincount(codes, minlength=G * L * W).reshape(G, L, W).astype(np.float64)


@dataclass(frozen=True)
class PairedCounts:
    """Per-cluster confusion counts of two runs on the same clusters, (G, L, W) each."""

    base: np.ndarray = field(repr=False)
    cand: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if self.base.shape != self.cand.shape or self.base.ndim != 3:
            raise ValueError(
                f"base and cand must both be (G, L, W); got {self.base.shape}, {self.cand.shape}"
            )

    @property
    def n_clusters(self) -> int:
        return int(self.base.shape[0])

    @property
    def n_discordant(self) -> int:
        """Clusters whose counts differ between the two runs."""
        diff = np.abs(self.cand - self.base).reshape(self.n_clusters, -1).sum(axis=1)
        return int(np.sum(diff > TIE_TOL))


def paired_counts(
    groups, gold, pred_base, pred_cand, n_labels: int, w: int | None = None
) -> PairedCounts:
    """Build :class:`PairedCounts` from aligned rows (every repeat of every example)."""
    return PairedCounts(
        base=group_counts(groups, gold, pred_base, n_labels, w),
        cand=group_counts(groups, gold, pred_cand, n_labels, w),
    )


def _rng(rng: RandomState) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _weights(rng: np.random.Generator, G: int, n: int) -> np.ndarray:
    """``n`` cluster-bootstrap draws as counts per cluster, (n, G)."""
    idx = rng.integers(0, G, size=(n, G)) + G * np.arange(n)[:, None]
    return np.bincount(idx.ravel(), minlength=n * G).reshape(n, G).astype(np.float64)


def _blocks(n: int, G: int):
    step = max(1, min(n, _BLOCK // max(G, 1)))
    for start in range(0, n, step):
        yield start, min(n, start + step) - start


def _apply(metric: Metric, cms: np.ndarray) -> np.ndarray:
    return np.asarray(metric(cms), dtype=np.float64).reshape(-1)


# --------------------------------------------------------------------------- intervals
@dataclass(frozen=True)
class Interval:
    """A confidence interval that carries its level, method and how many clusters made it."""

    estimate: float
    low: float  # -inf when the bootstrap is too small to bound this side at this level
    high: float
    level: float
    method: str
    n_clusters: int
    few_clusters: bool  # fewer clusters than MIN_CLUSTERS[method]: coverage below nominal

    @property
    def excludes_zero(self) -> bool:
        return self.low > TIE_TOL or self.high < -TIE_TOL


@dataclass(frozen=True)
class Replicates:
    """A bootstrap distribution of one statistic (a metric, or a paired delta), with what
    BCa needs; gives intervals at any level and the p-value that inverts them."""

    estimate: float
    values: np.ndarray = field(repr=False, compare=False)  # sorted, finite replicates
    method: str
    n_clusters: int
    z0: float = 0.0  # BCa bias correction
    acc: float = 0.0  # BCa acceleration (cluster jackknife)

    @property
    def n_boot(self) -> int:
        return int(len(self.values))

    def _tails(self, a: float) -> tuple[float, float]:
        """Lower and upper tail probabilities of the interval at level 1 - a."""
        G = self.n_clusters
        if self.method == "percentile" or (self.method == "expanded" and G < 2):
            return a / 2, a / 2
        if self.method == "expanded":
            tau = float(ndtr(math.sqrt(G / (G - 1)) * stdtrit(G - 1, a / 2)))
            return tau, tau
        z = float(ndtri(a / 2))
        return _bca_tail(self.z0, self.acc, z), 1.0 - _bca_tail(self.z0, self.acc, -z)

    def _k(self, tau: float) -> int:
        """Smallest integer k >= 0 with (k + 1) / (B + 1) >= tau."""
        B = self.n_boot
        k = max(0, min(B, math.ceil(tau * (B + 1)) - 1))
        while k > 0 and (k) / (B + 1) >= tau:
            k -= 1
        while k < B and (k + 1) / (B + 1) < tau:
            k += 1
        return k

    def _endpoints(self, a: float) -> tuple[float, float]:
        B = self.n_boot
        t_low, t_high = self._tails(a)
        k_low, k_high = self._k(t_low), self._k(t_high)
        low = float(self.values[k_low - 1]) if k_low > 0 else -math.inf
        high = float(self.values[B - k_high]) if k_high > 0 else math.inf
        return low, high

    def _rejects(self, a: float) -> bool:
        low, high = self._endpoints(a)
        return low > TIE_TOL or high < -TIE_TOL

    def interval(self, level: float) -> Interval:
        """The interval at ``level``; it excludes 0 exactly when p_value() < 1 - level."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1); got {level}")
        if self.n_boot == 0 or not math.isfinite(self.estimate):
            low, high = math.nan, math.nan
        else:
            low, high = self._endpoints(1 - level)
        return Interval(
            estimate=self.estimate,
            low=low,
            high=high,
            level=float(level),
            method=self.method,
            n_clusters=self.n_clusters,
            few_clusters=self.n_clusters < MIN_CLUSTERS[self.method],
        )

    def p_value(self) -> float:
        """Smallest a such that the interval at level 1 - a excludes 0 (two-sided): the
        closed form, then settled on the float grid so that the equivalence is exact."""
        B = self.n_boot
        if B == 0 or not math.isfinite(self.estimate):
            return 1.0
        u_low = (int(np.sum(self.values <= TIE_TOL)) + 1) / (B + 1)
        u_high = (int(np.sum(self.values >= -TIE_TOL)) + 1) / (B + 1)
        G = self.n_clusters
        if self.method == "percentile" or (self.method == "expanded" and G < 2):
            p = min(1.0, 2 * min(u_low, u_high))
        elif self.method == "expanded":
            z = float(ndtri(min(u_low, u_high))) / math.sqrt(G / (G - 1))
            p = min(1.0, 2 * float(stdtr(G - 1, z)))
        else:
            a_low = _bca_invert(self.z0, self.acc, u_low)
            a_high = _bca_invert(self.z0, self.acc, u_high, upper=True)
            p = min(1.0, a_low, a_high)
        if p >= 1.0:
            return 1.0
        lo, hi, step = p, p, max(p, 1e-300) * 1e-12
        while lo > 0 and self._rejects(lo):
            lo, step = max(0.0, lo - step), step * 2
        step = max(p, 1e-300) * 1e-12
        while hi < 1 and not self._rejects(hi):
            hi, step = min(1.0, hi + step), step * 2
        if hi >= 1 and not self._rejects(hi):
            return 1.0
        while True:  # lo does not reject, hi does: close in on adjacent floats
            mid = (lo + hi) / 2
            if mid in (lo, hi):
                return lo
            if self._rejects(mid):
                hi = mid
            else:
                lo = mid


def interval_rounds(n_boot: int, n_clusters: int, method: str = DEFAULT_METHOD) -> int:
    """Resamples for one run's intervals: ``n_boot``, raised to ``FEW_CLUSTERS_ROUNDS``
    when there are fewer clusters than ``MIN_CLUSTERS[method]`` (0 stays 0: no intervals)."""
    if n_boot <= 0 or n_clusters >= MIN_CLUSTERS[method]:
        return n_boot
    return max(n_boot, FEW_CLUSTERS_ROUNDS)


def open_sides(iv: Interval) -> list[str]:
    """The sides of an interval that lie beyond the resamples ("low", "high"): the tail
    there is smaller than 1 / (B + 1), so no resample bounds it at this level. Such a side
    is open; the other one is a one-sided bound at (1 + level) / 2."""
    return [side for side, v in (("low", iv.low), ("high", iv.high)) if v in (-math.inf, math.inf)]


def rounds_to_close(reps: Replicates, level: float) -> int | None:
    """The smallest B whose interval at ``level`` has both sides bounded, floor(1 / tau)
    for tau the smaller tail probability; None when a BCa tail is 0 (the transform's
    limit: no B bounds that side)."""
    tau = min(reps._tails(1 - level))
    return None if tau <= 0 else max(1, math.floor(1 / tau))


def _bca_tail(z0: float, acc: float, z: float) -> float:
    """Phi(z0 + (z0 + z) / (1 - acc (z0 + z))): the BCa-adjusted tail for a normal quantile z."""
    y = z0 + z
    den = 1 - acc * y
    if den <= 0:  # beyond the transform's range: the side is unbounded
        return 0.0 if z < 0 else 1.0
    return float(ndtr(z0 + y / den))


def _bca_invert(z0: float, acc: float, u: float, upper: bool = False) -> float:
    """The a at which the BCa tail (lower, or upper when ``upper``) equals u."""
    if u >= 1:
        return 1.0
    w = float(ndtri(1 - u if upper else u)) - z0
    den = 1 + acc * w
    if den <= 0:
        return 1.0
    z = w / den - z0  # the normal quantile of this side's nominal tail
    return float(2 * (ndtr(-z) if upper else ndtr(z)))


def _replicates(
    values: np.ndarray, estimate: float, jackknife: np.ndarray, method: str, n_clusters: int
) -> Replicates:
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; choose from {', '.join(METHODS)}")
    values = np.sort(values[np.isfinite(values)])
    z0 = acc = 0.0
    if method == "bca" and len(values) and math.isfinite(estimate):
        below = np.sum(values < estimate - TIE_TOL) + 0.5 * np.sum(
            np.abs(values - estimate) <= TIE_TOL
        )
        B = len(values)
        z0 = float(ndtri(min(max(below / B, 0.5 / B), 1 - 0.5 / B)))
        jk = jackknife[np.isfinite(jackknife)]
        u = jk.mean() - jk if len(jk) > 1 else np.zeros(1)
        ss = float(np.sum(u**2))
        acc = float(np.sum(u**3) / (6 * ss**1.5)) if ss > 0 else 0.0
    return Replicates(
        estimate=estimate, values=values, method=method, n_clusters=n_clusters, z0=z0, acc=acc
    )


def replicates(
    values: np.ndarray,
    estimate: float,
    jackknife: np.ndarray | None = None,
    method: str = DEFAULT_DELTA_METHOD,
    n_clusters: int = 0,
) -> Replicates:
    """A bootstrap distribution drawn elsewhere (e.g. of a composite score), for its
    intervals and the p-value that inverts them."""
    jk = np.empty(0) if jackknife is None else np.asarray(jackknife, dtype=np.float64)
    return _replicates(np.asarray(values, dtype=np.float64), estimate, jk, method, n_clusters)


def _jackknife(counts: np.ndarray, metric: Metric) -> np.ndarray:
    return _apply(metric, counts.sum(axis=0)[None] - counts)


def cluster_bootstrap(
    parts: Sequence[np.ndarray],
    statistic: Callable[[list[np.ndarray]], dict[str, np.ndarray]],
    *,
    n_boot: int = 2000,
    rng: RandomState = None,
    method: str = DEFAULT_METHOD,
) -> dict[str, Replicates]:
    """The cluster bootstrap: the one resampling loop behind every interval and paired
    test here. ``parts`` are additive per-cluster quantities, each (G, ...) (confusion
    counts, sums of per-item losses, counts of items); one draw of G clusters with
    replacement weights them all alike. ``statistic(sums)`` maps the weighted sums (one
    array (n, ...) per part) to named statistics, each (n,); it gets every resample at
    once, then the totals (n = 1) for the estimates, then the leave-one-cluster-out sums
    (n = G) for BCa's jackknife. Returns the replicates of each statistic."""
    arrays = [np.asarray(a, dtype=np.float64) for a in parts]
    G = int(arrays[0].shape[0])
    gen = _rng(rng)
    sums = [np.empty((n_boot, *a.shape[1:])) for a in arrays]
    for start, n in _blocks(n_boot, G):
        w = _weights(gen, G, n)
        for out, a in zip(sums, arrays, strict=True):
            out[start : start + n] = w @ a
    values = statistic(sums)
    totals = [a.sum(axis=0)[None] for a in arrays]
    estimates = statistic(totals)
    jackknife = (
        statistic([t - a for t, a in zip(totals, arrays, strict=True)]) if method == "bca" else {}
    )
    return {
        name: _replicates(
            np.asarray(v, dtype=np.float64).reshape(-1),
            float(np.asarray(estimates[name], dtype=np.float64).reshape(-1)[0]),
            np.asarray(jackknife.get(name, np.empty(0)), dtype=np.float64).reshape(-1),
            method,
            G,
        )
        for name, v in values.items()
    }


def bootstrap_metric(
    counts: np.ndarray,
    metric: Metric,
    *,
    n_boot: int = 2000,
    rng: RandomState = None,
    method: str = DEFAULT_METHOD,
) -> Replicates:
    """Cluster bootstrap of one run's metric from per-cluster counts (G, L, W)."""
    counts = np.asarray(counts, dtype=np.float64)
    G, L, W = counts.shape

    def statistic(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        return {"metric": _apply(metric, sums[0].reshape(-1, L, W))}

    parts = [counts.reshape(G, L * W)]
    return cluster_bootstrap(parts, statistic, n_boot=n_boot, rng=rng, method=method)["metric"]


def bootstrap_delta(
    pair: PairedCounts,
    metric: Metric,
    *,
    n_boot: int = 2000,
    rng: RandomState = None,
    method: str = DEFAULT_DELTA_METHOD,
) -> Replicates:
    """Paired cluster bootstrap of metric(cand) - metric(base): one draw for both runs."""
    G, L, W = pair.base.shape

    def statistic(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        base, cand = (_apply(metric, s.reshape(-1, L, W)) for s in sums)
        return {"delta": cand - base}

    parts = [pair.base.reshape(G, L * W), pair.cand.reshape(G, L * W)]
    return cluster_bootstrap(parts, statistic, n_boot=n_boot, rng=rng, method=method)["delta"]


def bootstrap_unpaired_delta(
    base: np.ndarray,
    cand: np.ndarray,
    metric: Metric,
    *,
    n_boot: int = 2000,
    rng: RandomState = None,
    method: str = DEFAULT_DELTA_METHOD,
) -> Replicates:
    """metric(cand) - metric(base) when the runs do not share clusters: each run's
    clusters are resampled independently. BCa's acceleration uses the two-sample
    jackknife (leave one cluster out of either run); ``n_clusters`` is the smaller run's."""
    base = np.asarray(base, dtype=np.float64)
    cand = np.asarray(cand, dtype=np.float64)
    gen = _rng(rng)
    (Gb, L, W), Gc = base.shape, cand.shape[0]
    fb, fc = base.reshape(Gb, L * W), cand.reshape(Gc, L * W)
    values = np.empty(n_boot)
    for start, n in _blocks(n_boot, max(Gb, Gc)):
        vb = _apply(metric, (_weights(gen, Gb, n) @ fb).reshape(n, L, W))
        vc = _apply(metric, (_weights(gen, Gc, n) @ fc).reshape(n, L, W))
        values[start : start + n] = vc - vb
    vb0, vc0 = _apply(metric, np.stack([base.sum(axis=0), cand.sum(axis=0)]))
    jk = (
        np.concatenate([vc0 - _jackknife(base, metric), _jackknife(cand, metric) - vb0])
        if method == "bca"
        else np.empty(0)
    )
    return _replicates(values, float(vc0 - vb0), jk, method, min(Gb, Gc))


# -------------------------------------------------------------------------------- Holm
def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled) if m else scaled
    return adjusted


@dataclass(frozen=True)
class HolmDecision:
    """One row of a Holm-corrected family: its interval is at the row's Holm level, so
    it excludes 0 exactly when ``p_adjusted < alpha`` (``significant``)."""

    p_value: float
    p_adjusted: float
    alpha: float  # family-wise level
    alpha_row: float  # alpha * p / p_adjusted: this row's effective level is 1 - alpha_row
    interval: Interval

    @property
    def significant(self) -> bool:
        return self.p_adjusted < self.alpha


def holm_intervals(rows: Sequence[Replicates], alpha: float = 0.05) -> list[HolmDecision]:
    """Holm-adjust the rows' bootstrap p-values and give each row its interval at level
    1 - alpha * p_i / p_adj_i (moved by a few ulps where rounding would put it on the
    wrong side), so ``interval.excludes_zero == significant`` always. p_i > 0 always."""
    p = np.array([r.p_value() for r in rows])
    adj = holm(p)
    out = []
    for r, pi, qi in zip(rows, p, adj, strict=True):
        level = 1 - min(float(alpha * pi / qi), 1 - 1e-15)  # p > 0: tiny a is unbounded
        ci = r.interval(level)
        want = bool(qi < alpha)
        for _ in range(1000):  # float rounding at the boundary: step to the decided side
            if ci.excludes_zero == want:
                break
            level = float(np.nextafter(level, 0.0 if want else 1.0))
            ci = r.interval(level)
        out.append(
            HolmDecision(
                p_value=float(pi),
                p_adjusted=float(qi),
                alpha=alpha,
                alpha_row=1 - ci.level,
                interval=ci,
            )
        )
    return out


# ------------------------------------------------------------------------- permutation
@dataclass(frozen=True)
class PermutationTest:
    delta: float
    p_value: float
    n_perm: int


def permutation_test(
    pair: PairedCounts, metric: Metric, *, n_perm: int = 2000, rng: RandomState = None
) -> PermutationTest:
    """Cluster approximate randomization: each cluster (all its rows of all repeats)
    swaps its two runs with probability 1/2; p = (1 + #{|d*| >= |d| - TIE_TOL}) / (R + 1)."""
    G, L, W = pair.base.shape
    gen = _rng(rng)
    tb, tc = pair.base.sum(axis=0).reshape(-1), pair.cand.sum(axis=0).reshape(-1)
    vb0, vc0 = _apply(metric, np.stack([tb, tc]).reshape(2, L, W))
    observed = float(vc0 - vb0)
    D = (pair.cand - pair.base).reshape(G, L * W)
    keep = np.abs(D).sum(axis=1) > TIE_TOL  # clusters that agree do not change anything
    D = D[keep]
    if not math.isfinite(observed):
        return PermutationTest(delta=observed, p_value=1.0, n_perm=n_perm)
    hits = 0
    for _start, n in _blocks(n_perm, max(len(D), 1)):
        S = gen.integers(0, 2, size=(n, len(D))).astype(np.float64)
        shift = S @ D
        d = _apply(metric, (tc - shift).reshape(n, L, W)) - _apply(
            metric, (tb + shift).reshape(n, L, W)
        )
        hits += int(np.sum(np.abs(d) >= abs(observed) - TIE_TOL))
    return PermutationTest(delta=observed, p_value=(1 + hits) / (n_perm + 1), n_perm=n_perm)


# ---------------------------------------------------------------------------- McNemar
@dataclass(frozen=True)
class McNemarTest:
    """McNemar test for accuracy. ``method`` says which was used:

    - ``exact``: every cluster is one item, so the items are independent: the binomial
      (exact McNemar) test;
    - ``clustered-exact``: at most ``EXACT_CLUSTERS`` clusters have b_k != c_k: the exact
      sign-flip distribution of sum_k (b_k - c_k) over those clusters (a randomization
      test that swaps whole clusters; with one discordant item per cluster it is the
      binomial test again);
    - ``clustered``: Durkalski et al. (2003) chi-square, 1 df (asymptotic in clusters).
    """

    p_value: float
    method: str
    statistic: float | None  # chi-square for ``clustered``; sum(b_k - c_k) otherwise
    n_discordant: int  # items right in exactly one run
    n_clusters: int


EXACT_CLUSTERS = 16  # up to 2**16 sign flips, enumerated


def cluster_mcnemar(correct_base, correct_cand, clusters) -> McNemarTest:
    """McNemar for paired correctness (one row per item, e.g. the first repeat) with
    items clustered by ``clusters``; b_k (c_k) = items of cluster k right only for base
    (only for cand). Clustered: X^2 = (sum_k (b_k - c_k))^2 / sum_k (b_k - c_k)^2."""
    from scipy.stats import binomtest, chi2  # type: ignore[import-untyped]

    rb = np.asarray(correct_base, dtype=bool)
    rc = np.asarray(correct_cand, dtype=bool)
    _, k = np.unique(np.asarray(clusters), return_inverse=True)
    K = int(k.max()) + 1 if len(k) else 0
    b = np.bincount(k, weights=(rb & ~rc).astype(float), minlength=K)
    c = np.bincount(k, weights=(~rb & rc).astype(float), minlength=K)
    nd = int(b.sum() + c.sum())
    if len(k) == K:  # every cluster is one item
        B, C = int(b.sum()), int(c.sum())
        p = 1.0 if B + C == 0 else float(binomtest(min(B, C), B + C, 0.5).pvalue)
        return McNemarTest(p, "exact", float(B - C), nd, K)
    d = (b - c)[b != c]
    observed = float(d.sum())
    if len(d) <= EXACT_CLUSTERS:
        signs = 1 - 2 * ((np.arange(2 ** len(d))[:, None] >> np.arange(len(d))) & 1)
        sums = np.abs(signs @ d)
        p = float(np.mean(sums >= abs(observed) - TIE_TOL))
        return McNemarTest(p, "clustered-exact", observed, nd, K)
    stat = float(observed**2 / np.sum(d**2))
    return McNemarTest(float(chi2.sf(stat, 1)), "clustered", stat, nd, K)


# ---------------------------------------------------------------------- Nadeau-Bengio
@dataclass(frozen=True)
class NadeauBengioTest:
    mean_delta: float
    statistic: float | None  # None when the fold deltas have no variance
    df: int
    p_value: float


def nadeau_bengio(
    base_scores, cand_scores, *, n_train: float, n_test: float
) -> NadeauBengioTest | None:
    """Corrected resampled t-test on matched per-fold scores (Nadeau & Bengio 2003):
    t = mean(d) / sqrt((1/J + n_test/n_train) var(d)), J - 1 df. None when fewer than two
    folds, unmatched lengths, NaN scores or n_train <= 0."""
    from scipy.stats import t as student_t  # type: ignore[import-untyped]

    b = np.asarray(base_scores, dtype=np.float64)
    c = np.asarray(cand_scores, dtype=np.float64)
    if b.shape != c.shape or b.ndim != 1 or len(b) < 2 or n_train <= 0:
        return None
    d = c - b
    if not np.all(np.isfinite(d)):
        return None
    J = len(d)
    var = float(d.var(ddof=1))
    mean = float(d.mean())
    if var == 0:
        return NadeauBengioTest(
            mean_delta=mean, statistic=None, df=J - 1, p_value=1.0 if mean == 0 else 0.0
        )
    t = mean / math.sqrt((1 / J + n_test / n_train) * var)
    return NadeauBengioTest(
        mean_delta=mean, statistic=t, df=J - 1, p_value=float(2 * student_t.sf(abs(t), J - 1))
    )


# --------------------------------------------------------------------------------- MDE
@dataclass(frozen=True)
class MinimumDetectableEffect:
    """(z(1 - alpha/2) + z(power)) * se, or None with the reason it is not meaningful."""

    value: float | None
    alpha: float  # the row's (Holm-adjusted) two-sided level used
    power: float
    reason: str  # empty when ``value`` is given


def minimum_detectable_effect(
    se: float, *, alpha: float, n_discordant: int, power: float = POWER
) -> MinimumDetectableEffect:
    """MDE of a paired delta with standard error ``se`` at two-sided ``alpha`` (pass the
    row's Holm level, alpha * p / p_adjusted). None when fewer than MIN_DISCORDANT
    clusters differ between the runs: the delta's distribution is then a handful of
    discrete jumps and the normal approximation behind the formula does not hold."""
    if n_discordant < MIN_DISCORDANT:
        return MinimumDetectableEffect(
            None,
            alpha,
            power,
            f"the runs differ in {n_discordant} cluster(s) (< {MIN_DISCORDANT}): "
            "a normal-approximation MDE is not meaningful",
        )
    if not (se > 0 and math.isfinite(se)):
        return MinimumDetectableEffect(None, alpha, power, "the delta has no spread")
    z = float(ndtri(1 - alpha / 2) + ndtri(power))
    return MinimumDetectableEffect(z * se, alpha, power, "")


def delta_mde(
    reps: Replicates, pair: PairedCounts, *, alpha: float, power: float = POWER
) -> MinimumDetectableEffect:
    """MDE from a paired bootstrap's replicates (se = their standard deviation)."""
    se = float(reps.values.std(ddof=1)) if reps.n_boot > 1 else 0.0
    return minimum_detectable_effect(se, alpha=alpha, n_discordant=pair.n_discordant, power=power)
