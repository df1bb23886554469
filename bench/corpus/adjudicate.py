"""Adjudication: the annotators' items of one article side by side, unit by unit (units as
``bench.agreement.match`` makes them), in a file that becomes the gold once resolved.

The adjudication file (``NAME.adjudication.jsonl``) has one line per unit, in text order:

    {"unit": 3, "sentence": "...", "status": "agreed" | "disagreed" | "partial",
     "differs": ["label", "evidence", ...],
     "annotators": {"annotator1": {item} | null, "annotator2": {item} | null},
     "resolved": {item} | "annotator1" | "drop" | null}

An item is the annotation format's object without its id (``evidence``, ``offset``,
``label``, ``holder``, ``target``, or ``exclude``). ``agreed`` (every annotator made the
same item) comes resolved; ``disagreed`` (they differ in what ``differs`` lists) and
``partial`` (some annotators made no item there) come with ``resolved: null``: set it to
an annotator's name (take their item), ``"drop"`` (no item), or an item written out.
Resolving writes ``NAME.annotations.jsonl`` after the validation every gold file passes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.agreement import Match, match, read_ratings
from bench.corpus.annotations import Item
from bench.corpus.articles import gold_path, rated_articles, read_article
from bench.corpus.labelstudio import write_validated
from bench.errors import DataError, shown
from bench.io import write_text_atomic

COMPARED = ("label", "holder", "target", "evidence", "exclude")
DROP = "drop"
ADJUDICATION_SUFFIX = ".adjudication.jsonl"


def adjudication_path(article: Path) -> Path:
    article = Path(article)
    return article.with_name(article.stem + ADJUDICATION_SUFFIX)


def as_row(item: Item) -> dict[str, Any]:
    """An aligned item as the annotation format writes it (no id; with its offset)."""
    row: dict[str, Any] = {"evidence": item.evidence, "offset": item.start}
    if item.exclude is not None:
        row["exclude"] = item.exclude
        return row
    row["label"] = item.label
    if item.holder:
        row["holder"] = item.holder
    if item.target:
        row["target"] = item.target
    return row


def _key(row: Mapping[str, Any], field: str) -> Any:
    value = row.get(field)
    if field == "evidence":
        return (row.get("offset"), value)
    return (value or "").strip().lower() if isinstance(value, str) or value is None else value


@dataclass(frozen=True)
class Entry:
    """One unit of the adjudication file."""

    unit: int
    sentence: str
    status: str  # "agreed" | "disagreed" | "partial"
    differs: tuple[str, ...]
    annotators: dict[str, dict[str, Any] | None]
    resolved: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "sentence": self.sentence,
            "status": self.status,
            "differs": list(self.differs),
            "annotators": self.annotators,
            "resolved": self.resolved,
        }


def entries(matches: Sequence[Match], annotators: Sequence[str], sentences: Mapping[int, str]):
    out = []
    for m in matches:
        rows = {a: (as_row(m.items[a]) if a in m.items else None) for a in annotators}
        made = [r for r in rows.values() if r is not None]
        differs = tuple(f for f in COMPARED if len({_key(r, f) for r in made}) > 1)
        if len(made) < len(annotators):
            status = "partial"
        elif differs:
            status = "disagreed"
        else:
            status = "agreed"
        resolved = made[0] if status == "agreed" else None
        out.append(Entry(m.sentence, sentences[m.sentence], status, differs, rows, resolved))
    return out


def prepare(article: Path) -> list[Entry]:
    """The adjudication entries of one article from all its annotators' files."""
    article = Path(article)
    files = rated_articles(article.parent).get(article, {})
    if len(files) < 2:
        raise DataError(
            f"{article}: adjudication needs two or more annotators' files "
            f"({article.stem}.annotations.ANNOTATOR.jsonl); found {len(files)}"
        )
    ratings = read_ratings(article, files)
    sentences = {u.index: u.text for u in ratings.units}
    return entries(match(ratings), sorted(files), sentences)


def write_adjudication(article: Path, out: Path | None = None, *, force: bool = False):
    """Write the adjudication file; an existing one (maybe half resolved) is kept unless
    ``force``. Returns (path, entries)."""
    path = Path(out) if out is not None else adjudication_path(article)
    if path.exists() and not force:
        raise DataError(
            f"{path}: exists (it may hold resolutions); resolve it with --resolve, or pass "
            "--force to start over"
        )
    made = prepare(article)
    text = "".join(json.dumps(e.as_json(), ensure_ascii=False) + "\n" for e in made)
    write_text_atomic(path, text)
    return path, made


def _resolved_row(where: str, entry: dict, problems: list[str]) -> dict | None:
    resolved = entry.get("resolved")
    annotators = entry.get("annotators") or {}
    if resolved is None:
        what = ", ".join(entry.get("differs") or []) or "made by some annotators only"
        problems.append(
            f"{where}: unresolved ({entry.get('status')}: {what}); set 'resolved' to "
            f"{' or '.join(repr(a) for a in annotators)}, 'drop' or an item"
        )
        return None
    if resolved == DROP:
        return None
    if isinstance(resolved, str):
        if resolved not in annotators:
            problems.append(
                f'{where}: "resolved": {shown(resolved)} is no annotator of this unit '
                f'({", ".join(annotators)}) nor "drop"'
            )
            return None
        if annotators[resolved] is None:
            problems.append(f'{where}: {resolved} made no item here; pick another or "drop"')
            return None
        return dict(annotators[resolved])
    if isinstance(resolved, dict):
        return dict(resolved)
    problems.append(f'{where}: "resolved" must be an annotator\'s name, "drop" or an item')
    return None


def resolve(
    article: Path,
    adjudication: Path,
    *,
    out: Path | None = None,
    force: bool = False,
    id_prefix: str | None = None,
) -> tuple[Path, list[dict]]:
    """Turn a resolved adjudication file into the article's gold annotations."""
    article = Path(article)
    path = Path(out) if out is not None else gold_path(article)
    if path.exists() and not force:
        raise DataError(f"{path}: the gold exists; pass --force to replace it")
    text = read_article(article)
    problems: list[str] = []
    rows: list[dict] = []
    try:
        lines = Path(adjudication).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(
            f"{adjudication}: no such file; write it with annotate adjudicate"
        ) from None
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{adjudication}:{lineno}"
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a JSON object")
            continue
        row = _resolved_row(where, entry, problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise DataError(
            f"{adjudication}: {len(problems)} problem(s), no gold written:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    prefix = id_prefix or article.stem
    ordered = sorted(
        rows, key=lambda r: (r.get("offset", text.find(r.get("evidence", ""))), str(r))
    )
    gold = []
    for k, row in enumerate(ordered, start=1):
        row = {"id": f"{prefix}-{k:03d}", **{k2: v for k2, v in row.items() if k2 != "id"}}
        evidence = row.get("evidence")
        if (
            isinstance(evidence, str)
            and "offset" in row
            and text.count(evidence) == 1
            and text.find(evidence) == row["offset"]
        ):
            del row["offset"]  # unambiguous: the file reads as a hand-written one
        gold.append(row)
    write_validated(path, gold, article)
    return path, gold
