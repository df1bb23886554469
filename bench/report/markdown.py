"""A run's report as Markdown: readable in a terminal, diffable, pasteable in a PR."""

from __future__ import annotations

from bench.report.format import METRIC_NAMES, REPORTED, ci, num, per_class, with_ci


def _row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def render(data) -> str:
    m = data.metrics
    level = int(round(m.get("ci_level", 0.95) * 100))
    proto = m["protocol"]
    lines = [
        f"# {m['config']}",
        "",
        f"Model `{m['model']}` on task `{m['task']}`; protocol {proto['kind']} "
        f"({proto['n_folds']} folds, {m['n_repeats']} repeat(s)); {m['n_examples']} examples "
        f"in {m['n_groups']} groups, {m['n_predictions']} out-of-fold predictions.",
        "",
        f"## Scores (pooled, {level}% bootstrap CI over sentence groups; mean ± std over repeats)",
        "",
        _row(["metric", "pooled", f"{level}% CI", "mean ± std"]),
        _row(["---", "---:", "---", "---:"]),
    ]
    for name in REPORTED:
        if name not in m["pooled"]:
            continue
        rep = m["repeats"].get(name, {})
        label = METRIC_NAMES[name] + (" (primary)" if name == m["primary"] else "")
        if name == "f_avg":
            label += f" over {', '.join(m['f_avg_labels'])}"
        lines.append(
            _row(
                [
                    label,
                    num(m["pooled"][name]),
                    ci(m["ci"].get(name)),
                    f"{num(rep.get('mean'))} ± {num(rep.get('std'))}",
                ]
            )
        )
    lines += [
        "",
        "## Per class",
        "",
        _row(["label", "precision", "recall", "F1", f"F1 {level}% CI", "support"]),
        _row(["---", "---:", "---:", "---:", "---", "---:"]),
    ]
    for lab, c in per_class(m):
        lines.append(
            _row(
                [
                    lab,
                    num(c["precision"]),
                    num(c["recall"]),
                    num(c["f1"]),
                    ci(m["ci"].get("per_class_f1", {}).get(lab)),
                    c["support"],
                ]
            )
        )
    labels = m["labels"]
    lines += [
        "",
        "## Confusion matrix (rows gold, columns predicted)",
        "",
        _row(["gold \\ predicted", *labels]),
        _row(["---"] + ["---:"] * len(labels)),
    ]
    for lab, row in zip(labels, m["confusion_matrix"], strict=True):
        lines.append(_row([lab, *row]))
    if m.get("per_target"):
        lines += [
            "",
            "## Per target (pooled over folds and repeats)",
            "",
            _row(["target", "predictions", "macro-F1", "F_avg", "accuracy"]),
            _row(["---", "---:", "---:", "---:", "---:"]),
        ]
        for target, t in m["per_target"].items():
            lines.append(
                _row(
                    [
                        target,
                        t["n_predictions"],
                        num(t["macro_f1"]),
                        num(t["f_avg"]),
                        num(t["accuracy"]),
                    ]
                )
            )
    if data.misclassified:
        lines += [
            "",
            f"## Misclassified examples ({len(data.misclassified)})",
            "",
            _row(["id", "gold", "predicted", "wrong", "target", "text"]),
            _row(["---", "---", "---", "---:", "---", "---"]),
        ]
        for r in data.misclassified:
            lines.append(
                _row(
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
    lines += [
        "",
        f"Headline: macro-F1 {with_ci(m, 'macro_f1')}; data `{m['data_hash'][:12]}`, "
        f"config `{m['config_hash'][:12]}`, folds `{m['folds_hash'][:12]}`.",
        "",
    ]
    return "\n".join(lines)
