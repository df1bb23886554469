"""Render a CheckResult: the lines for the terminal and the Markdown for a PR comment /
job summary. Both state the same outcome as the exit code."""

from __future__ import annotations

from bench.report import comparison
from bench.report.format import md

MARKER = "<!-- stance-bench check -->"


def outcome(result) -> str:
    if result.updated:
        return f"reference updated: {len(result.updated)} run(s)"
    if not result.failed:
        return "check passed: every result reproduced the reference exactly" + (
            f", and no regression against {result.base.label}" if result.base else ""
        )
    reasons = []
    if result.own.changed or result.own.added:
        reasons.append(
            "results differ from the committed reference (if the change is intended, review "
            "the table and run `stance-bench check --update`)"
        )
    base = result.base
    if base is not None and base.comparison is not None and base.comparison.failed:
        c = base.comparison
        worse = sum(r.verdict == "worse" for r in c.rows)
        drops = len(c.inconclusive_drops)
        what = [f"{worse} significant regression(s)"] if worse else []
        what += [f"{drops} inconclusive rank-score drop(s) past --max-drop"] if drops else []
        reasons.append(f"{' and '.join(what) or 'a change'} against {base.label}")
    return "check FAILED: " + "; ".join(reasons)


def _lines(a, base: bool = False) -> list[str]:
    """What the comparison with the reference (or, ``base``, with the base revision's
    reference, where a change is what a pull request is for) found, run by run."""
    total = len(a.reproduced) + len(a.changed) + len(a.added)
    same = "unchanged" if base else "reproduced exactly"
    out = [f"against {a.label}: {same}: {len(a.reproduced)} of {total}"]
    if a.environment:
        out.append(
            "environment differs from the one that made it: "
            + "; ".join(a.environment)
            + ": model numerics may differ"
        )
    out += a.notes
    changed = "changed" if base else "NOT reproduced"
    out += [f"  {changed}: {n} (metrics or predictions differ)" for n in a.changed]
    out += [f"  NEW: {n} (no entry in {a.label})" for n in a.added]
    out += [f"  REMOVED: {n} (its config was deleted)" for n in a.removed]
    return out


def render_text(result) -> str:
    if result.updated:
        return outcome(result) + "\n"
    parts = []
    for a in (result.own, result.base):
        if a is None:
            continue
        parts += _lines(a, base=a is result.base)
        if a.comparison is not None:
            parts += ["", comparison.render_text(a.comparison).rstrip("\n")]
        parts.append("")
    parts.append(outcome(result))
    return "\n".join(parts) + "\n"


def render_markdown(result) -> str:
    icon = "❌" if result.failed else "✅"
    lines = [MARKER, f"## {icon} stance-bench check", "", md(outcome(result)), ""]
    for a in (result.own, result.base):
        if a is None:
            continue
        lines += [f"- {md(line.strip())}" for line in _lines(a, base=a is result.base)]
        lines.append("")
        if a.comparison is not None:
            lines.append(
                comparison.render_markdown(
                    a.comparison, title=f"changes against {a.label}", marker=False
                )
            )
    return "\n".join(lines) + "\n"
