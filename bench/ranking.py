"""The rank score, the leaderboard's rows, and significance tiers.

The rank score of a run is defined once, here, as a weighted mean of score components
(``components``): the views that make it (``bench.views.rank_views``: those that test on
data the model did not train on, such as targets, articles and wordings it has not seen,
or a held-out test set) each weigh equally, and a view with test types (the contrast
suite) splits its weight equally among them; without such views, the main view alone.
The leaderboard's value (``rank_score``, from metrics.json) and the tiers' permutation
test (``tiers``, from per-group confusion counts) both use these components. The
README says why in-data CV alone is not used to rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench import stats
from bench.errors import RunError
from bench.runs import Run, ViewMetrics
from bench.specs import METRICS, NAMED
from bench.views import MAIN, rank_views

if TYPE_CHECKING:
    from bench.agreement import HumanScore


@dataclass(frozen=True)
class Component:
    """A part of the rank score: a view (and one of its test types), and its weight."""

    view: str
    test_type: str | None
    weight: float


def components(views: dict[str, ViewMetrics]) -> list[Component]:
    """The rank score's parts for a run with these views (see the module docstring)."""
    present = rank_views(views)
    out: list[Component] = []
    for v in present:
        types = sorted(views[v].get("by_test_type", {}))
        if types:
            out += [Component(v, t, 1 / len(present) / len(types)) for t in types]
        else:
            out.append(Component(v, None, 1 / len(present)))
    return out


def score_basis(views: dict[str, ViewMetrics]) -> str:
    """The views that make the rank score, "+"-joined (what the leaderboard says)."""
    return "+".join(rank_views(views))


def view_score(doc: ViewMetrics, metric: str) -> float | None:
    """A view's value of ``metric`` as the rank score weighs it: the mean over its test
    types when it has them (the contrast suite's type-balanced score), else pooled."""
    balanced = doc.get("balanced")
    if balanced is not None and metric in balanced:
        return balanced[metric]
    return doc["pooled"].get(metric)


