"""The agreement tables shared by the dataset card (its "Annotator agreement" section,
rendered here because ``derive`` writes the card) and ``stance-bench agreement``
(``bench.report.agreement``): the rows, counts and notes of a ``bench.agreement.Agreement``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.agreement import Agreement, Estimate, Scope

NAMES = {
    "alpha": "Krippendorff's alpha",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "same_span": "same span (share)",
    "same_holder": "same holder (share)",
    "same_target": "same target (share)",
}
METHODS = {"bca": "BCa", "percentile": "percentile", "expanded": "expanded percentile"}
COMMAND = "stance-bench agreement seeds/"


def _num(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _ci(e: Estimate) -> str:
    from bench.agreement import ZERO_BOUND

    iv = e.interval
    if not (math.isfinite(iv.low) or math.isfinite(iv.high)):
        return "n/a" if not math.isfinite(iv.estimate) else "[-inf, inf]"
    mark = "*" if iv.few_clusters else "+" if iv.method == ZERO_BOUND else ""
    return f"[{_num(iv.low) if math.isfinite(iv.low) else '-inf'}, " + (
        f"{_num(iv.high) if math.isfinite(iv.high) else 'inf'}]{mark}"
    )


def _raters(e: Estimate) -> str:
    return " / ".join(e.raters) if e.statistic == "cohen_kappa" else "all"


def rows(scope: Scope) -> list[list[str]]:
    return [
        [
            NAMES[e.statistic],
            _raters(e),
            e.label
            or ("(all labels)" if e.statistic in ("alpha", "cohen_kappa", "fleiss_kappa") else ""),
            _num(e.interval.estimate),
            _ci(e),
            str(e.n_units),
        ]
        for e in scope.estimates
    ]


def summary(scope: Scope) -> str:
    only = ", ".join(f"{a} only {n}" for a, n in scope.only.items())
    return (
        f"{scope.name}: annotators {', '.join(scope.annotators)}; {scope.n_units} units in "
        f"{scope.n_groups} sentence groups: {scope.n_complete} rated by every annotator, "
        f"{scope.n_pairable} by two or more, {only}; observed agreement "
        f"{_num(scope.observed)} (share of agreeing pairs of values)"
    )


def scopes(result: Agreement) -> list[Scope]:
    return [*result.articles, result.overall] if len(result.articles) > 1 else [*result.articles]


def notes(result: Agreement) -> list[str]:
    from bench.agreement import MIN_GROUPS

    level = f"{result.level * 100:.4g}%"
    method = METHODS.get(result.method, result.method)
    out = [
        f"Intervals: {level} {method} cluster bootstrap over sentence groups "
        f"({result.n_boot} resamples, seed {result.random_state}); '*' marks one from fewer "
        f"than {MIN_GROUPS} groups, fewer than perf/agreement_sim.py checked coverage at; '+' "
        "one of a value without any disagreement (where a bootstrap gives [1, 1]): its lower "
        "end is the exact binomial bound over the sentence groups "
        "(bench.agreement.zero_disagreement_bound).",
        "Per label: that label against the rest. Cohen's kappa on the units both annotators "
        "rated, Fleiss' kappa on those every annotator rated.",
        "Not measured by the coefficients: units only one annotator made (counted above, a "
        "missing value in every coefficient). Spans, holders and targets are compared only "
        "as raw shares of pairs of items that have the same (not chance-corrected: they are "
        "open text); annotate adjudicate shows every difference.",
    ]
    if result.single:
        out.append(f"Articles with one annotator's file, not compared: {', '.join(result.single)}.")
    return out


HEADER = ["statistic", "annotators", "label", "value", "CI", "units"]


def markdown_scope(scope: Scope, heading: str) -> list[str]:
    """One scope as a Markdown section: its counts, then its coefficients."""

    def row(cells) -> str:
        return "| " + " | ".join(cells) + " |"

    return [
        f"{heading} {scope.name}",
        "",
        summary(scope),
        "",
        row(HEADER),
        "|---|---|---|---:|---:|---:|",
        *[row(r) for r in rows(scope)],
        "",
    ]


def card_section(result: Agreement) -> list[str]:
    """The dataset card's section: every scope's coefficients, and how to reprint them."""
    lines = [
        "## Annotator agreement",
        "",
        "Between the annotators' own files (`seeds/NAME.annotations.ANNOTATOR.jsonl`), before "
        "adjudication; the gold is not one of them. Printed by `" + COMMAND + "`.",
        "",
    ]
    for s in scopes(result):
        lines += markdown_scope(s, "###")
    return lines + notes(result) + [""]
