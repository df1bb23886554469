"""A run's report as Markdown: readable in a terminal, diffable, pasteable in a PR.

Every text that comes from data (config names, targets, example sentences) is escaped.
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
    md,
    md_row,
    md_rule,
    num,
    per_class,
    predicted_counts,
    requests_text,
    same_as_text,
    with_ci,
)
from bench.runs import view_docs
from bench.views import TEST, title

if TYPE_CHECKING:
    from bench.runs import ViewMetrics


def _protocol(doc: ViewMetrics) -> str:
    from bench.protocol import KINDS

    p = doc.get("protocol", {})
    by = f", grouped by {p.get('group_by', 'group')}" if p.get("kind") in KINDS else ""
    folds, repeats = p.get("n_folds"), p.get("n_repeats")
    if isinstance(folds, int) and isinstance(repeats, int) and repeats > 1 and folds % repeats == 0:
        # n_folds counts every fit: per repeat, n_folds / n_repeats folds
        return f"{p.get('kind')}{by}: {folds // repeats} folds x {repeats} repeats ({folds} fits)"
    return f"{p.get('kind')}{by}: {folds} fold(s), {repeats} repeat(s)"


def notes(doc: ViewMetrics) -> list[str]:
    """What a reader must know about a view's rows: the labels it scores when a test set
    sets them, and the rows left out for holding another label."""
    p = doc.get("protocol", {})
    out = []
    if "labels" in p:
        out.append(
            f"Labels scored: {', '.join(p['labels'])} (those of the test set; every metric "
            "averages over these)."
        )
    if p.get("dropped_train_labels"):
        dropped = ", ".join(f"{k} {v}" for k, v in p["dropped_train_labels"].items())
        out.append(f"Training rows left out (labels the test set has not): {dropped}.")
    if p.get("dropped_test_labels"):
        dropped = ", ".join(f"{k} {v}" for k, v in p["dropped_test_labels"].items())
        out.append(f"Cases left out (labels the run does not score): {dropped}.")
    if p.get("tests_on") == TEST:
        out.append("Tested on the test set: each of its targets held out from training in turn.")
    return out


def absent(m) -> list[str]:
    """The views the config asks for that the data does not allow, and why."""
    return [f"{name}: {why}" for name, why in m.get("absent_views", {}).items()]


def _breakdown(rows: dict, key: str) -> list[str]:
    lines = [
        md_row([key, "predictions", "macro-F1", "F_avg", "accuracy"]),
        md_rule("lrrrr"),
    ]
    for name, t in rows.items():
        lines.append(
            md_row(
                [name, t["n_predictions"], num(t["macro_f1"]), num(t["f_avg"]), num(t["accuracy"])]
            )
        )
    return lines


def render_view(name: str, doc: ViewMetrics, primary: str) -> list[str]:
    level = level_pct(doc.get("ci_level", 0.95))
    labels = doc["labels"]
    if doc.get("same_as"):
        return [f"## {md(title(name))}", "", md(same_as_text(name, doc)), ""]
    lines = [
        f"## {md(title(name))}",
        "",
        f"View `{md(name)}`; {md(_protocol(doc))}; {doc['n_examples']} examples in "
        f"{doc['n_groups']} groups, {doc['n_predictions']} predictions.",
        "",
        *[line for n in notes(doc) for line in (md(n), "")],
    ]
    if doc.get("answers"):
        lines += [md(answers_text(doc)), ""]
    lines += [
        f"Scores pooled over folds and repeats, {level} cluster-bootstrap CI over groups "
        f"({md(doc.get('ci_method', 'percentile'))}), mean ± std over repeats:",
        "",
        md_row(["metric", "pooled", f"{level} CI", "mean ± std"]),
        md_rule("lrlr"),
    ]
    for metric in REPORTED:
        if metric not in doc["pooled"]:
            continue
        rep = doc.get("repeats", {}).get(metric, {})
        name_ = label(metric) + (" (primary)" if metric == primary else "")
        if metric == "f_avg":
            name_ += f" over {', '.join(doc['f_avg_labels'])}"
        lines.append(
            md_row(
                [
                    name_,
                    num(doc["pooled"][metric]),
                    ci(doc.get("ci", {}).get(metric)),
                    f"{num(rep.get('mean'))} ± {num(rep.get('std'))}",
                ]
            )
        )
    if doc.get("ci_note"):
        lines += ["", f"Note: {md(doc['ci_note'])}"]
    if doc.get("ci_open"):
        lines += ["", f"Note: {md(OPEN_CI)}"]
    lines += [
        "",
        "Per class:",
        "",
        md_row(["label", "precision", "recall", "F1", f"F1 {level} CI", "support"]),
        md_rule("lrrrlr"),
    ]
    counts = predicted_counts(doc)
    for lab, c in per_class(doc):
        lines.append(
            md_row(
                [
                    lab,
                    num(c["precision"]),
                    num(c["recall"]),
                    num(c["f1"]),
                    ci(doc.get("ci", {}).get("per_class_f1", {}).get(lab)),
                    c["support"],
                ]
            )
        )
    lines += [
        "",
        "Labels in the data (gold) and in the answers (predicted):",
        "",
        md_row(["label", "gold", "predicted"]),
        md_rule("lrr"),
        *(md_row([lab, gold, n]) for lab, gold, n in counts),
    ]
    lines += [
        "",
        "Confusion matrix (rows gold, columns predicted):",
        "",
        md_row(["gold \\ predicted", *labels, *(["(no answer)"] if "no_answer" in doc else [])]),
        md_rule("l" + "r" * (len(labels) + ("no_answer" in doc))),
    ]
    no_answer = doc.get("no_answer")
    for i, (lab, row) in enumerate(zip(labels, doc["confusion_matrix"], strict=True)):
        lines.append(md_row([lab, *row, *([no_answer[i]] if no_answer else [])]))
    folds = doc.get("per_fold", [])
    if folds and "train_support" in folds[0]:
        lacking = [f for f in folds if 0 in f["train_support"]]
        lines += [
            "",
            f"Label support per fold (train / test), {len(lacking)} of {len(folds)} fold(s) "
            "train without some label:",
            "",
            md_row(["repeat", "fold", *labels]),
            md_rule("rr" + "r" * len(labels)),
        ]
        for f in folds:
            lines.append(
                md_row(
                    [
                        f["repeat"],
                        f["fold"],
                        *(
                            f"{a} / {b}"
                            for a, b in zip(f["train_support"], f["test_support"], strict=True)
                        ),
                    ]
                )
            )
    if doc.get("per_target"):
        lines += [
            "",
            "Per target (pooled; macro-F1 over the labels present in the target, gold or "
            "predicted; F_avg as SemEval's eval.pl: over its labels always, an absent one "
            "scoring 0):",
            "",
            *_breakdown(doc["per_target"], "target"),
        ]
    if doc.get("per_article"):
        lines += [
            "",
            "Per article (pooled; macro-F1 over the labels present in the article, gold or "
            "predicted; F_avg as SemEval's eval.pl: over its labels always, an absent one "
            "scoring 0):",
            "",
            *_breakdown(doc["per_article"], "article"),
        ]
    if doc.get("capabilities"):
        lines += [
            "",
            f"Capabilities (failure = prediction differs from the expected label; {level} "
            "Wilson interval):",
            "",
            md_row(["capability", "kind", "n", "failure rate", "CI", "failing examples"]),
            md_rule("llrrll"),
        ]
        for c in doc["capabilities"]:
            examples = "; ".join(
                f"{e['text']} (expected {e['expected']}, got {e['predicted']})"
                for e in c["examples"]
            )
            lines.append(
                md_row(
                    [
                        c["capability"],
                        c["kind"],
                        c["n"],
                        num(c["failure_rate"]),
                        ci(c["ci"]),
                        examples or "none",
                    ]
                )
            )
    return lines + [""]


def render(data) -> str:
    m = data.metrics
    lines = [
        f"# {md(m['config'])}",
        "",
        f"Model `{md(m['model'])}` on task `{md(m['task'])}`"
        + (
            " (zero-shot: trained = false, every item a test item, nothing learned from the data)."
            if m.get("trained") is False
            else "."
        ),
        "",
    ]
    if requests_text(data.manifest):
        lines += [md(requests_text(data.manifest)), ""]
    views = view_docs(m)
    if absent(m):
        lines += ["Views not run, as the data does not allow them:", ""]
        lines += [f"- {md(a)}" for a in absent(m)] + [""]
    for name, doc in views.items():
        lines += render_view(name, doc, m["primary"])
    if data.misclassified:
        lines += [
            f"## Misclassified examples, {md(next(iter(views)))} view ({len(data.misclassified)})",
            "",
            md_row(["id", "gold", "predicted", "wrong", "target", "text"]),
            md_rule("lllrll"),
        ]
        for r in data.misclassified:
            lines.append(
                md_row(
                    [
                        r["id"],
                        r["gold"],
                        r["predicted"],
                        f"{r['wrong']}/{r['of']}",
                        r["target"],
                        r["text"],
                    ]
                )
            )
        lines.append("")
    lines += [
        f"Headline: macro-F1 {md(with_ci(m, 'macro_f1'))}; data `{m['data_hash'][:12]}`, "
        f"config `{m['config_hash'][:12]}`, folds `{m['folds_hash'][:12]}`.",
        "",
    ]
    return "\n".join(lines)
