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
    """[low, high]; a side beyond the bootstrap's resamples (null, metrics.json's
    ``ci_open``) is printed one-sided: [≥ low] or [≤ high] (see ``OPEN_CI``)."""
    if not interval or (interval[0] is None and interval[1] is None):
        return ""
    low, high = interval[0], interval[1]
    if high is None:
        return f"[≥ {low:.{digits}f}]"
    if low is None:
        return f"[≤ {high:.{digits}f}]"
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


OPEN_CI = (
    "An interval printed [≥ x] or [≤ x] has its other side beyond the bootstrap's "
    "resamples (open): x is a one-sided bound at (1 + level) / 2, the other side is not "
    "estimated."
)


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


def predicted_counts(metrics: ViewMetrics) -> list[tuple[str, int, int | str]]:
    """(label, gold support, predictions) per label, then ("(no answer)", "", n) when
    the model abstained: what the model answers beside what the data holds."""
    from bench.metrics import NO_ANSWER_NAME

    rows: list[tuple[str, int, int | str]] = [
        (lab, c["support"], c.get("predicted", "")) for lab, c in per_class(metrics)
    ]
    answers = metrics.get("answers")
    if answers is not None and answers["abstained"]:
        rows.append((NO_ANSWER_NAME, "", answers["abstained"]))  # type: ignore[arg-type]
    return rows


def answers_text(metrics: ViewMetrics) -> str:
    """One sentence on what a model that can abstain answered, or ""."""
    a = metrics.get("answers")
    if a is None:
        return ""
    reasons = ", ".join(f"{n} {r.replace('_', ' ')}" for r, n in a["by_reason"].items() if n)
    text = (
        f"Answers: {a['answered']} of {a['asked']} predictions answered with a label of the "
        f"task (coverage {num(a['coverage'])})"
    )
    text += f"; {a['abstained']} abstained ({reasons})" if a["abstained"] else ""
    if a["policy"] == "drop":
        text += (
            f". Abstentions are left out (abstain = drop): the scores cover only the "
            f"{a['scored']} answered predictions, not every item."
        )
    else:
        text += ". Abstentions count as errors (a miss of the gold label)."
    return text


def same_as_text(name: str, metrics: ViewMetrics) -> str:
    """Why a zero-shot run's view has no tables of its own, or ""."""
    other = metrics.get("same_as")
    if other is None:
        return ""
    return (
        f"View {name}: the same items and predictions as view {other}. The model is "
        "zero-shot (trained = false): it learns nothing from training items, so every "
        f"item is a test item once and the training splits of {name} make no difference; "
        f"its scores are those of {other}."
    )


def requests_text(manifest: dict) -> str:
    """The request totals of a model that answers, from the manifest, or ""."""
    r = manifest.get("requests")
    if not r:
        return ""
    parts = [
        f"{int(r.get('sent', 0))} request(s) sent",
        f"{int(r.get('cached', 0))} from the cache",
    ]
    if r.get("retried"):
        parts.append(f"{int(r['retried'])} retried")
    if "prompt_tokens" in r or "completion_tokens" in r:
        parts.append(
            f"{int(r.get('prompt_tokens', 0))} prompt and "
            f"{int(r.get('completion_tokens', 0))} completion tokens"
        )
    if "request_seconds" in r:
        parts.append(f"{r['request_seconds']:.1f} s waiting for answers")
    return "Requests: " + ", ".join(parts) + "."
