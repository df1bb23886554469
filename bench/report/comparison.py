"""Render a Comparison as text, Markdown (a PR comment) or JSON."""

from __future__ import annotations

from bench.io import dumps_json
from bench.report.format import METRIC_NAMES

ARROWS = {"better": "▲", "worse": "▼", "no significant change": "●"}


def _n(x, digits: int = 3, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _p(p) -> str:
    if p is None:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _ci(ci) -> str:
    return "n/a" if ci[0] is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _verdict(row) -> str:
    text = f"{ARROWS[row.verdict]} {row.verdict}"
    if row.regression and row.verdict != "worse":
        text += " (drop past --max-drop)"
    if not row.paired:
        text += " (unpaired)"
    return text


def _summary(c) -> str:
    worse = sum(r.regression for r in c.rows)
    better = sum(r.verdict == "better" for r in c.rows)
    state = "FAIL" if c.exit_code else "PASS"
    return (
        f"{state}: {worse} regression(s), {better} improvement(s), "
        f"{len(c.rows) - worse - better} without significant change "
        f"(alpha {c.alpha}, {c.test} test"
        + (", Holm-corrected over all rows" if c.holm else "")
        + (f", max drop {c.max_drop}" if c.max_drop is not None else "")
        + ")"
    )


def _footnotes(c) -> list[str]:
    lines = []
    if c.holm:
        lines.append(f"p-values are Holm-corrected for {len(c.rows)} comparisons.")
    lines.append(
        "MDE: the smallest delta this data detects with 80% power at this alpha; "
        "'no significant change' with a delta below it is not evidence of no change."
    )
    return lines + list(c.notes)


def render_text(c) -> str:
    header = ["config", "metric", "base", "cand", "delta", "95% CI", "p(adj)", "MDE", "verdict"]
    body = [
        [
            r.config,
            METRIC_NAMES.get(r.metric, r.metric),
            _n(r.base),
            _n(r.candidate),
            _n(r.delta, sign=True),
            _ci(r.ci),
            _p(r.p_adjusted),
            _n(r.mde),
            _verdict(r),
        ]
        for r in c.rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", _summary(c), *_footnotes(c)]) + "\n"


def render_markdown(c) -> str:
    icon = "❌" if c.exit_code else "✅"
    lines = [
        f"### {icon} stance-bench comparison",
        "",
        _summary(c),
        "",
        "| config | metric | base | candidate | Δ | 95% CI of Δ | p (adj.) | verdict |",
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in c.rows:
        lines.append(
            f"| {r.config} | {METRIC_NAMES.get(r.metric, r.metric)} | {_n(r.base)} | "
            f"{_n(r.candidate)} | {_n(r.delta, sign=True)} | {_ci(r.ci)} | "
            f"{_p(r.p_adjusted)} | {_verdict(r)} |"
        )
    lines += [
        "",
        "<details><summary>Details: every test, MDE, pairing</summary>",
        "",
        "| config | metric | paired | bootstrap p | permutation p | McNemar p | "
        "Nadeau-Bengio p | p (raw) | MDE |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in c.rows:
        t = r.tests
        lines.append(
            f"| {r.config} | {METRIC_NAMES.get(r.metric, r.metric)} | "
            f"{'yes' if r.paired else 'no'} | {_p(t.get('bootstrap'))} | "
            f"{_p(t.get('permutation'))} | {_p(t.get('mcnemar'))} | "
            f"{_p(t.get('nadeau_bengio'))} | {_p(r.p_value)} | {_n(r.mde)} |"
        )
    lines += [""] + [f"- {note}" for note in _footnotes(c)] + ["", "</details>", ""]
    return "\n".join(lines)


def render_json(c) -> str:
    return dumps_json(c.to_dict())
