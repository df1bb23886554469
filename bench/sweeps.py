"""Sweep summaries: the runs of one ``[sweep]``, their scores, and the best setting."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.ranking import Entry, entry
from bench.runs import Run


@dataclass(frozen=True)
class SweepRow:
    entry: Entry
    setting: tuple[tuple[str, Any], ...]  # () for the inner_cv run


@dataclass(frozen=True)
class SweepSummary:
    name: str
    keys: tuple[str, ...]
    select: str
    rows: list[SweepRow]  # settings in declaration order, then the inner_cv run
    best: SweepRow  # by the rank score on the same folds (optimistic)
    chosen: dict[str, int]  # inner_cv: how often each setting was chosen, over outer folds
    metric: str
    select_on: str = ""  # inner_cv: the view whose folds the inner selection mimics


def summarize(runs: list[tuple[Run, Any]], metric: str = "macro_f1") -> list[SweepSummary]:
    """One summary per sweep; ``runs`` pairs each run with its config's SweepInfo."""
    by_sweep: dict[str, list[tuple[Run, Any]]] = {}
    for run, info in runs:
        if info is not None:
            by_sweep.setdefault(info.name, []).append((run, info))
    out = []
    for name, members in by_sweep.items():
        rows = [SweepRow(entry(run, metric), info.setting) for run, info in members]
        settings = [r for r in rows if r.setting]
        best = max(settings, key=lambda r: (r.entry.score is not None, r.entry.score or 0.0))
        chosen: Counter[str] = Counter()
        for run, info in members:
            if not info.setting:
                for fold in run.metrics.get("per_fold", []):
                    if "selected" in fold:
                        label = ", ".join(f"{k}={v}" for k, v in sorted(fold["selected"].items()))
                        chosen[label] += 1
        info0 = members[0][1]
        select_on = next((i.select_on for _, i in members if not i.setting), "")
        out.append(
            SweepSummary(
                name, info0.keys, info0.select, rows, best, dict(chosen), metric, select_on
            )
        )
    return out
