"""The family decider, paired tests, intervals, Holm and MDE for comparing runs -> typed results.

Everything here works on **per-cluster confusion counts**: a cluster is a sentence group,
and all its rows of all repeats move together (resampled, permuted, left out together).
``base`` and ``cand`` are arrays (G, L, W) of float counts over the *same* clusters, summed
over repeats (W = L, or L + 1 whose last column counts abstentions); a metric is a
callable ``metric(cms: (n, L, W)) -> (n,)``, e.g.
``lambda c: scores(c, f_idx)["macro_f1"]``. Randomness comes in as ``rng`` (a
``numpy.random.Generator`` or a seed); nothing is seeded at module level, nothing prints.

**Paired rows are decided as one family** (``flip_family``): a *unit* is a sentence group
(or an MFT phrase group of the contrast suite), shared by every view and config whose runs
were made on the same data; a family is every row of one comparison. Under the null that
the base and candidate runs are exchangeable within each unit, the labels "base" and
"cand" may be swapped in any set of units, jointly for every row (a swap moves the unit's
counts from one run to the other and the metric is recomputed). Each row's statistic is
|delta| over the root-mean-square of its own flip distribution; Westfall-Young step-down
max-T (Westfall & Young 1993; Romano & Wolf 2005) gives family-wise adjusted p-values,
exact for any family size and any number of units: all 2**k joint flips when at most
``EXACT_FLIPS`` units differ anywhere in the family, else ``MIN_FLIPS`` random flips and
the observed data (p floor 1 / 2000). Rows whose runs differ in no unit leave the family
(Tarone 1990); a row that differs in few units has a bounded statistic, and when even its
most extreme outcome cannot reach the critical value it says so (``FlipDecision.note``).
The printed interval is delta +- critical, what the verdict inverts, and the MDE
(``flip_mde``) uses the same critical value, fixed before the data are looked at.

The bootstrap (below) gives one run's intervals and decides only the rows whose runs do
not share units (unpaired). For a bootstrap distribution of B
replicates, the interval at level 1 - a has the order statistics d_(k), d_(B+1-k) as
endpoints, where k is the smallest integer with (k + 1) / (B + 1) >= tau(a) and tau(a) is
the method's tail probability (a / 2 for percentile, the adjusted tail for BCa and
expanded; k = 0 gives an unbounded side, -inf or inf). The p-value is the smallest a whose
interval excludes 0, settled on the float grid, so ``interval(level).excludes_zero`` holds
exactly when ``p_value() < 1 - level``; its floor for B rounds is ``bootstrap_floor``, and
``bootstrap_rounds_for`` gives the B that reaches a level. Ties: a replicate within
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


def _special(name: str) -> Callable:
    """scipy.special's function ``name``, imported on its first call: importing
    scipy.special takes ~0.25 s, which a run computing no interval or test need not pay."""

    def call(*args):
        import scipy.special  # type: ignore[import-untyped]

        return getattr(scipy.special, name)(*args)

    call.__name__ = name
    return call


# the normal and Student t distribution functions and their inverses
ndtr, ndtri, stdtr, stdtrit = map(_special, ("ndtr", "ndtri", "stdtr", "stdtrit"))

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
# The family decider (``flip_family``): enumerate all 2**k joint sign flips when at most
# EXACT_FLIPS units differ anywhere in the family (65 536 flips), else MIN_FLIPS random
# joint flips (p floor 1 / 2000, whatever the family size).
EXACT_FLIPS = 16
MIN_FLIPS = 1999
ROUNDS_FACTOR = 10  # Tarone-Holm's Monte-Carlo rounds: p floor alpha / (10 m)
T_TOL = 1e-9  # relative tolerance on standardised statistics (the identity flip ties)
FAMILY_METHODS = ("maxt", "tarone-holm")


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


# ------------------------------------------------------- the family decider: rows
@dataclass(frozen=True)
class FamilyRow:
    """One row of a family: per-unit counts of two runs, ``base`` and ``cand`` (G, ...)
    (confusion counts (G, L, L), or (G, C, L, L) for a composite score such as the rank
    score), which family unit each of the G clusters is (``units``, ints), and the
    statistic ``metric((n, ...)) -> (n,)``; the row's delta is metric(cand) - metric(base)."""

    base: np.ndarray = field(repr=False)
    cand: np.ndarray = field(repr=False)
    units: np.ndarray = field(repr=False)
    metric: Metric = field(repr=False, compare=False)
    name: str = ""

    def __post_init__(self) -> None:
        if self.base.shape != self.cand.shape or self.base.shape[0] != len(self.units):
            raise ValueError(
                f"base {self.base.shape}, cand {self.cand.shape} and units "
                f"({len(self.units)}) must agree on the number of clusters"
            )

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.base.shape[1:])

    @property
    def discordant(self) -> np.ndarray:
        """Clusters whose counts differ between the two runs (bool, (G,))."""
        G = self.base.shape[0]
        diff = np.abs(self.cand - self.base).reshape(G, -1).sum(axis=1)
        return diff > TIE_TOL

    @property
    def n_discordant(self) -> int:
        return int(self.discordant.sum())

    @property
    def delta(self) -> float:
        tb = self.base.sum(axis=0)[None]
        tc = self.cand.sum(axis=0)[None]
        return float(_apply(self.metric, tc)[0] - _apply(self.metric, tb)[0])


