"""Render a Comparison as text, Markdown (a PR comment) or JSON.

Every interval is labelled with the level it was computed at (the Holm-adjusted level of
its row), never a typed-in "95%".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bench.compare import Verdict
from bench.io import dumps_json
from bench.report.format import label, level_pct, md, md_row, md_rule, num, signed, text_table

ARROWS = {Verdict.BETTER: "▲", Verdict.WORSE: "▼", Verdict.NO_CHANGE: "●"}
MARKER = "<!-- stance-bench comparison -->"


def _p(p) -> str:
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _end(x: float) -> str:
    if x == float("inf"):
        return "+∞"
    if x == float("-inf"):
        return "−∞"
    return f"{x:+.3f}"


def _interval(row) -> str:
    iv = row.interval
    if iv.low is None or row.delta is None:
        return "n/a"
    return f"[{_end(iv.low)}, {_end(iv.high)}] ({level_pct(iv.level)})"


def _mde(row) -> str:
    return num(row.mde.value) if row.mde.value is not None else "n/a"


def _verdict(row) -> str:
    text = f"{ARROWS[row.verdict]} {row.verdict}"
    if row.dropped and row.verdict is not Verdict.WORSE:
        text += " (drop past --max-drop)"
    if not row.paired:
        text += " (unpaired)"
    return text


def outcome(c) -> str:
    """The one-line outcome, stating what the exit code will say."""
    worse = sum(r.regression for r in c.rows)
    better = sum(r.verdict is Verdict.BETTER for r in c.rows)
    state = "FAIL" if c.failed else "PASS"
    g = c.gate
    return (
        f"{state}: {worse} regression(s), {better} improvement(s), "
        f"{len(c.rows) - worse - better} without significant change "
        f"(alpha {g.alpha}, {g.test} test"
        + (", Holm-corrected over all rows" if c.holm else "")
        + (f", max drop {g.max_drop}" if g.max_drop is not None else "")
        + (f", fail on {g.fail_on}" if g.fail_on != "regression" else "")
        + ")"
    )


def _footnotes(c) -> list[str]:
    lines = [*c.warnings()]
    if c.holm:
        lines.append(
            f"p-values are Holm-corrected for {len(c.rows)} comparisons; each interval is "
            "at its row's adjusted level, so it excludes 0 exactly when the row is significant."
        )
    lines.append(
        "MDE: the smallest delta this data detects with 80% power at the row's level; "
        "'no significant change' with a delta below it is not evidence of no change."
    )
    notes = sorted({f"MDE n/a: {r.mde.reason}" for r in c.rows if r.mde.reason})
    mcnemar = sorted({r.tests.mcnemar_method for r in c.rows if r.tests.mcnemar_method})
    if mcnemar:
        notes.append(
            f"McNemar ({', '.join(mcnemar)}): on the first repeat, with items clustered by "
            "sentence (exact when every sentence is one item)"
        )
    return lines + notes + list(c.notes)


def _cells(r) -> list[str]:
    return [
        r.config,
        r.view,
        label(r.metric),
        num(r.base),
        num(r.candidate),
        signed(r.delta),
        _interval(r),
        _p(r.p_adjusted),
        _verdict(r),
    ]


HEADER = ["config", "view", "metric", "base", "candidate", "Δ", "CI of Δ", "p (adj.)", "verdict"]


def render_text(c) -> str:
    body = [[*_cells(r)[:8], _mde(r), _cells(r)[8]] for r in c.rows]
    table = text_table([*HEADER[:8], "MDE", HEADER[8]], body) if body else "no rows\n"
    return table + "\n" + "\n".join([outcome(c), *_footnotes(c)]) + "\n"


def render_markdown(c, title: str = "stance-bench comparison", *, marker: bool = True) -> str:
    """The comparison as Markdown (a PR comment); ``marker`` starts it with ``MARKER``, the
    comment's identity, which a comparison inside a check report does without."""
    icon = "❌" if c.failed else "✅"
    lines = [MARKER] if marker else []
    lines += [f"### {icon} {md(title)}", "", md(outcome(c)), ""]
    if c.rows:
        lines += [md_row(HEADER), md_rule("lllrrrlrl")]
        lines += [md_row(_cells(r)) for r in c.rows]
    details = [
        "config",
        "view",
        "metric",
        "paired",
        "bootstrap p",
        "permutation p",
        "McNemar p",
        "Nadeau-Bengio p",
        "p (raw)",
        "MDE",
    ]
    lines += [
        "",
        "<details><summary>Details: every test, MDE, pairing</summary>",
        "",
        md_row(details),
        md_rule("lllrrrrrrr"),
    ]
    for r in c.rows:
        t = r.tests
        lines.append(
            md_row(
                [
                    r.config,
                    r.view,
                    label(r.metric),
                    "yes" if r.paired else "no",
                    _p(t.get("bootstrap")),
                    _p(t.get("permutation")),
                    _p(t.get("mcnemar")),
                    _p(t.get("nadeau_bengio")),
                    _p(r.p_value),
                    _mde(r),
                ]
            )
        )
    lines += [""] + [f"- {md(note)}" for note in _footnotes(c)] + ["", "</details>", ""]
    return "\n".join(lines)


def _plain(x: Any) -> Any:
    if isinstance(x, float) and x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and x != x:  # NaN: undefined
        return None
    if isinstance(x, Verdict):
        return x.value
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "tolist"):
        return x.tolist()
    return x


def render_json(c) -> str:
    rows = [_plain(r) for r in c.rows]
    return dumps_json(
        {
            "alpha": c.gate.alpha,
            "max_drop": c.gate.max_drop,
            "fail_on": c.gate.fail_on,
            "test": c.gate.test,
            "holm": c.holm,
            "failed": c.failed,
            "outcome": outcome(c),
            "notes": c.notes,
            "warnings": c.warnings(),
            "rows": rows,
        }
    )
