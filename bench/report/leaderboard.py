"""Leaderboards: one row per run, grouped by task, best primary score first."""

from __future__ import annotations

import csv
import io

from bench.report.format import METRIC_NAMES, ci, num

COLUMNS = (
    "task",
    "config",
    "model",
    "macro_f1",
    "ci_low",
    "ci_high",
    "accuracy",
    "f_avg",
    "kappa",
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
    return [
        r["task"],
        r["config"],
        r["model"],
        f"{num(r['macro_f1'])} {ci([r['ci_low'], r['ci_high']])}".strip(),
        num(r["accuracy"]),
        num(r["fit_seconds"], 2),
    ]


HEADER = ["task", "config", "model", f"{METRIC_NAMES['macro_f1']} [95% CI]", "accuracy", "fit s"]


def render_text(rows: list[dict]) -> str:
    table = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def render_markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---:|---:|---:|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def render_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
