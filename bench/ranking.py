"""The rank score, the leaderboard's rows, and significance tiers.

The rank score of a run is defined once, here, as a weighted mean of score components
(``components``): the views that make it (``bench.views.rank_views``: those that test on
data the model did not train on, such as targets, articles and wordings it has not seen,
or a held-out test set) each weigh equally, and a view with test types (the contrast
suite) splits its weight equally among them; without such views, the main view alone.
The leaderboard's value (``rank_score``, from metrics.json) and the tiers' bootstrap
(``rank_score_p``, from per-group confusion counts) both use these components. The
README says why in-data CV alone is not used to rank.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
def _component_counts(run: Run, parts: list[Component], clusters: np.ndarray, w: int) -> np.ndarray:
    """Confusion counts per cluster and score component: (G, C, L, W)."""
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
        out[:, c] = confusions(p.gold[rows], p.pred[rows], L, g, len(clusters), w)
    return out


def rank_score_p(
    a: Run, b: Run, metric: str, *, n_boot: int = 1000, random_state: int = 0
) -> float:
    """Two-sided p-value of the difference of two runs' rank scores: a paired cluster
    bootstrap over the sentence groups that every view shares (a contrast case moves with
    the sentence it was made from), inverted from its percentile interval."""
    from bench.metrics import scores, width

    parts = components(a.views())
    if parts != components(b.views()):
        raise RunError(f"{a.path} and {b.path} have different views; cannot tier them together")
    clusters = np.unique(
        np.concatenate([p.groups for run in (a, b) for p in run.predictions().values()])
    )
    w = width(len(a.labels), *(p.pred for run in (a, b) for p in run.predictions().values()))
    ca, cb = _component_counts(a, parts, clusters, w), _component_counts(b, parts, clusters, w)
    G, C, L = ca.shape[0], ca.shape[1], ca.shape[2]
    weights = np.array([c.weight for c in parts])
    f_idx = [a.labels.index(lab) for lab in a.metrics["f_avg_labels"]]

    def statistic(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        def score(counts: np.ndarray) -> np.ndarray:  # (n, C*L*L) -> (n,)
            values = scores(counts.reshape(-1, C, L, w), f_idx)[metric]
            return np.nansum(values * weights, axis=-1)

        return {"delta": score(sums[1]) - score(sums[0])}

    totals = [c.sum(axis=0).reshape(1, -1) for c in (ca, cb)]
    if float(statistic(totals)["delta"][0]) == 0:
        return 1.0
    reps = stats.cluster_bootstrap(
        [ca.reshape(G, -1), cb.reshape(G, -1)],
        statistic,
        n_boot=n_boot,
        rng=np.random.default_rng(random_state),
        method="expanded",
    )["delta"]
    return reps.p_value()


def tiers(
    runs: list[Run], metric: str, alpha: float, *, n_boot: int = 1000, random_state: int = 0
) -> dict[Path, int]:
    """Significance tiers of runs of one task on their rank score: the best run and every
    run not significantly different from it (``rank_score_p``) share tier 1; the rest
    are tiered the same way. The tier of each run, by its path."""
    if not METRICS[metric].comparable:
        raise RunError(
            f"tiers need a metric computed from confusion counts ({', '.join(NAMED)}), not "
            f"{metric!r}; pass --no-tiers"
        )
    higher = METRICS[metric].higher_is_better

    def score(run: Run) -> float | None:
        return rank_score(run.views(), metric)

    remaining = sorted(
        runs,
        key=lambda r: (score(r) is None, -(score(r) or 0) if higher else (score(r) or 0), r.name),
    )
    out: dict[Path, int] = {}
    tier = 1
    while remaining:
        leader, rest = remaining[0], remaining[1:]
        members = [leader] + [
            r
            for r in rest
            if rank_score_p(leader, r, metric, n_boot=n_boot, random_state=random_state) >= alpha
        ]
        out.update({m.path: tier for m in members})
        remaining = [r for r in rest if r not in members]
        tier += 1
    return out


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
