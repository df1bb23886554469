"""Render a Comparison as text, Markdown (a PR comment) or JSON.

Every interval is labelled with the level it was computed at, never a typed-in "95%";
an interval that no outcome could make exclude 0 reads "not estimable at this level",
never [−∞, +∞]. The headline names what fails, in the words the rows use.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from bench.compare import RANK_ROW, Verdict
from bench.io import dumps_json
from bench.report.format import label, level_pct, md, md_row, md_rule, num, signed, text_table

ARROWS = {
    Verdict.BETTER: "▲",
    Verdict.WORSE: "▼",
    Verdict.NO_CHANGE: "●",
    Verdict.INCONCLUSIVE: "◌",
}
MARKER = "<!-- stance-bench comparison -->"
NOT_ESTIMABLE = "not estimable at this level"


def _p(p) -> str:
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _bounds(iv) -> str:
    if iv is None or iv.low is None or not (math.isfinite(iv.low) and math.isfinite(iv.high)):
        return NOT_ESTIMABLE
    return f"[{iv.low:+.3f}, {iv.high:+.3f}] ({level_pct(iv.level)})"


def _interval(row) -> str:
    if row.delta is None:
        return "n/a"
    if row.decider == "identical":
        return "identical predictions"
    if not row.estimable:
        return NOT_ESTIMABLE
    return _bounds(row.interval)


def _mde(row) -> str:
    return num(row.mde.value) if row.mde.value is not None else "n/a"


def _name(row) -> str:
    """A row's name in a sentence: config, view and metric (a config's views have one row
    per metric)."""
    return f"{row.config} {row.label} {label(row.metric)}"


def _verdict(row) -> str:
    text = f"{ARROWS[row.verdict]} {row.verdict}"
    if row.regression and row.verdict is not Verdict.WORSE:
        text += " (drop past --max-drop: fails)"
    if not row.paired:
        text += " (unpaired)"
    return text


def _family(c) -> str:
    g = c.gate
    if c.method != "max-T":
        return f"{c.method} over the {c.family_size} rows that differ"
    same = len(c.rows) - c.family_size - c.n_unpaired
    text = f"max-T over the {c.family_size} of {len(c.rows)} rows that differ"
    text += f" ({same} identical)" if same else ""
    if c.family_size:
        crit = f"{c.critical_t:.2f}" if math.isfinite(c.critical_t) else "∞"
        flips = f"all {c.n_flips} joint flips" if c.exact else f"{c.n_flips} joint flips"
        text += f", critical |t| {crit} ({flips} of the {c.n_units} sentence groups that differ)"
    if c.n_unpaired:
        text += f"; {c.n_unpaired} unpaired row(s) by the bootstrap, Holm"
    return text + f"; alpha {g.alpha}"


def outcome(c) -> str:
    """The one-line outcome, stating what the exit code will say, in the rows' words."""
    worse = [r for r in c.rows if r.verdict is Verdict.WORSE]
    drops = c.inconclusive_drops
    better = sum(r.verdict is Verdict.BETTER for r in c.rows)
    same = sum(r.verdict is Verdict.NO_CHANGE for r in c.rows)
    unsure = sum(r.verdict is Verdict.INCONCLUSIVE for r in c.rows) - len(drops)
    g = c.gate
    parts = [f"{len(worse)} significant regression(s)"]
    if worse:
        parts[0] += f" ({', '.join(_name(r) for r in worse)})"
    if drops:
        parts.append(
            f"{len(drops)} inconclusive rank-score drop(s) past --max-drop {g.max_drop} "
            f"({', '.join(_name(r) for r in drops)})"
        )
    parts += [
        f"{better} improvement(s)",
        f"{same} without significant change",
        f"{unsure} inconclusive",
    ]
    tail = [_family(c)]
    if g.max_drop is not None:
        tail.append(f"max drop {g.max_drop}")
    if g.fail_on != "regression":
        tail.append(f"fail on {g.fail_on}")
    return f"{'FAIL' if c.failed else 'PASS'}: {', '.join(parts)} ({'; '.join(tail)})"


