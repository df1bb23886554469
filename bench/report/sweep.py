"""Render a sweep summary: a table with CIs, one plot per swept key, the best setting."""

from __future__ import annotations

from bench.report.format import ci, label, level_pct, md, md_row, md_rule, num
from bench.report.format import html_text as escape
from bench.report.leaderboard import views_of

SELECTION = {
    "same_folds": (
        "The best setting is picked by its score on the same folds it is reported on: the "
        "best of N noisy estimates is biased upward, so its score is optimistic. Set "
        'select = "inner_cv" in [sweep] for an honest estimate.'
    ),
    "inner_cv": (
        'Honest selection (select = "inner_cv"): the .inner_cv run chooses a setting on '
        "inner folds of each training fold and is scored on the outer folds; its score is "
        "the estimate to report. The best row of the table is still the optimistic one."
    ),
}


def _selection(s) -> str:
    text = SELECTION[s.select]
    if s.select == "inner_cv" and s.select_on:
        from bench.views import VIEWS

        ranks = s.select_on in VIEWS and VIEWS[s.select_on].ranks
        text += f" The inner folds mimic the {s.select_on} view (select_on in [sweep])" + (
            ", a view of the rank score: the setting is chosen on the criterion that ranks."
            if ranks
            else ", which the rank score does not use: the choice may follow a shortcut "
            "(such as the target) that the ranked views penalise."
        )
    return text


def _setting(row) -> str:
    if not row.setting:
        return "inner_cv (selected per fold)"
    return ", ".join(f"{k.partition('.')[2]}={v}" for k, v in row.setting)


def render_markdown(s) -> str:
    metric = label(s.metric)
    first = s.rows[0].entry
    level = level_pct(first.ci_level)
    main = first.main
    others = [  # the score column already shows a score that is one view's alone
        v for v in views_of([r.entry for r in s.rows]) if v not in (main, first.score_basis)
    ]
    lines = [
        f"# Sweep {md(s.name)}",
        "",
        f"Swept: {md(', '.join(s.keys))}; ranked by the {md(first.score_basis)} {metric}.",
        "",
        md(_selection(s)),
        "",
        md_row(
            [
                "setting",
                "run",
                f"{first.score_basis} {metric}",
                f"{main} {metric} [{level} CI]",
                *others,
                "best",
            ]
        ),
        md_rule("llrr" + "r" * len(others) + "l"),
    ]
    for r in s.rows:
        e = r.entry
        cv = num(e.views.get(main))
        if ci(e.cv_ci):
            cv += f" {ci(e.cv_ci)}"
        lines.append(
            md_row(
                [
                    _setting(r),
                    e.name,
                    num(e.score),
                    cv,
                    *(num(e.views.get(v)) for v in others),
                    "◀ best" if r is s.best else "",
                ]
            )
        )
    if s.chosen:
        lines += ["", "inner_cv chose, over the outer folds of the cv view:", ""]
        lines += [f"- {md(k)}: {v} fold(s)" for k, v in sorted(s.chosen.items())]
    return "\n".join(lines) + "\n"


def _plot(s, key: str) -> str:
    """Score against one swept value: a dot per run (other keys vary), best circled."""
    values = []
    for r in s.rows:
        if r.setting:
            v = dict(r.setting)[key]
            if v not in values:
                values.append(v)
    w, h, pad = 420, 220, 40
    step = (w - 2 * pad) / max(1, len(values) - 1) if len(values) > 1 else 0
    scores = [r.entry.score for r in s.rows if r.setting and r.entry.score is not None]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 1.0)
    lo, hi = (lo - 0.05, hi + 0.05) if hi > lo else (lo - 0.1, hi + 0.1)

    def y(v: float) -> float:
        return h - pad - (v - lo) / (hi - lo) * (h - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        f'aria-label="{escape(s.metric)} against {escape(key)}">',
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/>',
        f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle" font-size="12">{escape(key)}</text>',
        f'<text x="4" y="{pad - 12}" font-size="11">{escape(s.rows[0].entry.score_basis)} '
        f"{escape(label(s.metric))}: {lo:.2f}–{hi:.2f}</text>",
    ]
    for i, v in enumerate(values):
        x = pad + i * step if len(values) > 1 else w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{h - pad + 14}" text-anchor="middle" font-size="11">'
            f"{escape(str(v))}</text>"
        )
        for r in s.rows:
            if r.setting and dict(r.setting)[key] == v and r.entry.score is not None:
                cy = y(r.entry.score)
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="4" fill="#3a6ea5">'
                    f"<title>{escape(_setting(r))}: {r.entry.score:.3f}</title></circle>"
                )
                if r is s.best:
                    parts.append(
                        f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="8" fill="none" '
                        'stroke="#c0392b" stroke-width="2"/>'
                    )
    parts.append("</svg>")
    return "".join(parts)


def render_html(s) -> str:
    from bench.report.html import page, table

    metric = label(s.metric)
    first = s.rows[0].entry
    main = s.rows[0].entry.main
    others = [  # the score column already shows a score that is one view's alone
        v for v in views_of([r.entry for r in s.rows]) if v not in (main, first.score_basis)
    ]
    body = [
        f"<h1>Sweep {escape(s.name)}</h1>",
        f"<p>{escape(_selection(s))}</p>",
        "".join(_plot(s, k) for k in s.keys),
        table(
            [
                "setting",
                "run",
                f"{first.score_basis} {metric}",
                f"{main} {metric}",
                *others,
                "best",
            ],
            [
                [
                    _setting(r),
                    r.entry.name,
                    num(r.entry.score),
                    num(r.entry.views.get(main)),
                    *(num(r.entry.views.get(v)) for v in others),
                    "best" if r is s.best else "",
                ]
                for r in s.rows
            ],
            numeric=set(range(2, 4 + len(others))),
        ),
    ]
    return page(f"sweep {s.name}", "".join(body))
