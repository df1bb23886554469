"""Formatting shared by the renderers: numbers, intervals, levels, and escaping."""

from __future__ import annotations

from typing import TYPE_CHECKING

# the escaping every renderer uses, re-exported (it lives below bench.report: the dataset
# card escapes with it too)
from bench.escaping import csv_cell as csv_cell
from bench.escaping import html_text as html_text
from bench.escaping import md as md
from bench.escaping import md_row as md_row
from bench.escaping import visible as visible
from bench.specs import METRICS

if TYPE_CHECKING:
    from bench.runs import ViewMetrics

REPORTED = tuple(METRICS)


def label(metric: str) -> str:
    spec = METRICS.get(metric)
    return spec.label if spec else metric


def md_rule(align: str) -> str:
    """The row under a header: ``align`` has ``l`` or ``r`` per column."""
    return "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"


def num(x, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def signed(x, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def level_pct(level: float) -> str:
    """0.95 -> "95%"; 0.9875 -> "98.75%" (as many digits as the level has)."""
    return f"{level * 100:.4g}%"


def ci(interval, digits: int = 3) -> str:
    if not interval or interval[0] is None:
        return ""
    return f"[{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def with_ci(metrics: dict, name: str, digits: int = 3) -> str:
    value = metrics["pooled"].get(name)
    interval = ci(metrics.get("ci", {}).get(name), digits)
    return f"{num(value, digits)} {interval}".strip()


def per_class(metrics: ViewMetrics):
    """(label, scores) in the task's label order (JSON objects come back key-sorted)."""
    return [(lab, metrics["per_class"][lab]) for lab in metrics["labels"]]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain aligned table for the terminal: columns padded to their widest cell."""
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
