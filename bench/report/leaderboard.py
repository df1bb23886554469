"""Render the leaderboard (``bench.boards``: one table per task, dataset and rank-score
views) as text, Markdown, CSV or HTML. Each table says what its rank score is made of."""

from __future__ import annotations

import csv
import io

from bench.boards import Board
from bench.ranking import HUMAN, Entry, tiers_sentence
from bench.report.format import (
    ci,
    csv_cell,
    label,
    level_pct,
    md,
    md_row,
    md_rule,
    num,
    text_table,
)
from bench.views import VIEWS, order

# CSV columns: every view of bench.views, the main ones (cv, test) with their CI
COLUMNS = (
    "task",
    "tier",
    "config",
    "model",
    "metric",
    "score",
    "score_basis",
    "dataset",
    *(
        c
        for v, view in VIEWS.items()
        for c in ((v, f"{v}_ci_low", f"{v}_ci_high") if not view.optional else (v,))
    ),
    "accuracy",
    "log_loss",
    "fit_seconds",
    "trained",
)
ZERO_SHOT = " (zero-shot)"  # after the model of a run that learned nothing from the data
ZERO_SHOT_NOTE = (
    "(zero-shot): trained = false; the model learned nothing from the data, every item "
    "was a test item, so its in-data and cross-target scores are the same predictions."
)
ROUGH = "†"  # after an interval the run calls rough (its ci_note)


def views_of(entries: list[Entry]) -> list[str]:
    """The views any entry has, in registry order."""
    return order({v for e in entries for v in e.views})


def _view_header(metric: str, view: str, level: str, entries: list[Entry]) -> str:
    if entries and view == entries[0].main:
        return f"{metric} {view} [{level} CI]"
    if any(view in e.balanced for e in entries):
        return f"{metric} {view} (type-balanced)"
    return f"{metric} {view}"


def _header(entries: list[Entry]) -> list[str]:
    first = entries[0] if entries else None
    metric = label(first.metric) if first else "score"
    level = level_pct(first.ci_level) if first else ""
    views = views_of(entries)
    head = ["task"] + (["tier"] if _tiered(entries) else [])
    head += ["config", "model"]
    if len(views) > 1:
        head.append(f"rank score {metric}")
    head += [_view_header(metric, v, level, entries) for v in views]
    # accuracy is the main view's, as the interval is
    return head + [f"accuracy {first.main}" if first else "accuracy", "fit s"]


def _tiered(entries: list[Entry]) -> bool:
    """Whether the table has a tier column (a "human" row has no tier: "-")."""
    return any(e.tier is not None for e in entries)


def _cells(e: Entry, views: list[str], tiered: bool = False) -> list[str]:
    model = e.model + ("" if e.trained else ZERO_SHOT)
    tier = [str(e.tier) if e.tier is not None else "-"] if tiered else []
    cells = [e.task] + tier + [e.name, model]
    if len(views) > 1:
        cells.append(num(e.score))
    for v in views:
        value = num(e.views.get(v))
        if v == e.main and ci(e.cv_ci):
            value += f" {ci(e.cv_ci)}" + (ROUGH if e.ci_note else "")
        cells.append(value)
    return cells + [num(e.accuracy), num(e.fit_seconds, 2)]


def heading(b: Board) -> str:
    """What a table ranks: its task, its dataset, and the views its rank score is of."""
    articles = f", {len(b.articles)} articles" if b.articles else ""
    return f"Task {b.task}, data {b.data} ({b.n_examples} examples{articles})"


def basis(b: Board) -> str:
    metric = label(b.entries[0].metric) if b.entries else "score"
    balanced = {v for e in b.entries for v in e.balanced}
    parts = [f"{v} (type-balanced)" if v in balanced else v for v in b.score_views]
    if len(parts) == 1:
        return f"Rank score: the {metric} of {parts[0]}."
    return f"Rank score: the mean {metric} of {', '.join(parts[:-1])} and {parts[-1]}."


def _notes(entries: list[Entry]) -> list[str]:
    """What the table's marks mean: zero-shot rows, and intervals their runs call rough
    (each distinct reason once; in a table of several tasks, naming the tasks it is of)."""
    notes = [ZERO_SHOT_NOTE] if any(not e.trained for e in entries) else []
    tasks: dict[str, dict[str, None]] = {}  # reason -> its tasks, in table order
    for e in entries:
        if e.ci_note:
            tasks.setdefault(e.ci_note, {})[e.task] = None
    several = len({e.task for e in entries}) > 1
    for note, of in tasks.items():
        where = f" (task{'s' if len(of) > 1 else ''} {', '.join(of)})" if several else ""
        notes.append(f"{ROUGH}{where} {note}")
    return notes


