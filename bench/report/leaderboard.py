"""Leaderboards: one row per run, grouped by task, best primary score first."""

from __future__ import annotations

import csv
import io

from bench.report.format import METRIC_NAMES, ci, num

COLUMNS = (
    "task",
    "tier",
    "config",
    "model",
    "macro_f1",
    "ci_low",
    "ci_high",
    "accuracy",
    "f_avg",
    "kappa",
    "log_loss",
    "fit_seconds",
)


def entries(runs, sort_by: str = "macro_f1") -> list[dict]:
    """Rows from (metrics, manifest) pairs, sorted by task then ``sort_by`` (best first)."""
    from bench.metrics import HIGHER_IS_BETTER

    rows = []
    for metrics, manifest in runs:
        lo, hi = metrics.get("ci", {}).get("macro_f1") or [None, None]
        rows.append(
            {
                "task": metrics["task"],
                "config": metrics["config"],
                "model": metrics["model"],
                "macro_f1": metrics["pooled"]["macro_f1"],
                "ci_low": lo,
                "ci_high": hi,
                "accuracy": metrics["pooled"]["accuracy"],
                "f_avg": metrics["pooled"]["f_avg"],
                "kappa": metrics["pooled"]["kappa"],
                "log_loss": metrics["pooled"].get("log_loss"),
                "fit_seconds": (manifest or {}).get("fit_seconds"),
            }
        )
    sign = -1 if HIGHER_IS_BETTER.get(sort_by, True) else 1

    def key(r):
        v = r.get(sort_by)
        return (r["task"], v is None, sign * (v if v is not None else 0), r["config"])

    return sorted(rows, key=key)


def _cells(r: dict) -> list[str]:
    cells = [
        r["task"],
        r["config"],
        r["model"],
        f"{num(r['macro_f1'])} {ci([r['ci_low'], r['ci_high']])}".strip(),
        num(r["accuracy"]),
        num(r["fit_seconds"], 2),
    ]
    if "tier" in r:
        cells.insert(1, str(r["tier"]))
    return cells


HEADER = ["task", "config", "model", f"{METRIC_NAMES['macro_f1']} [95% CI]", "accuracy", "fit s"]


def _header(rows: list[dict]) -> list[str]:
    return HEADER[:1] + ["tier"] + HEADER[1:] if rows and "tier" in rows[0] else HEADER


def render_text(rows: list[dict]) -> str:
    header = _header(rows)
    table = [header] + [_cells(r) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def render_markdown(rows: list[dict]) -> str:
    header = _header(rows)
    align = [
        "---:" if h in ("tier", "accuracy", "fit s") or h.startswith("macro") else "---"
        for h in header
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def render_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def assign_tiers(
    rows: list[dict],
    run_dirs: dict[str, object],
    metric: str,
    alpha: float,
    n_boot: int = 1000,
    random_state: int = 0,
) -> list[dict]:
    """Significance tiers per task: the best run and every run not significantly different
    from it (paired bootstrap, or unpaired when data or folds differ) share tier 1; the
    rest are tiered the same way. Returns the rows with a ``tier`` key, in tier order."""
    from bench.compare import compare_pair, load_run
    from bench.metrics import HIGHER_IS_BETTER

    out = []
    for task in sorted({r["task"] for r in rows}):
        remaining = [r for r in rows if r["task"] == task]
        remaining.sort(
            key=lambda r: (
                r[metric] is None,
                -(r[metric] or 0) if HIGHER_IS_BETTER[metric] else (r[metric] or 0),
                r["config"],
            )
        )
        loaded = {r["config"]: load_run(run_dirs[r["config"]]) for r in remaining}
        tier = 1
        while remaining:
            leader, rest = remaining[0], remaining[1:]
            members = [leader]
            for r in rest:
                (res,), _ = compare_pair(
                    loaded[leader["config"]],
                    loaded[r["config"]],
                    [metric],
                    n_boot=n_boot,
                    alpha=alpha,
                    random_state=random_state,
                )
                if res["tests"]["bootstrap"] >= alpha:
                    members.append(r)
            for r in members:
                out.append({**r, "tier": tier})
            remaining = [r for r in rest if r not in members]
            tier += 1
    return out


def render_html(rows: list[dict]) -> str:
    """One page: per task, a bar plot of macro-F1 with its 95% CI, then the table."""
    from html import escape

    from bench.report.html import _table, bars, page

    tiers = (
        "Tier: runs not significantly different from the best of their tier (paired "
        "bootstrap) share it. "
        if rows and "tier" in rows[0]
        else ""
    )
    parts = ["<h1>stance-bench leaderboard</h1>", f"<p>{tiers}Bars: macro-F1 with its 95% CI.</p>"]
    for task in sorted({r["task"] for r in rows}):
        task_rows = [r for r in rows if r["task"] == task]
        parts.append(f"<h2>Task {escape(task)}</h2>")
        items = [
            (r["config"], max(0.0, r["macro_f1"] or 0.0), (r["ci_low"], r["ci_high"]))
            for r in task_rows
        ]
        parts.append(bars(items, width=640, label_width=200, title="macro-F1 by config"))
        header = _header(task_rows)
        parts.append(
            _table(
                header,
                [[escape(c) for c in _cells(r)] for r in task_rows],
                numeric={i for i, h in enumerate(header) if h in ("tier", "accuracy", "fit s")},
            )
        )
    return page("stance-bench leaderboard", "".join(parts))