def family_row(pair: PairedCounts, units: np.ndarray, metric: Metric, name: str = "") -> FamilyRow:
    return FamilyRow(pair.base, pair.cand, np.asarray(units, dtype=np.int64), metric, name)


def align_units(*groups: Sequence) -> tuple[list[np.ndarray], list]:
    """Shared unit indices for several rows: ``groups[i]`` are row i's cluster labels in
    the order of its counts (``group_counts`` sorts them); returns each row's
    unit indices and the family's sorted unit labels."""
    labels = sorted({str(g) for gs in groups for g in gs})
    index = {g: i for i, g in enumerate(labels)}
    return [np.array([index[str(g)] for g in gs], dtype=np.int64) for gs in groups], labels


@dataclass(frozen=True)
class _Prepared:
    """A row reduced to what a flip needs: totals and the discordant clusters' shifts."""

    tb: np.ndarray  # (P,) flat totals
    tc: np.ndarray
    D: np.ndarray  # (k, P) cand - base of the discordant clusters
    units: np.ndarray  # (k,) their family units
    shape: tuple[int, ...]
    metric: Metric
    delta: float


def _prepare(row: FamilyRow) -> _Prepared:
    G = row.base.shape[0]
    fb = row.base.reshape(G, -1).astype(np.float64)
    fc = row.cand.reshape(G, -1).astype(np.float64)
    keep = row.discordant
    tb, tc = fb.sum(axis=0), fc.sum(axis=0)
    vb, vc = _apply(row.metric, np.stack([tb, tc]).reshape(2, *row.shape))
    return _Prepared(
        tb, tc, (fc - fb)[keep], row.units[keep], row.shape, row.metric, float(vc - vb)
    )