def tier_note(b: Board) -> str:
    """What the table's tiers control (``bench.ranking.tiers_sentence``), or ""."""
    return tiers_sentence(b.alpha) if b.alpha is not None and _tiered(b.entries) else ""


def render_text(boards: list[Board]) -> str:
    out = []
    for b in boards:
        views = views_of(b.entries)
        out.append(f"{heading(b)}. {basis(b)}\n")
        if tier_note(b):
            out.append(tier_note(b) + "\n")
        tiered = _tiered(b.entries)
        rows = [_cells(e, views, tiered) for e in b.entries]
        out.append(text_table(_header(b.entries), rows))
        out += [n + "\n" for n in _notes(b.entries)]
    return "\n".join(out)


def render_markdown(boards: list[Board], compact: bool = False) -> str:
    """One table per board, under its heading, with what its rank score is and how to read
    its tiers. ``compact`` (a README's sample board): when every board says the same of its
    score and tiers and has the same columns, one table of every board's rows (the tiers
    are still each board's own), the boards' headings on one line above it."""
    out: list[str] = []
    shared = {(basis(b), tier_note(b), tuple(_header(b.entries))) for b in boards}
    if compact and len(shared) == 1:
        tiers = " Tiers are within each task." if len(boards) > 1 and tier_note(boards[0]) else ""
        out += [md("; ".join(heading(b) for b in boards) + "." + tiers), ""]
        out += _preamble(boards[0])
        out += _table(boards[0].entries, [e for b in boards for e in b.entries])
        return "\n".join(out)
    for b in boards:
        out += [f"### {md(heading(b))}", "", *_preamble(b), *_table(b.entries, b.entries)]
    return "\n".join(out)


def _preamble(b: Board) -> list[str]:
    """What a board's rank score is, and how to read its tiers (when it has them)."""
    return [md(basis(b)), ""] + ([md(tier_note(b)), ""] if tier_note(b) else [])


def _table(board: list[Entry], entries: list[Entry]) -> list[str]:
    """The Markdown table of ``entries`` with the columns of ``board``'s (the same when
    they are one board's), then the zero-shot note when it applies."""
    views = views_of(board)
    header = _header(board)
    align = "".join("l" if h in ("task", "config", "model") else "r" for h in header)
    out = [md_row(header), md_rule(align)]
    out += [md_row(_cells(e, views, _tiered(entries))) for e in entries]
    out.append("")
    return out + [x for n in _notes(entries) for x in (md(n), "")]


def render_csv(boards: list[Board]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for b in boards:
        for e in b.entries:
            row = {
                "task": e.task,
                "dataset": b.data_hash,
                "tier": e.tier,
                "config": e.name,
                "model": e.model,
                "metric": e.metric,
                "score": e.score,
                "score_basis": e.score_basis,
                "accuracy": e.accuracy,
                "log_loss": e.log_loss,
                "fit_seconds": e.fit_seconds,
                "trained": e.trained,
                **{v: e.views.get(v) for v in VIEWS},
                f"{e.main}_ci_low": e.cv_ci[0],
                f"{e.main}_ci_high": e.cv_ci[1],
            }
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


def render_html(boards: list[Board]) -> str:
    """One page: per table, a bar plot of the rank score, then the table."""
    from bench.report.format import html_text as escape
    from bench.report.html import bars, page, table

    parts = ["<h1>stance-bench leaderboard</h1>"]
    for b in boards:
        views = views_of(b.entries)
        parts.append(f"<h2>{escape(heading(b))}</h2><p>{escape(basis(b))}</p>")
        if tier_note(b):
            parts.append(f"<p>{escape(tier_note(b))}</p>")
        metric = label(b.entries[0].metric)
        single = len(b.score_views) == 1 and all(b.score_views[0] == e.main for e in b.entries)
        items = [
            (e.name, max(0.0, e.score or 0.0), e.cv_ci if single else None)
            for e in b.entries
            if e.model != HUMAN  # a reference row, not ranked
        ]
        parts.append(
            bars(items, width=640, label_width=200, title=f"rank score {metric} by config")
        )
        header = _header(b.entries)
        parts.append(
            table(
                header,
                [_cells(e, views, _tiered(b.entries)) for e in b.entries],
                numeric={i for i, h in enumerate(header) if h not in ("task", "config", "model")},
            )
        )
        parts += [f'<p class="small">{escape(n)}</p>' for n in _notes(b.entries)]
    return page("stance-bench leaderboard", "".join(parts))
