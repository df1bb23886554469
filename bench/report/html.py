"""A run's report as one self-contained HTML page: no scripts, no external files.

Charts are inline SVG drawn here (a heat map is a coloured table, bars are rectangles):
deterministic bytes, escaped text, and no plotting library to import per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.report.format import (
    OPEN_CI,
    REPORTED,
    answers_text,
    ci,
    label,
    level_pct,
    num,
    per_class,
    predicted_counts,
    requests_text,
    same_as_text,
)
from bench.report.format import html_text as escape

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cm td{min-width:4em;text-align:center}mark{background:#fff0a8}
.small{color:#666;font-size:.9em}
"""


class Raw(str):
    """HTML built here (marked-up text): the one kind of cell ``table`` does not escape."""


if TYPE_CHECKING:
    from bench.runs import ViewMetrics


def _cell(c) -> str:
    return str(c) if isinstance(c, Raw) else escape(str(c))


def table(header, rows, numeric=()) -> str:
    """An HTML table; every cell is escaped unless it is ``Raw``."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{_cell(c)}</td>' if i in numeric else f"<td>{_cell(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def heatmap(labels, matrix) -> str:
    """Confusion matrix as a table whose cells are shaded by their share of the gold row."""
    head = "".join(f"<th>{escape(lab)}</th>" for lab in labels)
    rows = []
    for lab, row in zip(labels, matrix, strict=True):
        total = sum(row) or 1
        cells = []
        for j, v in enumerate(row):
            share = v / total
            hue = 140 if labels[j] == lab else 8
            cells.append(
                f'<td style="background:hsla({hue},65%,45%,{share:.3f});'
                f'color:{"#fff" if share > 0.55 else "#222"}" '
                f'title="{v} of {total} ({share:.0%})">{v}</td>'
            )
        rows.append(f"<tr><th>{escape(lab)}</th>{''.join(cells)}</tr>")
    return f'<table class="cm"><tr><th>gold \\ predicted</th>{head}</tr>{"".join(rows)}</table>'


def bars(items, width: int = 520, label_width: int = 150, title: str = "") -> str:
    """Horizontal bars in [0, 1] with CI whiskers. ``items``: (name, value, (lo, hi) | None)."""
    row_h, pad = 26, 20
    plot_w = width - label_width - 60
    height = pad * 2 + row_h * len(items)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + tick * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{pad - 6}" x2="{x:.1f}" y2="{height - pad + 4}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 4}" font-size="10" '
            f'text-anchor="middle" fill="#666">{tick:g}</text>'
        )
    for i, (name, value, interval) in enumerate(items):
        y = pad + i * row_h
        v = value or 0.0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" font-size="12" '
            f'text-anchor="end">{escape(str(name))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{v * plot_w:.1f}" height="16" '
            'fill="#4a7bd0"/>'
        )
        if interval and (interval[0] is not None or interval[1] is not None):
            lo, hi = interval[0], interval[1]  # an open side (None) runs to the axis end
            x0 = label_width + (0.0 if lo is None else lo) * plot_w
            x1 = label_width + (1.0 if hi is None else hi) * plot_w
            parts.append(
                f'<line x1="{x0:.1f}" y1="{y + 12}" x2="{x1:.1f}" y2="{y + 12}" '
                'stroke="#111" stroke-width="1.5"/>'
            )
            for x in [x for x, v in ((x0, lo), (x1, hi)) if v is not None]:
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y + 6}" x2="{x:.1f}" y2="{y + 18}" '
                    'stroke="#111" stroke-width="1.5"/>'
                )
        parts.append(f'<text x="{width - 52}" y="{y + 15}" font-size="11">{num(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _highlight(text: str, evidence: str | None) -> Raw:
    if evidence and evidence in text:
        before, _, after = text.partition(evidence)
        return Raw(f"{escape(before)}<mark>{escape(evidence)}</mark>{escape(after)}")
    return Raw(escape(text))


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def render_view(name: str, doc: ViewMetrics, primary: str) -> list[str]:
    from bench.report.markdown import _protocol, notes
    from bench.views import title

    level = level_pct(doc.get("ci_level", 0.95))
    if doc.get("same_as"):
        return [f"<h2>{escape(title(name))}</h2>", f"<p>{escape(same_as_text(name, doc))}</p>"]
    out = [
        f"<h2>{escape(title(name))}</h2>",
        f"<p>View <code>{escape(name)}</code>; {escape(_protocol(doc))}; "
        f"{doc['n_examples']} examples in {doc['n_groups']} groups.</p>",
        *(f"<p>{escape(n)}</p>" for n in notes(doc)),
    ]
    if doc.get("answers"):
        out.append(f"<p>{escape(answers_text(doc))}</p>")
    rows = []
    for metric in REPORTED:
        if metric in doc["pooled"]:
            rep = doc.get("repeats", {}).get(metric, {})
            rows.append(
                [
                    label(metric) + (" (primary)" if metric == primary else ""),
                    num(doc["pooled"][metric]),
                    ci(doc.get("ci", {}).get(metric)),
                    f"{num(rep.get('mean'))} ± {num(rep.get('std'))}",
                ]
            )
    out.append(table(["metric", "pooled", f"{level} CI", "mean ± std"], rows, numeric={1, 3}))
    if doc.get("ci_note"):
        out.append(f'<p class="small">{escape(doc["ci_note"])}</p>')
    if doc.get("ci_open"):
        out.append(f'<p class="small">{escape(OPEN_CI)}</p>')
    out.append(heatmap(doc["labels"], doc["confusion_matrix"]))
    out.append(table(["label", "gold", "predicted"], predicted_counts(doc), numeric={1, 2}))
    per_ci = doc.get("ci", {}).get("per_class_f1", {})
    out.append(
        bars(
            [(lab, c["f1"], per_ci.get(lab)) for lab, c in per_class(doc)],
            title=f"per-class F1 with {level} CI",
        )
    )
    for key, breakdown in (("target", doc.get("per_target")), ("article", doc.get("per_article"))):
        if breakdown:
            out.append(
                f"<p>Per {key} (macro-F1 over the labels present; F_avg as SemEval's eval.pl: "
                "over its labels always, an absent one scoring 0):</p>"
            )
            out.append(
                table(
                    [key, "predictions", "macro-F1", "F_avg", "accuracy"],
                    [
                        [
                            t,
                            v["n_predictions"],
                            num(v["macro_f1"]),
                            num(v["f_avg"]),
                            num(v["accuracy"]),
                        ]
                        for t, v in breakdown.items()
                    ],
                    numeric={1, 2, 3, 4},
                )
            )
    folds = doc.get("per_fold", [])
    if folds and "train_support" in folds[0]:
        out.append("<p>Label support per fold (train / test):</p>")
        out.append(
            table(
                ["repeat", "fold", *doc["labels"]],
                [
                    [
                        f["repeat"],
                        f["fold"],
                        *(
                            f"{a} / {b}"
                            for a, b in zip(f["train_support"], f["test_support"], strict=True)
                        ),
                    ]
                    for f in folds
                ],
                numeric=set(range(2 + len(doc["labels"]))),
            )
        )
    if doc.get("capabilities"):
        out.append(
            table(
                ["capability", "kind", "n", "failure rate", f"{level} CI", "failing examples"],
                [
                    [
                        c["capability"],
                        c["kind"],
                        c["n"],
                        num(c["failure_rate"]),
                        ci(c["ci"]),
                        "; ".join(
                            f"{e['text']} (expected {e['expected']}, got {e['predicted']})"
                            for e in c["examples"]
                        )
                        or "none",
                    ]
                    for c in doc["capabilities"]
                ],
                numeric={2, 3},
            )
        )
    return out


def render(data) -> str:
    m = data.metrics
    out = [
        f"<h1>{escape(m['config'])}</h1>",
        f"<p>Model <code>{escape(m['model'])}</code> on task <code>{escape(m['task'])}</code>"
        + (
            " (zero-shot: trained = false, every item a test item).</p>"
            if m.get("trained") is False
            else ".</p>"
        ),
    ]
    from bench.report.markdown import absent

    if requests_text(data.manifest):
        out.append(f"<p>{escape(requests_text(data.manifest))}</p>")
    from bench.runs import view_docs

    views = view_docs(m)
    if absent(m):
        items = "".join(f"<li>{escape(a)}</li>" for a in absent(m))
        out.append(f"<p>Views not run, as the data does not allow them:</p><ul>{items}</ul>")
    for name, doc in views.items():
        out += render_view(name, doc, m["primary"])
    if data.misclassified:
        main = escape(next(iter(views)))
        out.append(f"<h2>Misclassified examples, {main} view ({len(data.misclassified)})</h2>")
        out.append(
            table(
                ["id", "gold", "predicted", "wrong", "target", "text (evidence marked)"],
                [
                    [
                        r["id"],
                        r["gold"],
                        r["predicted"],
                        f"{r['wrong']}/{r['of']}",
                        r["target"],
                        _highlight(r["text"], r.get("evidence")),
                    ]
                    for r in data.misclassified
                ],
                numeric={3},
            )
        )
    out.append(
        f'<p class="small">data {escape(m["data_hash"][:12])} · config '
        f"{escape(m['config_hash'][:12])} · folds {escape(m['folds_hash'][:12])}</p>"
    )
    return page(f"stance-bench: {m['config']}", "".join(out))