def _flip_deltas(p: _Prepared, S: np.ndarray) -> np.ndarray:
    """Deltas of one row under flips ``S`` (n, k) in {0, 1} over its discordant clusters:
    a flipped cluster's counts move from the candidate to the base (and back)."""
    n = len(S)
    out = np.empty(n)
    step = max(1, _BLOCK // max(p.D.size, 1))
    for start in range(0, n, step):
        s = S[start : start + step].astype(np.float64)
        shift = s @ p.D
        m = len(s)
        out[start : start + m] = _apply(p.metric, (p.tc - shift).reshape(m, *p.shape)) - _apply(
            p.metric, (p.tb + shift).reshape(m, *p.shape)
        )
    return out


def all_flips(k: int) -> np.ndarray:
    """Every sign flip of k clusters, (2**k, k) in {0, 1}; row 0 is the identity."""
    return ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(np.int8)


# ---------------------------------------------------------------- one row, exact or MC
@dataclass(frozen=True)
class SignFlipTest:
    """Cluster sign-flip test of one row: p = #{|d*| >= |d|} / 2**k over every flip of
    the k discordant clusters (``exact``), or (1 + hits) / (R + 1) from R random flips
    (``monte-carlo``; with ``sequential_hits`` h it stops at the h-th hit, Besag & Clifford
    1991, p = h / L). ``p_min`` is the smallest p this row can reach whatever its data (a
    function of the unit orbit only): it is what Tarone's rule uses."""

    delta: float
    p_value: float
    p_min: float
    n_discordant: int
    method: str
    n_flips: int
    null_abs: np.ndarray = field(repr=False, compare=False)  # sorted |d*| (exact / fixed MC)

    @property
    def cannot_reject(self) -> bool:
        """True when even the most extreme outcome has p > .05 (k <= 5 for a 1-unit jump)."""
        return self.p_min > 0.05

    def critical(self, level: float) -> float:
        """The |delta| this row must exceed to be significant at two-sided ``level``
        (inf when it never can): reject iff |d| > critical."""
        N = len(self.null_abs)
        if N == 0:
            return math.inf
        plus = 1 if self.method == "monte-carlo" else 0
        allowed = math.floor(level * (N + plus) + 1e-12) - plus  # #{|d*| >= |d|} <= allowed
        if allowed < 0:
            return math.inf
        if allowed >= N:
            return 0.0
        desc = self.null_abs[::-1]
        return float(desc[allowed])


def sign_flip_test(
    row: FamilyRow,
    *,
    n_flips: int = MIN_FLIPS,
    max_exact: int = EXACT_FLIPS,
    sequential_hits: int | None = None,
    rng: RandomState = None,
) -> SignFlipTest:
    """The exact cluster sign-flip distribution of one row's delta when it differs in at
    most ``max_exact`` clusters, else ``n_flips`` random flips (see ``SignFlipTest``)."""
    p = _prepare(row)
    k = len(p.D)
    d = p.delta
    if k == 0 or not math.isfinite(d):
        return SignFlipTest(d if math.isfinite(d) else 0.0, 1.0, 1.0, k, "exact", 1, np.zeros(1))
    tol = TIE_TOL
    if k <= max_exact:
        null = np.abs(_flip_deltas(p, all_flips(k)))
        N = len(null)
        pv = float(np.sum(null >= abs(d) - tol) / N)
        pmin = float(np.sum(null >= null.max() - tol) / N)
        return SignFlipTest(d, pv, pmin, k, "exact", N, np.sort(null))
    gen = _rng(rng)
    if sequential_hits is None:
        S = gen.integers(0, 2, size=(n_flips, k), dtype=np.int8)
        null = np.abs(_flip_deltas(p, S))
        hits = int(np.sum(null >= abs(d) - tol))
        return SignFlipTest(
            d, (1 + hits) / (n_flips + 1), 1 / (n_flips + 1), k, "monte-carlo", n_flips,
            np.sort(null),
        )  # fmt: skip
    h, done, hits, block = sequential_hits, 0, 0, 256
    while done < n_flips:
        n = min(block, n_flips - done)
        S = gen.integers(0, 2, size=(n, k), dtype=np.int8)
        hit = np.abs(_flip_deltas(p, S)) >= abs(d) - tol
        c = np.cumsum(hit) + hits
        if c[-1] >= h:  # stop at the h-th hit: p = h / L
            L = done + int(np.argmax(c >= h)) + 1
            return SignFlipTest(d, h / L, 1 / (n_flips + 1), k, "monte-carlo", L, np.empty(0))
        hits, done, block = int(c[-1]), done + n, block * 2
    return SignFlipTest(
        d, (1 + hits) / (n_flips + 1), 1 / (n_flips + 1), k, "monte-carlo", n_flips, np.empty(0)
    )


# -------------------------------------------------------------------- Tarone and Holm
def tarone_k(p_min: np.ndarray, alpha: float) -> int:
    """Tarone (1990): the smallest K >= 1 such that at most K rows can reach alpha / K."""
    p_min = np.asarray(p_min, dtype=np.float64)
    for K in range(1, max(len(p_min), 1) + 1):
        if np.sum(p_min <= alpha / K) <= K:
            return K
    return max(len(p_min), 1)


@dataclass(frozen=True)
class TaroneHolm:
    p_adjusted: np.ndarray  # reject iff <= alpha
    family_size: np.ndarray  # K at the step each row was tested (its level is alpha / K)
    first_k: int  # Tarone's K for the whole family: the level fixed in advance is alpha / K

    def reject(self, alpha: float) -> np.ndarray:
        return self.p_adjusted <= alpha


def tarone_holm(p: Sequence[float] | np.ndarray, p_min, alpha: float) -> TaroneHolm:
    """Step-down Tarone: order rows by p; at step j the rows not yet rejected give
    K_j = tarone_k(their p_min); p_adj_j = max(p_adj_{j-1}, min(1, K_j p_(j))). Valid by
    closure (a subset's K is never larger), conditionally on the orbits that fix p_min."""
    p = np.asarray(p, dtype=np.float64)
    p_min = np.asarray(p_min, dtype=np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.ones(m)
    ks = np.zeros(m, dtype=np.int64)
    running = 0.0
    for j, i in enumerate(order):
        K = tarone_k(p_min[order[j:]], alpha)
        running = max(running, min(1.0, K * p[i]))
        adj[i], ks[i] = running, K
    return TaroneHolm(adj, ks, tarone_k(p_min, alpha) if m else 1)


# -------------------------------------------------------------------- Westfall-Young
def maxt_stepdown(t: np.ndarray, T: np.ndarray, *, exact: bool = False) -> np.ndarray:
    """Westfall-Young step-down max-T adjusted p-values. ``t`` (m,) observed |statistics|,
    ``T`` (n, m) the same under n joint flips. Exact enumeration (the identity among the
    flips): p = #{...} / n; Monte Carlo: (1 + #{...}) / (n + 1)."""
    t = np.asarray(t, dtype=np.float64)
    m = len(t)
    if m == 0:
        return np.empty(0)
    order = np.argsort(-t, kind="stable")
    # successive maxima from the bottom of the order: q[:, j] = max over rows j.. of T
    q = np.maximum.accumulate(T[:, order[::-1]], axis=1)[:, ::-1]
    thr = t[order] * (1 - T_TOL) - TIE_TOL
    count = np.sum(q >= thr[None, :], axis=0)
    n = T.shape[0]
    p = count / n if exact else (1 + count) / (n + 1)
    p = np.minimum(1.0, np.maximum.accumulate(p))
    out = np.empty(m)
    out[order] = p
    return out


def maxt_critical(T: np.ndarray, alpha: float, *, exact: bool = False) -> float:
    """The first-step critical value c: a row is significant at the first step iff t > c."""
    n = T.shape[0]
    M = np.sort(T.max(axis=1))[::-1] if T.size else np.zeros(0)
    plus = 0 if exact else 1
    allowed = math.floor(alpha * (n + plus) + 1e-12) - plus
    if allowed < 0 or n == 0:
        return math.inf
    return float(M[allowed]) if allowed < n else 0.0


def flip_rounds(m: int, alpha: float, factor: int = ROUNDS_FACTOR) -> int:
    """Monte-Carlo rounds whose p floor 1 / (R + 1) is alpha / (factor m): for per-row
    p-values that must reach Holm's or Tarone's alpha / m."""
    return max(MIN_FLIPS, math.ceil(factor * max(m, 1) / alpha) - 1)


# ------------------------------------------------------------------------ the decider
@dataclass(frozen=True)
class FlipDecision:
    """One row of a family decided by the sign-flip family test."""

    name: str
    delta: float
    n_discordant: int
    in_family: bool  # False: the runs do not differ in any unit (Tarone)
    p_value: float  # the row's own (unadjusted) sign-flip p
    p_adjusted: float  # family-wise; significant iff <= alpha
    significant: bool
    level: float  # the fixed level of the MDE (two-sided, per row)
    critical: float  # half-width of the printed interval: |delta| > critical iff significant;
    # inf when no outcome of the row could be significant at this family's level
    scale: float  # root-mean-square of the row's flip distribution
    mde: MinimumDetectableEffect
    method: str  # maxt-exact | maxt-monte-carlo | tarone-holm
    note: str  # why the row cannot be significant, or ""
    reachable: bool = True  # some outcome of this row could be significant at ``level``


@dataclass(frozen=True)
class FlipFamily:
    """The decisions of one family, in the order of its rows, and what made them: the
    units that differ anywhere in it, the joint flips drawn (or enumerated, ``exact``)
    and the first-step critical value ``critical`` on the |t| scale (max-T)."""

    decisions: list[FlipDecision]
    n_units: int
    n_flips: int
    exact: bool
    critical: float

    def __iter__(self):
        return iter(self.decisions)

    def __getitem__(self, i: int) -> FlipDecision:
        return self.decisions[i]

    def __len__(self) -> int:
        return len(self.decisions)

    @property
    def size(self) -> int:
        """Rows in the family: those whose runs differ in some unit."""
        return sum(d.in_family for d in self.decisions)


def flip_mde(
    c: float,
    scale: float,
    delta: float,
    n_clusters: int,
    *,
    level: float,
    power: float = POWER,
    n_discordant: int = 1,
) -> MinimumDetectableEffect:
    """MDE of a sign-flip row whose test rejects when |d| > c * s (c on the t scale, s the
    RMS of the row's flip distribution, which for an additive metric is
    s^2 = sum_g delta_g^2 = s0^2 + d^2 / G: the data's spread s0^2 = sum_g (delta_g - d/G)^2
    plus the observed effect itself). The effect is removed from the scale and the MDE is
    the deciding test's critical value on that spread plus z(power) standard errors of d:
    MDE = (c + z(power) sqrt(G / (G - 1))) s0. (Keeping the d^2 / G inflation in the
    threshold, c s0 / sqrt(1 - c^2 / G), over-shoots for macro-F1: power .88-.92 at the
    reported MDE at 19 groups in issue 24's prototype; perf/stats_sim.py --only mde
    measures this one.) None (n/a) when no outcome can be significant: c^2 >= G (the
    statistic never exceeds sqrt(G)) or c is infinite."""
    G = n_clusters
    if n_discordant == 0:
        return MinimumDetectableEffect(None, level, power, "the runs do not differ")
    if not math.isfinite(c) or c * c >= G:
        return MinimumDetectableEffect(
            None, level, power,
            f"the runs differ in {n_discordant} of {G} sentence group(s): no outcome could be "
            "significant at this family's level",
        )  # fmt: skip
    s0 = math.sqrt(max(scale * scale - delta * delta / G, 0.0))
    if s0 == 0:
        return MinimumDetectableEffect(None, level, power, "the delta has no spread")
    value = (c + float(ndtri(power)) * math.sqrt(G / (G - 1))) * s0
    return MinimumDetectableEffect(value, level, power, "")


def _attainable(p: _Prepared, S_row: np.ndarray, null: np.ndarray) -> float:
    """The largest |delta| the row can reach under flips: the flip that moves every
    cluster to its side of the observed delta (exact for additive metrics), or any
    larger one seen among the flips."""
    if len(p.D) == 0:
        return 0.0
    own = _flip_deltas(p, np.eye(len(p.D), dtype=np.int8))  # flip one cluster at a time
    side = (own - p.delta) * np.sign(p.delta or 1.0) < 0  # flipping it moves towards 0
    extreme = np.abs(_flip_deltas(p, np.stack([side, ~side]).astype(np.int8)))
    return float(max(abs(p.delta), extreme.max(), null.max() if null.size else 0.0))


def flip_family(
    rows: Sequence[FamilyRow],
    *,
    alpha: float = 0.05,
    method: str = "maxt",
    n_flips: int | None = None,
    max_exact: int = EXACT_FLIPS,
    power: float = POWER,
    rng: RandomState = None,
) -> FlipFamily:
    """Decide a family of rows at family-wise level ``alpha`` (see the module docstring).

    ``maxt``: joint flips of the units where any row differs (all 2**k when k <=
    ``max_exact``, else ``n_flips``, default ``MIN_FLIPS``); rows are standardised by their
    flip RMS; step-down max-T adjusted p; the MDE level is the first-step critical value.
    ``tarone-holm``: each row's own exact / Monte-Carlo p (``n_flips`` default
    ``flip_rounds(m, alpha)``), step-down Tarone; the MDE level is alpha / K."""
    if method not in FAMILY_METHODS:
        raise ValueError(f"unknown family method {method!r}; choose from {FAMILY_METHODS}")
    gen = _rng(rng)
    prepared = [_prepare(r) for r in rows]
    names = [r.name for r in rows]
    live = [i for i, p in enumerate(prepared) if len(p.D) and math.isfinite(p.delta)]
    out: list[FlipDecision | None] = [None] * len(rows)
    for i, p in enumerate(prepared):
        if i not in live:
            out[i] = FlipDecision(
                names[i], p.delta if math.isfinite(p.delta) else 0.0, len(p.D), False, 1.0,
                1.0, False, alpha, math.inf, 0.0,
                MinimumDetectableEffect(None, alpha, power, "the runs do not differ"),
                method, "the runs do not differ in any sentence group",
            )  # fmt: skip
    if not live:
        return FlipFamily(out, 0, 0, True, math.inf)  # type: ignore[arg-type]
    if method == "tarone-holm":
        R = n_flips or flip_rounds(len(live), alpha)
        tests = [sign_flip_test(rows[i], n_flips=R, max_exact=max_exact, rng=gen) for i in live]
        th = tarone_holm([t.p_value for t in tests], [t.p_min for t in tests], alpha)
        level = alpha / th.first_k
        for j, i in enumerate(live):
            t = tests[j]
            sc = float(np.sqrt(np.mean(t.null_abs**2))) if t.null_abs.size else 0.0
            crit = t.critical(level) if t.p_min <= level else math.inf
            G = rows[i].base.shape[0]
            mde = flip_mde(crit / sc if sc > 0 else math.inf, sc, t.delta, G,
                           level=level, power=power, n_discordant=t.n_discordant)  # fmt: skip
            out[i] = FlipDecision(
                names[i], t.delta, t.n_discordant, True, t.p_value, float(th.p_adjusted[j]),
                bool(th.p_adjusted[j] <= alpha), level, crit, sc, mde, "tarone-holm",
                "" if t.p_min <= level else
                f"cannot be significant: its smallest attainable p {t.p_min:.2g} > {level:.2g}",
                bool(t.p_min <= level),
            )  # fmt: skip
        n_units = len(np.unique(np.concatenate([prepared[i].units for i in live])))
        all_exact = all(t.method == "exact" for t in tests)
        return FlipFamily(out, n_units, R, all_exact, math.nan)  # type: ignore[arg-type]

    # max-T over joint flips of the units that differ anywhere in the family
    P = [prepared[i] for i in live]
    units = np.unique(np.concatenate([p.units for p in P]))
    pos = {u: j for j, u in enumerate(units.tolist())}
    exact = len(units) <= max_exact
    if exact:
        S = all_flips(len(units))
    else:
        S = gen.integers(0, 2, size=(n_flips or MIN_FLIPS, len(units)), dtype=np.int8)
    n = len(S)
    dstar = np.empty((n, len(P)))
    for j, p in enumerate(P):
        dstar[:, j] = _flip_deltas(p, S[:, [pos[u] for u in p.units.tolist()]])
    d = np.array([p.delta for p in P])
    both = dstar if exact else np.vstack([dstar, d[None]])
    scale = np.sqrt(np.mean(both**2, axis=0))
    scale = np.where(scale > 0, scale, 1.0)
    T = np.abs(dstar) / scale
    t = np.abs(d) / scale
    adj = maxt_stepdown(t, T, exact=exact)
    c = maxt_critical(T, alpha, exact=exact)
    raw = (
        np.sum(t * (1 - T_TOL) - TIE_TOL <= T, axis=0) / n
        if exact
        else (1 + np.sum(t * (1 - T_TOL) - TIE_TOL <= T, axis=0)) / (n + 1)
    )
    # the printed interval: delta +- c_row * s, c_row the critical value of the row's step
    # (the max over the rows not yet rejected), or of the step where the procedure stopped
    order = np.argsort(-t, kind="stable")
    step_c = np.array([maxt_critical(T[:, order[j:]], alpha, exact=exact) for j in range(len(P))])
    sig = adj <= alpha
    row_c = np.empty(len(P))
    stop = next((j for j in range(len(P)) if not sig[order[j]]), None)
    for j, r in enumerate(order):
        row_c[r] = step_c[j] if sig[r] or stop is None else step_c[stop]
    level = float(2 * ndtr(-c)) if math.isfinite(c) else 0.0  # per-row normal-equivalent
    for j, i in enumerate(live):
        p = P[j]
        reach = _attainable(p, S[:, [pos[u] for u in p.units.tolist()]], np.abs(dstar[:, j]))
        reachable = bool(reach / scale[j] > c * (1 + T_TOL))
        crit = float(row_c[j] * scale[j])
        # float rounding at the boundary: keep the interval on the decided side
        crit = min(crit, abs(p.delta) * (1 - 1e-12)) if sig[j] else max(crit, abs(p.delta))
        if not reachable and not sig[j]:  # it cannot beat the first step: no finite interval
            crit = math.inf
        G = rows[i].base.shape[0]
        mde = flip_mde(c if reachable else math.inf, float(scale[j]), p.delta, G,
                       level=level, power=power, n_discordant=len(p.D))  # fmt: skip
        out[i] = FlipDecision(
            names[i], p.delta, len(p.D), True, float(raw[j]), float(adj[j]),
            bool(sig[j]), level, crit, float(scale[j]), mde,
            "maxt-exact" if exact else "maxt-monte-carlo",
            "" if reachable or sig[j] else
            f"cannot be significant (unless rows above it are): differs in {len(p.D)} "
            f"sentence group(s), its largest attainable statistic {reach / scale[j]:.2f} <= "
            f"the family's critical {c:.2f}",
            reachable,
        )  # fmt: skip
    return FlipFamily(out, len(units), n, exact, c)  # type: ignore[arg-type]


# -------------------------------------------- the bootstrap's p floor (unpaired rows)
def bootstrap_floor(n_boot: int, n_clusters: int, method: str = "expanded") -> float:
    """The smallest two-sided p a bootstrap of B replicates can give (all on one side)."""
    u = 1 / (n_boot + 1)
    G = n_clusters
    if method == "expanded" and G >= 2:
        return min(1.0, 2 * float(stdtr(G - 1, float(ndtri(u)) / math.sqrt(G / (G - 1)))))
    return min(1.0, 2 * u)


def bootstrap_rounds_for(level: float, n_clusters: int, method: str = "expanded") -> int:
    """The smallest B whose floor is <= level (e.g. alpha / m for Holm's first step)."""
    G = n_clusters
    if method == "expanded" and G >= 2:
        z = float(stdtrit(G - 1, level / 2)) * math.sqrt(G / (G - 1))
        u = float(ndtr(z))
    else:
        u = level / 2
    return max(1, math.ceil(1 / u) - 1)


# ------------------------------------------------------------------------- permutation
@dataclass(frozen=True)
class PermutationTest:
    delta: float
    p_value: float
    n_perm: int


def permutation_test(
    pair: PairedCounts, metric: Metric, *, n_perm: int = 2000, rng: RandomState = None
) -> PermutationTest:
    """Cluster approximate randomization of one row: each cluster (all its rows of all
    repeats) swaps its two runs with probability 1/2; p = (1 + #{|d*| >= |d|}) / (R + 1).
    A thin wrapper of ``sign_flip_test`` without enumeration."""
    row = FamilyRow(pair.base, pair.cand, np.arange(pair.n_clusters), metric)
    t = sign_flip_test(row, n_flips=n_perm, max_exact=0, rng=rng)
    return PermutationTest(delta=t.delta, p_value=t.p_value, n_perm=n_perm)


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


EXACT_CLUSTERS = EXACT_FLIPS  # up to 2**16 sign flips, enumerated


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
    """The smallest |delta| the deciding test flags with probability ``power`` at the
    two-sided per-row level ``alpha`` fixed in advance, or None with the reason."""

    value: float | None
    alpha: float  # the per-row two-sided level it was computed at
    power: float
    reason: str  # empty when ``value`` is given


def minimum_detectable_effect(
    se: float, *, alpha: float, n_clusters: int, power: float = POWER
) -> MinimumDetectableEffect:
    """MDE of an unpaired bootstrap row with standard error ``se`` at two-sided ``alpha``
    (its Holm level fixed in advance, alpha / m): the deciding test's own critical value
    sqrt(G/(G-1)) t_{G-1}(1 - alpha/2) (the expanded percentile's tail), plus z(power)
    standard errors. None when fewer than MIN_DISCORDANT clusters make it: the delta's
    distribution is then a handful of discrete jumps and the formula means nothing."""
    G = n_clusters
    if G < MIN_DISCORDANT:
        return MinimumDetectableEffect(
            None,
            alpha,
            power,
            f"{G} sentence group(s) (< {MIN_DISCORDANT}): "
            "a normal-approximation MDE is not meaningful",
        )
    if not (se > 0 and math.isfinite(se)):
        return MinimumDetectableEffect(None, alpha, power, "the delta has no spread")
    crit = math.sqrt(G / (G - 1)) * float(stdtrit(G - 1, 1 - alpha / 2))
    return MinimumDetectableEffect((crit + float(ndtri(power))) * se, alpha, power, "")
