"""The leaderboard of a set of runs: one table per group of runs whose rank scores can be
compared, i.e. of one task, on one dataset (the data hash of metrics.json) and scored
from the same views (``bench.ranking.score_basis``). Runs are ranked by the rank score,
and tiered inside their table (``bench.ranking.with_tiers``); a run of one config name
from two folders is named with its folder (``bench.ranking.rank``)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.ranking import Entry, rank, with_tiers
from bench.runs import Run


@dataclass(frozen=True)
class Board:
    """One table of the leaderboard."""

    task: str
    data_hash: str
    score_views: tuple[str, ...]  # the views whose scores make the rank score
    entries: list[Entry]
    n_examples: int  # of the main view of the board's first run
    articles: tuple[str, ...]  # the articles the data spans, when it records them
    alpha: float | None = None  # the tiers' level (None: not tiered)

    @property
    def data(self) -> str:
        """How the table names its dataset: the data hash's first 12 characters."""
        return self.data_hash[:12]


def _articles(run: Run) -> tuple[str, ...]:
    for doc in run.views().values():
        if doc.get("per_article"):
            return tuple(sorted(doc["per_article"]))
    return ()


def boards(runs: list[Run], metric: str = "macro_f1", *, alpha: float | None = None) -> list[Board]:
    """The leaderboard's tables, tiered at ``alpha`` (None: no tiers). Ordered by task,
    then by the number of runs (largest first), then by data hash."""
    by_path = {r.path: r for r in runs}
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for e in rank(runs, metric):
        key = (e.task, str(by_path[e.path].metrics["data_hash"]), e.score_basis)
        groups.setdefault(key, []).append(e)
    out = []
    for (task, data_hash, basis), entries in groups.items():
        mine = [by_path[e.path] for e in entries]
        if alpha is not None:
            entries = with_tiers(entries, mine, alpha)
        first = mine[0]
        out.append(
            Board(
                task=task,
                data_hash=data_hash,
                score_views=tuple(basis.split("+")),
                entries=entries,
                n_examples=int(first.metrics.get("n_examples", 0)),
                articles=_articles(first),
                alpha=alpha,
            )
        )
    return sorted(out, key=lambda b: (b.task, -len(b.entries), b.data_hash, b.score_views))
