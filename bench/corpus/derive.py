"""Seeds folder -> validated records -> Parquet DatasetDict with a dataset card."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import contrast
from bench.corpus.annotations import ANNOTATION_SUFFIX, read_annotations
from bench.corpus.segment import segment
from bench.errors import DataError
from bench.io import dumps_json, replace_dir_atomic, sha256_json, staging_dir, write_text_atomic
from bench.labels import LABELS, TASKS

SCHEMA_VERSION = 1
SPLIT = "train"
PARQUET = f"data/{SPLIT}.parquet"
CONTRAST_SPLIT = "contrast"  # capability tests made from the items (bench/corpus/contrast.py)
CONTRAST_PARQUET = f"data/{CONTRAST_SPLIT}.parquet"
INFO = "dataset_info.json"
COLUMNS = {  # name -> datasets feature dtype ("label" is a ClassLabel)
    "id": "string",
    "article": "string",
    "group": "string",
    "unit": "int32",
    "kind": "string",
    "sentence": "string",
    "sentence_start": "int32",
    "sentence_end": "int32",
    "evidence": "string",
    "start": "int32",
    "end": "int32",
    "holder": "string",
    "target": "string",
    "speaker": "string",
    "label": "label",
}


@dataclass(frozen=True)
class Derived:
    records: list[dict]
    excluded: list[dict]
    articles: list[str]
    content_hash: str
    guidelines: str = ""
    counts: dict = field(default_factory=dict)
    contrast: list[dict] = field(default_factory=list)  # cases of the contrast split


def features(columns: dict[str, str] = COLUMNS):
    """The datasets features of a split (the items' by default; ``contrast.COLUMNS``)."""
    import datasets

    return datasets.Features(
        {
            name: datasets.ClassLabel(names=list(LABELS))
            if dtype == "label"
            else datasets.Value(dtype)
            for name, dtype in columns.items()
        }
    )


def _read_article(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a BOM is not text: offsets count from after it
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 (invalid byte at offset {exc.start}); re-save the article as UTF-8"
        ) from None
    if not text.strip():
        raise DataError(f"{path}: the article is empty; add its text or remove the file")
    return text


def find_articles(seeds: Path, fix: str = "pass --seeds DIR") -> list[tuple[Path, Path]]:
    """Pairs of (article.txt, article.annotations.jsonl); every file must have its partner.
    ``fix`` says how the caller names another seeds folder."""
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise DataError(f"{seeds}: seeds folder not found; {fix}")
    texts = sorted(seeds.glob("*.txt"))
    if not texts:
        raise DataError(f"{seeds}: no articles (*.txt); add one with its {ANNOTATION_SUFFIX}")
    pairs = []
    for text in texts:
        ann = text.with_name(text.stem + ANNOTATION_SUFFIX)
        if not ann.is_file():
            raise DataError(
                f"{text}: article has no annotation file; create {ann.name} beside it "
                "(see seeds/GUIDELINES.md)"
            )
        pairs.append((text, ann))
    for ann in sorted(seeds.glob(f"*{ANNOTATION_SUFFIX}")):
        stem = ann.name[: -len(ANNOTATION_SUFFIX)]
        if not ann.with_name(stem + ".txt").is_file():
            raise DataError(f"{ann}: annotation file has no article; add {stem}.txt or remove it")
    return pairs


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


def derive(seeds: Path, *, fix: str = "pass --seeds DIR") -> Derived:
    """Read every article and its annotations; validate and align them. ``fix`` says how
    the caller names another seeds folder (CLI wording by default)."""
    seeds = Path(seeds)
    records, excluded, articles = [], [], []
    for text_path, ann_path in find_articles(seeds, fix):
        article = text_path.stem
        text = _read_article(text_path)
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
    cases = contrast.load_and_generate(seeds, records)
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
    )


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


def stored_hash(out: Path) -> str | None:
    """The content hash of the dataset in ``out``, or None when it is missing or incomplete."""
    import json

    info = Path(out) / INFO
    if not info.is_file() or not (Path(out) / PARQUET).is_file():
        return None
    try:
        return json.loads(info.read_text(encoding="utf-8")).get("content_hash")
    except (ValueError, OSError):
        return None


def _table(records: list[dict], columns: dict[str, str] = COLUMNS):
    import datasets

    rows = [{**r, "label": LABELS.index(r["label"])} for r in records]
    return datasets.Dataset.from_list(rows, features=features(columns)).data.table


