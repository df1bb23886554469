"""Leaderboard rows: one per run, grouped by task, ranked by a score, with tiers.

The rank score of a run is its *generalization score* when it has the transfer views:
the mean of the metric over ``cross_target`` and ``contrast`` (what a model does on
targets and wordings it has not seen); without them, the metric of its ``cv`` view. The
README says why in-data CV alone is not used to rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.runs import Run
from bench.specs import METRICS

TRANSFER_VIEWS = ("cross_target", "contrast")


@dataclass(frozen=True)
class Entry:
    task: str
    config: str
    name: str  # the config, qualified by its folder when two runs share a config name
    model: str
    path: Path
    metric: str
    score: float | None  # what the task's rows are ranked by
    score_basis: str  # "generalization" or "cv"
    views: dict[str, float | None]  # the metric per view
    cv_ci: tuple[float | None, float | None]
    ci_level: float
    accuracy: float | None
    log_loss: float | None
    fit_seconds: float | None
    tier: int | None = None


def generalization(views: dict[str, float | None]) -> tuple[float | None, str]:
    """The rank score from per-view values: mean over the transfer views present (None if
    any of them is undefined), else the cv value."""
    present = [v for v in TRANSFER_VIEWS if v in views]
    if not present:
        return views.get("cv"), "cv"
    values = [views[v] for v in present]
    if any(v is None for v in values):
        return None, "generalization"
    return sum(values) / len(values), "generalization"  # type: ignore[arg-type]


def view_score(doc: dict, metric: str) -> float | None:
    """A view's value of ``metric``: the test-type-balanced one for the contrast suite
    (see ``bench.runner._by_test_type``), the pooled one otherwise."""
    balanced = doc.get("balanced")
    if balanced is not None and metric in balanced:
        return balanced[metric]
    return doc["pooled"].get(metric)


def entry(run: Run, metric: str) -> Entry:
    m = run.metrics
    views = {name: view_score(doc, metric) for name, doc in run.views().items()}
    score, basis = generalization(views)
    lo, hi = (m.get("ci", {}).get(metric) or [None, None])[:2]
    return Entry(
        task=m["task"],
        config=m["config"],
        name=m["config"],
        model=m["model"],
        path=run.path,
        metric=metric,
        score=score,
        score_basis=basis,
        views=views,
        cv_ci=(lo, hi),
        ci_level=m.get("ci_level", 0.95),
        accuracy=m["pooled"].get("accuracy"),
        log_loss=m["pooled"].get("log_loss"),
        fit_seconds=run.manifest.get("fit_seconds"),
    )


def _qualify(entries: list[Entry]) -> list[Entry]:
    """Two runs of one config name (from different folders) are both shown, each named
    with its folder, never one dropped for the other."""
    from collections import Counter
    from dataclasses import replace

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
    """Entries sorted by task, then by score (best first)."""
    return sorted(_qualify([entry(r, metric) for r in runs]), key=sort_key)


def with_tiers(entries: list[Entry], runs: list[Run], alpha: float) -> list[Entry]:
    """Significance tiers per task on the rank score (``bench.compare.tiers``)."""
    from dataclasses import replace

    from bench.compare import tiers

    by_path = {r.path: r for r in runs}
    out: list[Entry] = []
    for task in sorted({e.task for e in entries}):
        mine = [e for e in entries if e.task == task]
        tiered = tiers([by_path[e.path] for e in mine], mine[0].metric, alpha)
        tier_of = {t.run.path: t.tier for t in tiered}
        ranked = sorted(mine, key=lambda e: (tier_of[e.path], sort_key(e)))
        out += [replace(e, tier=tier_of[e.path]) for e in ranked]
    return out
