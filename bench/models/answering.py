"""Models that answer instead of being fitted classifiers: a predictions file made
elsewhere (``bench.models.external``) and a chat endpoint (``bench.models.chat``).

Such a model may give no label of the task for an item (it abstains, for one of
``bench.labels.ABSTAIN_REASONS``) and keeps a per-item log (its raw answer, the prompt's
hash, latency, tokens). It says so through ``answer(X) -> Answers``, which the runner
calls instead of ``predict`` when the estimator has it; ``responses.jsonl`` of the run
folder is the log, the view's ``answers`` in metrics.json the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Answers:
    """One fold's answers, row for row of the test items.

    ``labels``: a label of the task, or None where the model abstained; ``reasons``: ""
    where it answered, else why not; ``policy``: how abstentions are scored
    (``bench.labels.ABSTAIN_POLICIES``); ``records``: one log entry per row (the runner
    adds where it was: view, repeat, fold, id); ``scores``: per row and label, or None;
    ``usage``: totals for the manifest (requests sent, cached, tokens...)."""

    labels: list[str | None]
    reasons: list[str]
    policy: str
    records: list[dict[str, Any]]
    scores: np.ndarray | None = None
    usage: dict[str, float] = field(default_factory=dict)


def add_usage(totals: dict[str, float], usage: dict[str, float]) -> dict[str, float]:
    """``totals`` plus ``usage``, key by key."""
    out = dict(totals)
    for key, value in usage.items():
        out[key] = out.get(key, 0) + value
    return out