def render_card(derived: Derived) -> str:
    c = derived.counts

    def table(title: str, mapping: dict) -> list[str]:
        lines = [f"| {title} | items |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in mapping.items()]
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
        f"- articles: {len(derived.articles)} ({', '.join(derived.articles)})",
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
            f"| {name} | " + ", ".join(f"{k}: {v}" for k, v in per.items()) + " |"
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
    lines += _contrast_card(derived.contrast)
    if derived.excluded:
        lines += ["## Excluded units", ""]
        lines += [f"- {e['id']}: {e['text']!r}: {e['reason']}" for e in derived.excluded]
        lines.append("")
    if derived.guidelines:
        lines += ["## Annotation guidelines (summary)", "", derived.guidelines, ""]
    return "\n".join(lines)


def _contrast_card(cases: list[dict]) -> list[str]:
    """The card section of the contrast split: counts and one sample per capability."""
    if not cases:
        return []
    c = contrast.counts(cases)
    lines = [
        f"## Contrast split ({CONTRAST_SPLIT})",
        "",
        f"{c['cases']} capability tests in the manner of CheckList (Ribeiro et al., 2020), made",
        "by rules from the items (`seeds/contrast/*.toml`; the label rule of each capability",
        "is in `seeds/GUIDELINES.md`): invariance cases keep the item's label, directional",
        "cases change it as the rule says, minimum-functionality (mft) cases are templated",
        "and linked to no item. A case made from an item keeps the item's group.",
        "",
        "| capability | test type | cases | labels |",
        "|---|---|---:|---|",
    ]
    for name, per in c["capability"].items():
        labels = ", ".join(f"{k}: {v}" for k, v in per["label"].items())
        lines.append(f"| {name} | {per['test_type']} | {per['cases']} | {labels} |")
    lines += ["", "One sample per capability, the one with the shortest source (item -> case):", ""]
    samples: dict[str, dict] = {}
    for case in cases:
        best = samples.get(case["capability"])
        if best is None or len(case["source_sentence"]) < len(best["source_sentence"]):
            samples[case["capability"]] = case
    for case in samples.values():
        if case["source_id"]:
            lines.append(
                f"- {case['capability']}: {case['source_id']} ({case['source_label']}) "
                f"{case['source_sentence']!r} -> {case['sentence']!r} ({case['label']}, "
                f"target {case['target']!r})"
            )
        else:
            lines.append(
                f"- {case['capability']}: {case['sentence']!r} ({case['label']}, "
                f"target {case['target']!r})"
            )
    return lines + [""]


def _written_by_us(out: Path) -> bool:
    """A dataset folder that ``write`` made: our dataset_info.json, and nothing but the
    files ``write`` puts there."""
    import json

    try:
        info = json.loads((out / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or not {"content_hash", "schema_version", "splits"} <= set(info):
        return False
    ours = {INFO, "README.md", "data", PARQUET, CONTRAST_PARQUET}
    return all(p.relative_to(out).as_posix() in ours for p in out.rglob("*"))


def check_out(out: Path) -> None:
    """Fail before any work unless ``out`` may receive a dataset: missing, an empty
    folder, or a dataset folder this tool wrote (nothing else is replaced)."""
    out = Path(out)
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError(f"{out}: {parent} is a file, not a folder; choose another output")
            break
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(f"{out}: is a file, not a dataset folder; choose another output folder")
    if any(out.iterdir()) and not _written_by_us(out):
        raise DataError(
            f"{out}: not a dataset folder that stance-bench derive wrote (it holds other "
            f"files, or no {INFO} of ours); derive replaces only its own folders: move it "
            "away, or choose another output folder"
        )


def write(derived: Derived, out: Path) -> bool:
    """Write the dataset to ``out`` atomically; returns False when it was already up to date.
    ``out`` must be missing, empty, or a dataset folder written here (see ``check_out``)."""
    import pyarrow.parquet as pq

    out = Path(out)
    check_out(out)
    card = render_card(derived)
    if stored_hash(out) == derived.content_hash:
        readme = out / "README.md"
        if readme.is_file() and readme.read_text(encoding="utf-8") == card:
            return False
        write_text_atomic(readme, card)  # the guidelines changed, the data did not
        return True
    stage = staging_dir(out)
    (stage / "data").mkdir()
    pq.write_table(_table(derived.records), stage / PARQUET)
    splits = {SPLIT: PARQUET}
    if derived.contrast:
        pq.write_table(_table(derived.contrast, contrast.COLUMNS), stage / CONTRAST_PARQUET)
        splits[CONTRAST_SPLIT] = CONTRAST_PARQUET
    write_text_atomic(stage / "README.md", card)
    write_text_atomic(
        stage / INFO,
        dumps_json(
            {
                "content_hash": derived.content_hash,
                "schema_version": SCHEMA_VERSION,
                "splits": splits,
                "counts": derived.counts,
                "contrast_counts": contrast.counts(derived.contrast),
                "excluded": derived.excluded,
            }
        ),
    )
    replace_dir_atomic(stage, out)
    return True