def rank_score(views: dict[str, ViewMetrics], metric: str) -> float | None:
    """The rank score from metrics.json values; None when a component is undefined. The
    components give every view the same weight, so this is the mean of ``view_score``
    over their views."""
    names = list(dict.fromkeys(c.view for c in components(views)))
    values = [view_score(views[v], metric) for v in names]
    if any(v is None for v in values):
        return None
    return sum(values) / len(values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Entry:
    task: str
    config: str
    name: str  # the config, qualified by its folder when two runs share a config name
    model: str
    path: Path
    metric: str
    score: float | None  # what the task's rows are ranked by: the rank score
    score_basis: str  # the views that make the score, "+"-joined (score_basis())
    views: dict[str, float | None]  # the metric per view, the main view first
    balanced: frozenset[str]  # views whose value is the mean over their test types
    cv_ci: tuple[float | None, float | None]
    ci_level: float
    accuracy: float | None
    log_loss: float | None
    fit_seconds: float | None
    tier: int | None = None
    trained: bool = True  # false: a zero-shot model (no training items; bench.views.zero_shot)
    ci_note: str = ""  # why the run's interval is rough (too few sentence groups), or ""

    @property
    def main(self) -> str:
        """The main view (its value carries the run's CI)."""
        return next(iter(self.views))


def entry(run: Run, metric: str) -> Entry:
    m = run.metrics
    docs = run.views()
    lo, hi = (m.get("ci", {}).get(metric) or [None, None])[:2]
    return Entry(
        task=m["task"],
        config=m["config"],
        name=m["config"],
        model=m["model"],
        path=run.path,
        metric=metric,
        score=rank_score(docs, metric),
        score_basis=score_basis(docs),
        views={name: view_score(doc, metric) for name, doc in docs.items()},
        balanced=frozenset(n for n, d in docs.items() if metric in (d.get("balanced") or {})),
        cv_ci=(lo, hi),
        ci_level=m.get("ci_level", 0.95),
        accuracy=m["pooled"].get("accuracy"),
        log_loss=m["pooled"].get("log_loss"),
        fit_seconds=run.manifest.get("fit_seconds"),
        trained=m.get("trained", True) is not False,
        ci_note=str(m.get("ci_note") or ""),
    )


HUMAN = "human"  # the model of a human reference row


def human_entry(h: HumanScore, path: Path) -> Entry:
    """A "human" reference row: one annotator scored against the gold (``path``) on the
    gold's items, in the main view's column; not ranked, not tiered."""
    iv = h.interval
    return Entry(
        task=h.task,
        config=f"human: {h.annotator} vs gold ({h.n_labelled}/{h.n_gold} labelled)",
        name=f"human: {h.annotator} vs gold ({h.n_labelled}/{h.n_gold} labelled)",
        model=HUMAN,
        path=path,
        metric=h.metric,
        score=None,
        score_basis=MAIN,
        views={MAIN: iv.estimate},
        balanced=frozenset(),
        cv_ci=(iv.low, iv.high),
        ci_level=iv.level,
        accuracy=h.accuracy,
        log_loss=None,
        fit_seconds=None,
    )


def _qualify(entries: list[Entry]) -> list[Entry]:
    """Two runs of one config name (from different folders) are both shown, each named
    with its folder, never one dropped for the other."""
    from collections import Counter

    counts = Counter(e.config for e in entries)
    return [
        replace(e, name=f"{e.path.parent.name}/{e.config}") if counts[e.config] > 1 else e
        for e in entries
    ]


def sort_key(e: Entry) -> tuple:
    higher = METRICS[e.metric].higher_is_better
    v = e.score
    return (e.task, v is None, -(v or 0) if higher else (v or 0), e.name)


def rank(runs: list[Run], metric: str = "macro_f1") -> list[Entry]:
    """Entries sorted by task, then by rank score (best first)."""
    return sorted(_qualify([entry(r, metric) for r in runs]), key=sort_key)


# ------------------------------------------------------------------------------- tiers
# Tiers are a simultaneous procedure on the runs of one table (``permutation_tiers``):
# contiguous in score order, a cut between two score neighbours only where *every* pair of
# runs across it differs by more than the critical value c, and c is the 1 - alpha quantile
# of that very "cut statistic" when the runs' labels are permuted within each sentence
# group. If all runs are equally good (exchangeable within sentence groups) the table
# therefore shows more than one tier with probability at most alpha; perf/stats_sim.py
# (section tiers) measures it at 5 and 10 runs, 19 and 100 groups.
# label permutations of the tiers' critical value: the number perf/stats_sim.py --only tiers
# validated (the test is exact at any number; 199 costs a fifth of 999's CPU)
N_PERM = 199
JACKKNIFE_BLOCKS = 20  # the pairwise standard errors leave out one of 20 blocks of groups
T_TOL = 1e-9  # relative tolerance on the standardised statistics (ties never cut)


@dataclass(frozen=True)
class Tiers:
    """Tiers of K runs: ``tier[i]`` (1 = best) per run, contiguous in score order. Any two
    runs in different tiers have |t| > ``critical`` (the studentised difference of their
    scores); equal runs are split into more than one tier with probability <= alpha."""

    tier: np.ndarray  # (K,) ints
    critical: float  # on the |t| scale
    scores: np.ndarray = field(repr=False)  # (K,) each run's score from the counts
    order: np.ndarray = field(repr=False)  # run indices, best first


def _scored_t(
    c: np.ndarray, score: stats.Metric, shape: tuple[int, ...], a, b, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For counts ``c`` (n, U, K, P) whose units are sorted by jackknife block (block j
    starts at unit ``starts[j]``): each run's score (n, K) and |t_ab| (n, pairs), the
    pairwise delta over its delete-a-block jackknife standard error. A pair whose delta
    has no spread has t = 0 (it never separates two runs)."""
    n, U, K, P = c.shape
    tot = c.sum(axis=1)
    s = stats._apply(score, tot.reshape(n * K, *shape)).reshape(n, K)
    blocks = np.add.reduceat(c, starts, axis=1) if len(starts) < U else c
    J = blocks.shape[1]
    jk = stats._apply(score, (tot[:, None] - blocks).reshape(n * J * K, *shape)).reshape(n, J, K)
    dj = jk[:, :, a] - jk[:, :, b]
    se = np.sqrt((J - 1) / J * np.sum((dj - dj.mean(axis=1, keepdims=True)) ** 2, axis=1))
    d = s[:, a] - s[:, b]
    ok = se > stats.TIE_TOL
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ok, np.abs(d) / np.where(ok, se, 1.0), 0.0)
    return s, t


def _cut_statistic(T: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Per set of scores: the largest, over the cuts of its own score order, of the
    smallest |t| across the cut (what a cut must exceed). T (n, K, K), s (n, K)."""
    n, K = s.shape
    order = np.argsort(-s, axis=1, kind="stable")
    M = np.take_along_axis(T, order[:, :, None], axis=1)
    M = np.take_along_axis(M, order[:, None, :], axis=2)
    best = np.zeros(n)
    for j in range(1, K):
        best = np.maximum(best, M[:, :j, j:].reshape(n, -1).min(axis=1))
    return best


def permutation_tiers(
    counts: np.ndarray,
    score: stats.Metric,
    *,
    alpha: float = 0.05,
    n_perm: int = N_PERM,
    higher_is_better: bool = True,
    jackknife_blocks: int = JACKKNIFE_BLOCKS,
    refine: bool = True,
    rng: stats.RandomState = None,
) -> Tiers:
    """Tiers of K runs from ``counts`` (U, K, ...) per shared unit (sentence group) and
    run, ``score((n, ...)) -> (n,)`` the rank score.

    t_ab = |s_a - s_b| / se_ab (delete-a-block jackknife over ``jackknife_blocks`` fixed
    blocks of units: unit index mod J). A cut between score neighbours is made when every
    pair across it has t > c; c is the 1 - alpha quantile of the cut statistic (max over
    the cuts of a score order of min |t| across the cut) over ``n_perm`` permutations of
    the run labels within each unit: exact for exchangeable (equal) runs, p = (1 + #) /
    (R + 1). The block layout does not move under the permutations. Partial nulls (some
    runs equal, others better) are controlled approximately: with ``refine`` every cut
    must also pass the critical value of its own block (the runs between its neighbouring
    cuts, permuted among themselves), repeated until no cut is dropped; refining only
    removes cuts, so the all-equal split rate stays <= alpha."""
    counts = np.asarray(counts, dtype=np.float64)
    U, K = counts.shape[:2]
    shape = tuple(counts.shape[2:])
    sign = 1.0 if higher_is_better else -1.0
    a, b = np.triu_indices(K, 1)
    # jackknife blocks: unit index mod J; the units sorted by block (their order is
    # otherwise irrelevant), so that a block is a contiguous run of units
    J = jackknife_blocks if 0 < jackknife_blocks < U else U
    by_block = np.argsort(np.arange(U) % J, kind="stable")
    flat = counts.reshape(U, K, -1)[by_block]
    starts = np.searchsorted((np.arange(U) % J)[by_block], np.arange(J))
    s_obs, t_obs = _scored_t(flat[None], score, shape, a, b, starts)
    est = s_obs[0]
    order = np.argsort(-sign * est, kind="stable")
    if K < 2 or U < 2:
        return Tiers(np.ones(K, dtype=np.int64), math.inf, est, order)
    T_obs = np.zeros((K, K))
    T_obs[a, b] = T_obs[b, a] = t_obs[0]
    gen = stats._rng(rng)

    def critical(runs: np.ndarray) -> float:
        """The permutation critical value of the cut statistic among ``runs`` only."""
        k = len(runs)
        sub = flat[:, runs]
        aa, bb = np.triu_indices(k, 1)
        null = np.empty(n_perm)
        step = max(1, 4_000_000 // (U * k * sub.shape[2]))
        for start in range(0, n_perm, step):
            n = min(step, n_perm - start)
            perm = np.argsort(gen.random((n, U, k)), axis=2)
            c = sub[np.arange(U)[None, :, None], perm]  # (n, U, k, P): labels permuted per unit
            s, t = _scored_t(c, score, shape, aa, bb, starts)
            T = np.zeros((n, k, k))
            T[:, aa, bb] = T[:, bb, aa] = t
            null[start : start + n] = _cut_statistic(T, sign * s)
        allowed = math.floor(alpha * (n_perm + 1) + 1e-12) - 1  # #{S* >= S} <= allowed
        if allowed < 0:
            return math.inf
        return float(np.sort(null)[::-1][allowed]) if allowed < n_perm else 0.0

    def separated(left: np.ndarray, right: np.ndarray, c: float) -> bool:
        return bool((T_obs[np.ix_(left, right)] > c * (1 + T_TOL)).all())

    crit = critical(np.arange(K))
    cuts = [j for j in range(1, K) if separated(order[:j], order[j:], crit)]
    cache: dict[tuple[int, ...], float] = {}
    changed = refine
    while changed and cuts:
        changed = False
        edges = [0, *cuts, K]
        for i, j in enumerate(cuts):
            lo, hi = edges[i], edges[i + 2]
            if hi - lo == K:
                continue
            key = tuple(sorted(order[lo:hi].tolist()))
            if key not in cache:
                cache[key] = critical(np.array(key))
            if not separated(order[lo:j], order[j:hi], cache[key]):
                cuts.remove(j)
                changed = True
                break
    tier = np.empty(K, dtype=np.int64)
    for pos, run in enumerate(order):
        tier[run] = 1 + sum(j <= pos for j in cuts)
    return Tiers(tier, crit, est, order)


def component_counts(run: Run, parts: list[Component], clusters: np.ndarray, w: int) -> np.ndarray:
    """Confusion counts per cluster and score component, (G, C, L, W), each view's counts
    divided by its number of repeats: a run's score does not change (its metrics are
    ratios of counts), and runs with different repeats can be permuted against each other."""
    from bench.metrics import confusions

    L = len(run.labels)
    preds = run.predictions()
    out = np.zeros((len(clusters), len(parts), L, w))
    for c, part in enumerate(parts):
        p = preds[part.view]
        rows = np.ones(len(p.gold), dtype=bool)
        if part.test_type is not None and p.test_type is not None:
            rows = p.test_type == part.test_type
        g = np.searchsorted(clusters, p.groups[rows])  # clusters: every group id, sorted
        n_rep = max(1, len(np.unique(p.repeat)))
        out[:, c] = confusions(p.gold[rows], p.pred[rows], L, g, len(clusters), w) / n_rep
    return out


def rank_metric(parts: list[Component], f_idx: list[int], metric: str):
    """The rank score as a function of component counts (n, C, L, W) -> (n,): the
    components' weighted sum of ``metric`` (``rank_score`` from the same counts); what the
    tiers permute and what ``compare``'s rank-score row flips."""
    from bench.metrics import scores

    weights = np.array([c.weight for c in parts])
    C = len(parts)

    def score(counts: np.ndarray) -> np.ndarray:
        values = scores(counts.reshape(-1, C, *counts.shape[-2:]), f_idx)[metric]
        return np.nansum(np.asarray(values, dtype=np.float64) * weights, axis=-1)

    return score


def tiers(
    runs: list[Run],
    metric: str,
    alpha: float,
    *,
    n_perm: int = N_PERM,
    random_state: int = 0,
) -> dict[Path, int]:
    """Significance tiers of runs of one table on their rank score (``permutation_tiers``
    on the per-sentence-group counts of the score's components, over every group any of
    the runs has; a contrast case counts in its source sentence's group). Seeded by
    ``random_state``: the same runs give the same tiers. Runs whose score is undefined
    come last, in a tier of their own. The tier of each run, by its path."""
    from bench.metrics import width

    if not METRICS[metric].comparable:
        raise RunError(
            f"tiers need a metric computed from confusion counts ({', '.join(NAMED)}), not "
            f"{metric!r}; pass --no-tiers"
        )
    higher = METRICS[metric].higher_is_better
    scored = [r for r in runs if rank_score(r.views(), metric) is not None]
    unscored = [r for r in runs if rank_score(r.views(), metric) is None]
    out: dict[Path, int] = {}
    if scored:
        parts = components(scored[0].views())
        for r in scored[1:]:
            if components(r.views()) != parts:
                raise RunError(
                    f"{scored[0].path} and {r.path} have different views; cannot tier them together"
                )
        predictions = [list(r.predictions().values()) for r in scored]
        clusters = np.unique(np.concatenate([p.groups for ps in predictions for p in ps]))
        L = len(scored[0].labels)
        w = width(L, *(p.pred for ps in predictions for p in ps))
        counts = np.stack([component_counts(r, parts, clusters, w) for r in scored], axis=1)
        f_idx = [scored[0].labels.index(lab) for lab in scored[0].metrics["f_avg_labels"]]
        score = rank_metric(parts, f_idx, metric)
        result = permutation_tiers(
            counts,
            score,
            alpha=alpha,
            n_perm=n_perm,
            higher_is_better=higher,
            rng=np.random.default_rng(random_state),
        )
        out = {r.path: int(t) for r, t in zip(scored, result.tier, strict=True)}
    last = max(out.values(), default=0) + 1
    out.update({r.path: last for r in unscored})
    return out


TIERS_CONTROL = (
    "Tiers: if all runs of a table were equally good, it would show more than one tier in "
    "at most {alpha} of cases (run labels permuted within sentence groups), and every run "
    "is separated from every run of every lower tier."
)


def tiers_sentence(alpha: float) -> str:
    """What the tiers control, in one sentence (the leaderboard prints it)."""
    return TIERS_CONTROL.format(alpha=f"{alpha * 100:g}%")


def with_tiers(entries: list[Entry], runs: list[Run], alpha: float) -> list[Entry]:
    """Significance tiers per task on the rank score, entries re-sorted by tier."""
    by_path = {r.path: r for r in runs}
    out: list[Entry] = []
    for task in sorted({e.task for e in entries}):
        mine = [e for e in entries if e.task == task]
        tier_of = tiers([by_path[e.path] for e in mine], mine[0].metric, alpha)
        ranked = sorted(mine, key=lambda e: (tier_of[e.path], sort_key(e)))
        out += [replace(e, tier=tier_of[e.path]) for e in ranked]
    return out
