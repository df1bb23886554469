"""The dataset card (the derived folder's README.md): what the data is, its counts, the
contrast suite (made and skipped, every directional case, a sample of the others), the
excluded units and the guidelines' summary. Its YAML
header lets ``datasets.load_dataset(folder)`` read the splits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.corpus import contrast
from bench.corpus.store import CONTRAST_PARQUET, CONTRAST_SPLIT, PARQUET, SPLIT
from bench.escaping import md, md_row

if TYPE_CHECKING:
    from bench.corpus.derive import Derived


def render(derived: Derived) -> str:
    c = derived.counts

    def table(title: str, mapping: dict) -> list[str]:
        lines = [f"| {title} | items |", "|---|---:|"]
        lines += [md_row([k, v]) for k, v in mapping.items()]  # data: escaped
        return lines + [""]

    header = ["---", "configs:", "- config_name: default", "  data_files:"]
    header += [f"  - split: {SPLIT}", f"    path: {PARQUET}"]
    if derived.contrast:  # its own config: its columns differ from the items'
        header += [f"- config_name: {CONTRAST_SPLIT}", "  data_files:"]
        header += [f"  - split: {CONTRAST_SPLIT}", f"    path: {CONTRAST_PARQUET}"]
    lines = [
        *header,
        "---",
        "",
        "# stance-bench seed dataset",
        "",
        "Statements from news articles, each with who holds a stance (holder), about what",
        "(target), and a label: support, condemn, skeptical, or fact. Derived by",
        "`stance-bench derive` from `seeds/`; do not edit by hand.",
        "",
        f"- content hash: `{derived.content_hash}`",
        f"- articles: {len(derived.articles)} ({md(', '.join(derived.articles))})",
        f"- items: {c['items']} in {c['groups']} sentence groups; "
        f"units excluded: {len(derived.excluded)}",
        "",
        "## Labels",
        "",
        *table("label", c["label"]),
        "## Tasks",
        "",
        "| task | labels |",
        "|---|---|",
        *[
            md_row([name, ", ".join(f"{k}: {v}" for k, v in per.items())])
            for name, per in c["task"].items()
        ],
        "",
        "## Holders",
        "",
        *table("holder", c["holder"]),
        "## Targets",
        "",
        *table("target", c["target"]),
    ]
    lines += _contrast_card(derived.contrast, derived.skipped)
    if derived.excluded:
        lines += ["## Excluded units", ""]
        lines += [
            f"- {md(e['id'])}: {md(repr(e['text']))}: {md(e['reason'])}" for e in derived.excluded
        ]
        lines.append("")
    if derived.agreement is not None:
        from bench.corpus.agreement_card import card_section

        lines += card_section(derived.agreement)
    if derived.guidelines:
        lines += ["## Annotation guidelines (summary)", "", derived.guidelines, ""]
    return "\n".join(lines)


def _contrast_card(cases: list[dict], skipped: list[contrast.Skip]) -> list[str]:
    """The card section of the contrast split: counts made and skipped (and why), every
    directional case (they are few, and each changes a label: a reader should check
    them), and one sample of each other capability."""
    if not cases:
        return []
    c = contrast.counts(cases, skipped)
    lines = [
        f"## Contrast split ({CONTRAST_SPLIT})",
        "",
        f"{c['cases']} capability tests in the manner of CheckList (Ribeiro et al., 2020), made",
        "by rules from the items (`seeds/contrast/*.toml`; the label rule of each capability",
        "is in `seeds/GUIDELINES.md`): invariance cases keep the item's label, directional",
        "cases change it as the rule says, minimum-functionality (mft) cases are templated",
        "and linked to no item. A case made from an item keeps the item's group. A rule that",
        "matched an item but made no case for it is counted as skipped, with the reason.",
        "",
        "| capability | test type | cases | skipped | labels |",
        "|---|---|---:|---:|---|",
    ]
    for name, per in c["capability"].items():
        labels = ", ".join(f"{k}: {v}" for k, v in per["label"].items())
        n_skip = sum(per["skipped"].values())
        lines.append(md_row([name, per["test_type"], per["cases"], n_skip, labels]))
    reasons = [(name, per["skipped"]) for name, per in c["capability"].items() if per["skipped"]]
    if reasons:
        lines += ["", "Skipped, and why:", ""]
        for name, per in reasons:
            why = "; ".join(f"{contrast.SKIPS[r]} ({n})" for r, n in per.items())
            lines.append(f"- {md(name)}: {why}")
    directional = [k for k, v in contrast.CAPABILITIES.items() if v == "directional"]
    lines += ["", "Every directional case (item -> case):", ""]
    for name in directional:
        made = [case for case in cases if case["capability"] == name]
        lines.append(f"- {md(name)}: {len(made)} case(s)" + (":" if made else ""))
        for case in made:  # data: escaped
            lines.append(
                f"  - {md(case['source_id'])} ({case['source_label']}) "
                f"{md(repr(case['source_sentence']))} -> {md(repr(case['sentence']))} "
                f"({case['label']}, target {md(repr(case['target']))})"
            )
        for skip in (s for s in skipped if s.capability == name):
            lines.append(f"  - skipped {md(skip.source_id)}: {contrast.SKIPS[skip.reason]}")
    lines += ["", "One sample of each other capability, the one with the shortest source:", ""]
    samples: dict[str, dict] = {}
    for case in cases:
        if case["capability"] in directional:
            continue
        best = samples.get(case["capability"])
        if best is None or len(case["source_sentence"]) < len(best["source_sentence"]):
            samples[case["capability"]] = case
    for case in samples.values():
        if case["source_id"]:
            lines.append(
                f"- {md(case['capability'])}: {md(case['source_id'])} ({case['source_label']}) "
                f"{md(repr(case['source_sentence']))} -> {md(repr(case['sentence']))} "
                f"({case['label']}, target {md(repr(case['target']))})"
            )
        else:
            lines.append(
                f"- {md(case['capability'])}: {md(repr(case['sentence']))} ({case['label']}, "
                f"target {md(repr(case['target']))})"
            )
    return lines + [""]
