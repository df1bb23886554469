"""Render leaderboard entries (``bench.ranking``) as text, Markdown, CSV or HTML."""

from __future__ import annotations

import csv
import io

from bench.ranking import Entry
from bench.report.format import label, level_pct, md_row, md_rule, num, text_table

VIEW_ORDER = ("cv", "cross_target", "contrast")
COLUMNS = (
    "task",
    "tier",
    "config",
    "model",
    "metric",
    "score",
    "score_basis",
    "cv",
    "cv_ci_low",
    "cv_ci_high",
    "cross_target",
    "contrast",
    "accuracy",
    "log_loss",
    "fit_seconds",
)


def _views(entries: list[Entry]) -> list[str]:
    present = {v for e in entries for v in e.views}
    return [v for v in VIEW_ORDER if v in present]


def _view_header(metric: str, view: str, level: str) -> str:
    if view == "cv":
        return f"{metric} cv [{level} CI]"
    if view == "contrast":
        return f"{metric} contrast (type-balanced)"
    return f"{metric} {view}"


def _header(entries: list[Entry]) -> list[str]:
    first = entries[0] if entries else None
    metric = label(first.metric) if first else "score"
    level = level_pct(first.ci_level) if first else ""
    views = _views(entries)
    head = ["task"] + (["tier"] if first and first.tier is not None else [])
    head += ["config", "model"]
    if any(v != "cv" for v in views):
        head.append(f"generalization {metric}")
    head += [_view_header(metric, v, level) for v in views]
    return head + ["accuracy", "fit s"]


def _cells(e: Entry, views: list[str]) -> list[str]:
    cells = [e.task] + ([str(e.tier)] if e.tier is not None else []) + [e.name, e.model]
    if any(v != "cv" for v in views):
        cells.append(num(e.score))
    for v in views:
        value = num(e.views.get(v))
        if v == "cv" and e.cv_ci[0] is not None:
            value += f" [{e.cv_ci[0]:.3f}, {e.cv_ci[1]:.3f}]"
        cells.append(value)
    return cells + [num(e.accuracy), num(e.fit_seconds, 2)]


def render_text(entries: list[Entry]) -> str:
    views = _views(entries)
    return text_table(_header(entries), [_cells(e, views) for e in entries])


def render_markdown(entries: list[Entry]) -> str:
    views = _views(entries)
    header = _header(entries)
    align = "".join("l" if h in ("task", "config", "model") else "r" for h in header)
    lines = [md_row(header), md_rule(align)] + [md_row(_cells(e, views)) for e in entries]
    return "\n".join(lines) + "\n"


def render_csv(entries: list[Entry]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in entries:
        writer.writerow(
            {
                "task": e.task,
                "tier": e.tier,
                "config": e.name,
                "model": e.model,
                "metric": e.metric,
                "score": e.score,
                "score_basis": e.score_basis,
                "cv": e.views.get("cv"),
                "cv_ci_low": e.cv_ci[0],
                "cv_ci_high": e.cv_ci[1],
                "cross_target": e.views.get("cross_target"),
                "contrast": e.views.get("contrast"),
                "accuracy": e.accuracy,
                "log_loss": e.log_loss,
                "fit_seconds": e.fit_seconds,
            }
        )
    return buf.getvalue()


def render_html(entries: list[Entry]) -> str:
    """One page: per task, a bar plot of the rank score (cv with its CI), then the table."""
    from html import escape

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
        views = _views(mine)
        parts.append(f"<h2>Task {escape(task)}</h2>")
        basis = mine[0].score_basis
        metric = label(mine[0].metric)
        items = [
            (e.name, max(0.0, e.score or 0.0), e.cv_ci if basis == "cv" else None) for e in mine
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
