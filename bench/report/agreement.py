"""Render annotator agreement (``bench.agreement.Agreement``) as text, Markdown or JSON (the
tables are the dataset card's, ``bench.corpus.agreement_card``); and an adjudication
file's disagreements side by side."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from bench.corpus.agreement_card import HEADER, markdown_scope, notes, rows, scopes, summary
from bench.report.format import text_table

if TYPE_CHECKING:
    from bench.agreement import Agreement, Scope
    from bench.corpus.adjudicate import Entry


def render_text(result: Agreement) -> str:
    parts = []
    for scope in scopes(result):
        parts += [summary(scope), "", text_table(HEADER, rows(scope))]
    return "\n".join(parts) + "\n".join(notes(result)) + "\n"


def render_markdown(result: Agreement) -> str:
    lines = ["# Annotator agreement", ""]
    for scope in scopes(result):
        lines += markdown_scope(scope, "##")
    return "\n".join(lines + notes(result)) + "\n"


def _finite(x: float) -> float | None:
    return round(float(x), 10) if math.isfinite(x) else None


def as_dict(result: Agreement) -> dict[str, Any]:
    def scope(s: Scope) -> dict[str, Any]:
        return {
            "name": s.name,
            "annotators": list(s.annotators),
            "n_units": s.n_units,
            "n_groups": s.n_groups,
            "n_pairable": s.n_pairable,
            "n_complete": s.n_complete,
            "rated": s.rated,
            "only": s.only,
            "observed": _finite(s.observed),
            "estimates": [
                {
                    "statistic": e.statistic,
                    "annotators": list(e.raters),
                    "label": e.label,
                    "value": _finite(e.interval.estimate),
                    "ci": [_finite(e.interval.low), _finite(e.interval.high)],
                    "few_clusters": e.interval.few_clusters,
                    "n_units": e.n_units,
                }
                for e in s.estimates
            ],
        }

    return {
        "level": result.level,
        "method": result.method,
        "n_boot": result.n_boot,
        "random_state": result.random_state,
        "articles": [scope(s) for s in result.articles],
        "overall": scope(result.overall),
        "single": list(result.single),
    }


def render_json(result: Agreement) -> str:
    return json.dumps(as_dict(result), indent=2, sort_keys=True) + "\n"


# ----------------------------------------------------------------------- adjudication
def _item(row: dict | None) -> str:
    if row is None:
        return "(no item)"
    if "exclude" in row:
        return f"exclude {row['evidence']!r} ({row['exclude']})"
    who = f"{row.get('holder', '')} -> " if row.get("holder") else ""
    return f"{row['label']}: {who}{row.get('target', '')} {row['evidence']!r}"


def render_disagreements(entries: list[Entry]) -> str:
    """The units that need a decision, each annotator's item on its own line."""
    open_ = [e for e in entries if e.status != "agreed"]
    lines = [
        f"{len(entries)} units: {len(entries) - len(open_)} agreed, "
        f"{sum(e.status == 'disagreed' for e in open_)} disagreed, "
        f"{sum(e.status == 'partial' for e in open_)} made by some annotators only"
    ]
    for e in open_:
        what = ", ".join(e.differs) if e.differs else "made by some annotators only"
        lines.append(f"unit {e.unit} ({e.status}: {what}): {e.sentence[:70]!r}")
        width = max(len(a) for a in e.annotators)
        lines += [f"  {a.ljust(width)}  {_item(row)}" for a, row in e.annotators.items()]
    return "\n".join(lines) + "\n"
