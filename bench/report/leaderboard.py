"""Render leaderboard entries (``bench.ranking``) as text, Markdown, CSV or HTML."""

from __future__ import annotations

import csv
import io

from bench.ranking import Entry
from bench.report.format import csv_cell, label, level_pct, md_row, md_rule, num, text_table
from bench.views import MAIN, VIEWS, order

# CSV columns: every view of bench.views, the main one with its CI
COLUMNS = (
    "task",
    "tier",
    "config",
    "model",
    "metric",
    "score",
    "score_basis",
    *(c for v in VIEWS for c in ((v, f"{v}_ci_low", f"{v}_ci_high") if v == MAIN else (v,))),
    "accuracy",
    "log_loss",
    "fit_seconds",
)


def views_of(entries: list[Entry]) -> list[str]:
    """The views any entry has, in registry order."""
    return order({v for e in entries for v in e.views})


def _view_header(metric: str, view: str, level: str, entries: list[Entry]) -> str:
    if view == MAIN:
        return f"{metric} {view} [{level} CI]"
    if any(view in e.balanced for e in entries):
        return f"{metric} {view} (type-balanced)"
    return f"{metric} {view}"


def _header(entries: list[Entry]) -> list[str]:
    first = entries[0] if entries else None
    metric = label(first.metric) if first else "score"
    level = level_pct(first.ci_level) if first else ""
    views = views_of(entries)
    head = ["task"] + (["tier"] if first and first.tier is not None else [])
    head += ["config", "model"]
    if any(v != MAIN for v in views):
        head.append(f"generalization {metric}")
    head += [_view_header(metric, v, level, entries) for v in views]
    return head + ["accuracy", "fit s"]


def _cells(e: Entry, views: list[str]) -> list[str]:
    cells = [e.task] + ([str(e.tier)] if e.tier is not None else []) + [e.name, e.model]
    if any(v != MAIN for v in views):
        cells.append(num(e.score))
    for v in views:
        value = num(e.views.get(v))
        if v == MAIN and e.cv_ci[0] is not None:
            value += f" [{e.cv_ci[0]:.3f}, {e.cv_ci[1]:.3f}]"
        cells.append(value)
    return cells + [num(e.accuracy), num(e.fit_seconds, 2)]


def render_text(entries: list[Entry]) -> str:
    views = views_of(entries)
    return text_table(_header(entries), [_cells(e, views) for e in entries])


def render_markdown(entries: list[Entry]) -> str:
    views = views_of(entries)
    header = _header(entries)
    align = "".join("l" if h in ("task", "config", "model") else "r" for h in header)
    lines = [md_row(header), md_rule(align)] + [md_row(_cells(e, views)) for e in entries]
    return "\n".join(lines) + "\n"


def render_csv(entries: list[Entry]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in entries:
        row = {
            "task": e.task,
            "tier": e.tier,
            "config": e.name,
            "model": e.model,
            "metric": e.metric,
            "score": e.score,
            "score_basis": e.score_basis,
            "accuracy": e.accuracy,
            "log_loss": e.log_loss,
            "fit_seconds": e.fit_seconds,
            **{v: e.views.get(v) for v in VIEWS},
            f"{MAIN}_ci_low": e.cv_ci[0],
            f"{MAIN}_ci_high": e.cv_ci[1],
        }
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


def render_html(entries: list[Entry]) -> str:
    """One page: per task, a bar plot of the rank score (cv with its CI), then the table."""
    from bench.report.format import html_text as escape
    from bench.report.html import bars, page, table

    tiers = (
        "Tier: runs not significantly different from the best of their tier (paired "
        "bootstrap) share it. "
        if entries and entries[0].tier is not None
        else ""
    )
    parts = ["<h1>stance-bench leaderboard</h1>", f"<p>{escape(tiers)}</p>"]
    for task in sorted({e.task for e in entries}):
        mine = [e for e in entries if e.task == task]
        views = views_of(mine)
        parts.append(f"<h2>Task {escape(task)}</h2>")
        basis = mine[0].score_basis
        metric = label(mine[0].metric)
        items = [
            (e.name, max(0.0, e.score or 0.0), e.cv_ci if basis == MAIN else None) for e in mine
        ]
        parts.append(bars(items, width=640, label_width=200, title=f"{basis} {metric} by config"))
        header = _header(mine)
        parts.append(
            table(
                header,
                [_cells(e, views) for e in mine],
                numeric={i for i, h in enumerate(header) if h not in ("task", "config", "model")},
            )
        )
    return page("stance-bench leaderboard", "".join(parts))