def _footnotes(c) -> list[str]:
    lines = [*c.warnings()]
    g = c.gate
    if c.family_size and c.method == "max-T":
        lines.append(
            "All rows are one family: the sentence groups are swapped between the two runs "
            "jointly for every row (cluster sign flips), and a row is significant when its "
            "|Δ| over the spread of its own flips beats the family's maximum (Westfall-Young "
            "step-down max-T); rows whose runs do not differ leave the family. The interval "
            "is Δ ± the |Δ| the row needed at its step of the procedure, so it excludes 0 "
            "exactly when the row is significant. Intervals at the first step's critical |t| "
            f"would hold for every row at once at {level_pct(1 - g.alpha)}; a later step's "
            "critical value is smaller, so its rows' intervals are narrower than simultaneous "
            "ones."
        )
    tol = (
        f"--max-drop {g.max_drop}"
        if g.max_drop is not None
        else "the row's own |Δ| (no --max-drop gave a tolerance in advance)"
    )
    lines.append(
        "MDE: the smallest |Δ| this test flags with 80% power at the row's level fixed in "
        "advance (the family's critical value). Not significant: 'no significant change' when "
        f"the MDE is at most {tol}, else 'inconclusive' (this data cannot tell)."
    )
    if g.max_drop is not None:
        lines.append(
            f"A config's rank score that drops by more than {g.max_drop} fails the gate "
            "unless it is significantly better: too few sentence groups to show it is noise."
        )
    notes = sorted({f"{_name(r)}: {r.note}" for r in c.rows if r.note and r.in_family})
    mcnemar = sorted({r.tests.mcnemar_method for r in c.rows if r.tests.mcnemar_method})
    if mcnemar:
        notes.append(
            f"McNemar ({', '.join(mcnemar)}): on the first repeat, with items clustered by "
            "sentence (exact when every sentence is one item)"
        )
    return lines + notes + list(c.notes)


HEADER = [
    "config",
    "view",
    "metric",
    "base",
    "candidate",
    "Δ",
    "interval of Δ",
    "MDE",
    "p (adj.)",
    "verdict",
]


def _cells(r) -> list[str]:
    return [
        r.config,
        r.label,
        label(r.metric),
        num(r.base),
        num(r.candidate),
        signed(r.delta),
        _interval(r),
        _mde(r),
        _p(r.p_adjusted),
        _verdict(r),
    ]


def render_text(c) -> str:
    body = [_cells(r) for r in c.rows]
    table = text_table(HEADER, body) if body else "no rows\n"
    return table + "\n" + "\n".join([outcome(c), *_footnotes(c)]) + "\n"


def render_markdown(c, title: str = "stance-bench comparison", *, marker: bool = True) -> str:
    """The comparison as Markdown (a PR comment); ``marker`` starts it with ``MARKER``, the
    comment's identity, which a comparison inside a check report does without."""
    icon = "❌" if c.failed else "✅"
    lines = [MARKER] if marker else []
    lines += [f"### {icon} {md(title)}", "", md(outcome(c)), ""]
    if c.rows:
        lines += [md_row(HEADER), md_rule("lllrrrlrrl")]
        lines += [md_row(_cells(r)) for r in c.rows]
    details = [
        "config",
        "view",
        "metric",
        "paired",
        "differing groups",
        "decider",
        "sign-flip p (raw)",
        "bootstrap p",
        "bootstrap interval",
        "McNemar p",
        "Nadeau-Bengio p",
    ]
    lines += [
        "",
        "<details><summary>Details: every test, the bootstrap interval, pairing</summary>",
        "",
        md_row(details),
        md_rule("llllrlrrlrr"),
    ]
    for r in c.rows:
        t = r.tests
        lines.append(
            md_row(
                [
                    r.config,
                    r.label,
                    label(r.metric),
                    "yes" if r.paired else "no",
                    str(r.n_discordant) if r.n_discordant >= 0 else "–",
                    r.decider,
                    _p(t.get("permutation")),
                    _p(t.get("bootstrap")),
                    _bounds(r.bootstrap_interval) if r.bootstrap_interval else "–",
                    _p(t.get("mcnemar")),
                    _p(t.get("nadeau_bengio")),
                ]
            )
        )
    lines += [""] + [f"- {md(note)}" for note in _footnotes(c)] + ["", "</details>", ""]
    return "\n".join(lines)


def _plain(x: Any) -> Any:
    if isinstance(x, float) and x in (float("inf"), float("-inf")):
        return None  # JSON has no infinity: an unbounded side is null
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
    rows = [
        {**_plain(r), "estimable": r.estimable, "rank_score": r.kind == RANK_ROW} for r in c.rows
    ]
    return dumps_json(
        {
            "alpha": c.gate.alpha,
            "max_drop": c.gate.max_drop,
            "fail_on": c.gate.fail_on,
            "test": c.gate.test,
            "method": c.method,
            "family_size": c.family_size,
            "n_unpaired": c.n_unpaired,
            "n_units": c.n_units,
            "n_flips": c.n_flips,
            "exact": c.exact,
            "critical_t": _plain(c.critical_t),
            "failed": c.failed,
            "outcome": outcome(c),
            "notes": c.notes,
            "warnings": c.warnings(),
            "rows": rows,
        }
    )
