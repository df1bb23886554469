"""Seeds folder -> validated records (and contrast cases) -> the derived dataset (a Parquet
DatasetDict with a card, written by ``bench.corpus.store``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.corpus import card, contrast, store
from bench.corpus.annotations import ANNOTATION_SUFFIX, read_annotations
from bench.corpus.articles import read_article
from bench.corpus.contrast import Skip
from bench.corpus.segment import Unit, segment
from bench.corpus.store import COLUMNS, SCHEMA_VERSION
from bench.errors import DataError, did_you_mean
from bench.io import sha256_json
from bench.labels import LABELS, TASKS

if TYPE_CHECKING:
    from bench.agreement import Agreement


@dataclass(frozen=True)
class Derived:
    records: list[dict]
    excluded: list[dict]
    articles: list[str]
    content_hash: str
    guidelines: str = ""
    counts: dict = field(default_factory=dict)
    contrast: list[dict] = field(default_factory=list)  # cases of the contrast split
    skipped: list[Skip] = field(default_factory=list)  # rules that matched, no case
    agreement: Agreement | None = None  # between the annotators' files, when there are any


def find_articles(
    seeds: Path, fix: str = "pass --seeds DIR", leave_out: Collection[str] = ()
) -> list[tuple[Path, Path]]:
    """Pairs of (article.txt, article.annotations.jsonl); every file must have its partner.
    ``fix`` says how the caller names another seeds folder; articles named in
    ``leave_out`` are left out (with or without their files)."""
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise DataError(f"{seeds}: seeds folder not found; {fix}")
    texts = [t for t in sorted(seeds.glob("*.txt")) if t.stem not in leave_out]
    if not texts:
        raise DataError(f"{seeds}: no articles (*.txt); add one with its {ANNOTATION_SUFFIX}")
    pairs = []
    for text in texts:
        ann = text.with_name(text.stem + ANNOTATION_SUFFIX)
        if not ann.is_file():
            rated = any(seeds.glob(f"{text.stem}.annotations.*.jsonl"))
            raise DataError(
                f"{text}: article has no annotation file; create {ann.name} beside it "
                + (
                    "from its annotators' files (stance-bench annotate adjudicate)"
                    if rated
                    else "(see seeds/GUIDELINES.md)"
                )
            )
        pairs.append((text, ann))
    for ann in sorted(seeds.glob(f"*{ANNOTATION_SUFFIX}")):
        stem = ann.name[: -len(ANNOTATION_SUFFIX)]
        if stem not in leave_out and not ann.with_name(stem + ".txt").is_file():
            raise DataError(f"{ann}: annotation file has no article; add {stem}.txt or remove it")
    return pairs


def article_units(article: Path | str, seeds: Path) -> tuple[Path, list[Unit]]:
    """The units of one article (a .txt path, or an article name in ``seeds``), numbered
    as derive's messages number them."""
    path = Path(article)
    if not path.is_file():
        named = Path(seeds) / f"{Path(article).name.removesuffix('.txt')}.txt"
        if not named.is_file():
            known = (
                sorted(p.stem for p in Path(seeds).glob("*.txt")) if Path(seeds).is_dir() else []
            )
            raise DataError(
                f"{article}: no such article file, nor an article of that name in {seeds}"
                f"{did_you_mean(path.stem, known)}; name a .txt file or pass --seeds DIR"
            )
        path = named
    return path, segment(read_article(path))


def _guidelines_summary(seeds: Path) -> str:
    path = seeds / "GUIDELINES.md"
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    marker = "## Summary"
    if marker not in text:
        return ""
    body = text.split(marker, 1)[1]
    return body.split("\n## ", 1)[0].strip()


def derive(
    seeds: Path, *, fix: str = "pass --seeds DIR", leave_out: Collection[str] = ()
) -> Derived:
    """Read every article and its annotations; validate and align them. ``fix`` says how
    the caller names another seeds folder (CLI wording by default); the articles named in
    ``leave_out`` are not read (``annotate export`` trains without the article it exports)."""
    seeds = Path(seeds)
    records, excluded, articles = [], [], []
    for text_path, ann_path in find_articles(seeds, fix, leave_out):
        article = text_path.stem
        text = read_article(text_path)
        units = segment(text)
        for item in read_annotations(ann_path, text, units):
            if item.exclude is not None:
                excluded.append(
                    {
                        "id": item.id,
                        "article": article,
                        "text": item.unit.text,
                        "reason": item.exclude,
                    }
                )
                continue
            unit = item.unit
            records.append(
                {
                    "id": item.id,
                    "article": article,
                    "group": f"{article}#{unit.index:03d}",
                    "unit": unit.index,
                    "kind": unit.kind,
                    "sentence": unit.text,
                    "sentence_start": unit.start,
                    "sentence_end": unit.end,
                    "evidence": item.evidence,
                    "start": item.start,
                    "end": item.end,
                    "holder": item.holder,
                    "target": item.target,
                    "speaker": unit.speaker or "",
                    "label": item.label,
                }
            )
        articles.append(article)
    ids = Counter(r["id"] for r in records)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise DataError(
            f"{seeds}: id {dup[0]!r} is used in more than one article; ids must be unique"
        )
    records.sort(key=lambda r: (r["article"], r["start"], r["id"]))
    suite = contrast.load_and_generate(seeds, records)
    cases = suite.cases
    payload: dict = {"schema": SCHEMA_VERSION, "columns": COLUMNS, "labels": LABELS}
    payload["records"] = records
    if cases:
        payload["contrast"] = {"columns": contrast.COLUMNS, "cases": cases}
    return Derived(
        records,
        excluded,
        articles,
        sha256_json(payload),
        _guidelines_summary(seeds),
        counts(records),
        cases,
        suite.skipped,
        _agreement(seeds, leave_out),
    )


def _agreement(seeds: Path, leave_out: Collection[str]) -> Agreement | None:
    """The agreement between the annotators' files of the seeds, for the card."""
    from bench import agreement

    rated = agreement.load(seeds, leave_out)
    return agreement.measure(rated) if any(len(r.raters) > 1 for r in rated) else None


def counts(records: list[dict]) -> dict:
    out: dict[str, Any] = {
        "items": len(records),
        "groups": len({r["group"] for r in records}),
        "label": dict(Counter(r["label"] for r in records).most_common()),
        "holder": dict(Counter(r["holder"] or "(none: fact)" for r in records).most_common()),
        "target": dict(Counter(r["target"] for r in records).most_common()),
        "task": {},
    }
    for task in TASKS.values():
        kept = Counter(task.mapping[r["label"]] for r in records if r["label"] in task.mapping)
        out["task"][task.name] = {lab: kept.get(lab, 0) for lab in task.labels}
    return out


def render_card(derived: Derived) -> str:
    return card.render(derived)


def write(derived: Derived, out: Path) -> bool:
    """Write the dataset and its card to ``out`` (see ``bench.corpus.store.write``)."""
    return store.write(derived, out, card.render(derived))
