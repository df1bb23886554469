"""Formatting shared by the renderers: numbers, intervals, levels, and escaping."""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import TYPE_CHECKING, Any

from bench.specs import METRICS

if TYPE_CHECKING:
    from bench.runs import ViewMetrics

REPORTED = tuple(METRICS)
_PLAIN = re.compile(r"[A-Za-z0-9 .,+\-\[\]()%/:=–<>]*")  # numbers, intervals, words
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def label(metric: str) -> str:
    spec = METRICS.get(metric)
    return spec.label if spec else metric


def md(text: Any) -> str:
    """Any text made inert in Markdown (and in the HTML that Markdown allows): HTML
    escaped, Markdown punctuation backslashed, line breaks turned into spaces."""
    flat = " ".join(str(text).split())
    if _PLAIN.fullmatch(flat) and "](" not in flat and "<" not in flat.replace("<0.001", ""):
        return flat  # numbers, intervals, plain words: nothing to escape
    return _MD_SPECIAL.sub(r"\\\1", html_escape(flat, quote=False))


def md_row(cells) -> str:
    """A Markdown table row; every cell escaped (numbers pass through unchanged)."""
    return "| " + " | ".join(md(c) for c in cells) + " |"


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
