"""Read and validate gold annotations, and align each evidence quote to the article."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.segment import Unit
from bench.errors import DataError, did_you_mean
from bench.labels import LABELS

ANNOTATION_SUFFIX = ".annotations.jsonl"
_ITEM_KEYS = {"id", "evidence", "label", "holder", "target", "offset", "note"}
_EXCLUSION_KEYS = {"id", "evidence", "exclude", "offset", "note"}


@dataclass(frozen=True)
class Item:
    """One gold item, aligned: evidence offsets and the unit that holds it."""

    id: str
    label: str | None  # None for an exclusion
    holder: str
    target: str
    evidence: str
    start: int
    end: int
    unit: Unit
    line: int
    exclude: str | None = None


def closest_passage(text: str, quote: str) -> str:
    """The passage of ``text`` most like ``quote`` (same length, word-aligned starts)."""
    best, best_ratio = "", -1.0
    n = len(quote)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch in " \n—“‘"]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    for s in starts:
        window = text[s : s + n]
        matcher.set_seq1(window)
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        r = matcher.ratio()
        if r > best_ratio:
            best, best_ratio = window, r
    return best.replace("\n", " ")


def _where(path: Path, line: int) -> str:
    return f"{path}:{line}"


def _parse_line(path: Path, lineno: int, raw: str) -> dict:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{_where(path, lineno)}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "each line must be one JSON object"
        ) from None
    if not isinstance(row, dict):
        raise DataError(f"{_where(path, lineno)}: expected a JSON object, got {type(row).__name__}")
    return row


def _check_fields(path: Path, lineno: int, row: dict) -> None:
    where = _where(path, lineno)
    allowed = _EXCLUSION_KEYS if "exclude" in row else _ITEM_KEYS
    for key in row:
        if key not in allowed:
            raise DataError(
                f"{where}: no such key {key!r}{did_you_mean(key, allowed | {'exclude'})} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    for key in ("id", "evidence"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise DataError(f"{where}: {key!r} is missing or empty; give a non-empty string")
    if "exclude" in row:
        if not isinstance(row["exclude"], str) or not row["exclude"].strip():
            raise DataError(f"{where}: 'exclude' needs a reason, e.g. \"bare section heading\"")
        return
    label = row.get("label")
    if label not in LABELS:
        raise DataError(
            f"{where}: unknown label {label!r}{did_you_mean(str(label), LABELS)} "
            f"(allowed: {', '.join(LABELS)})"
        )
    for key in ("holder", "target"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{where}: {key!r} must be a string, got {type(value).__name__}")
        if label != "fact" and not (value or "").strip():
            raise DataError(
                f"{where}: {label!r} item {row['id']!r} has no {key}; stance items need a "
                f"holder and a target (use label 'fact' if nobody takes a stance)"
            )
    if "offset" in row and (not isinstance(row["offset"], int) or isinstance(row["offset"], bool)):
        raise DataError(f"{where}: 'offset' must be a character offset (integer)")


def _locate(path: Path, lineno: int, row: dict, text: str) -> int:
    where = _where(path, lineno)
    quote = row["evidence"]
    if "offset" in row:
        at = row["offset"]
        if text[at : at + len(quote)] != quote:
            raise DataError(
                f"{where}: evidence of {row['id']!r} is not at offset {at}; "
                f"found there {text[at : at + len(quote)]!r}"
            )
        return at
    hits, at = [], text.find(quote)
    while at >= 0:
        hits.append(at)
        at = text.find(quote, at + 1)
    if not hits:
        raise DataError(
            f"{where}: evidence of {row['id']!r} not found verbatim in the article; "
            f"closest passage: {closest_passage(text, quote)!r}"
        )
    if len(hits) > 1:
        raise DataError(
            f"{where}: evidence of {row['id']!r} occurs {len(hits)} times (offsets "
            f'{", ".join(map(str, hits))}); add "offset": N to say which'
        )
    return hits[0]


def _unit_of(path: Path, lineno: int, item_id: str, start: int, end: int, units: list[Unit]):
    for unit in units:
        if unit.start <= start and end <= unit.end:
            return unit
    raise DataError(
        f"{_where(path, lineno)}: evidence of {item_id!r} (offsets {start}-{end}) crosses a "
        "sentence boundary; quote a passage inside one sentence"
    )


def _check_targets(path: Path, items: list[Item]) -> None:
    """A model sees (sentence, target): one sentence may not give one target two labels."""
    seen: dict[tuple[int, str], Item] = {}
    for item in items:
        if item.exclude is not None:
            continue
        key = (item.unit.index, item.target.lower())
        first = seen.setdefault(key, item)
        if first.label != item.label:
            raise DataError(
                f"{_where(path, item.line)}: items {first.id!r} ({first.label}) and {item.id!r} "
                f"({item.label}) give target {item.target!r} two labels in one sentence; "
                "name the targets apart (see GUIDELINES.md, Holder and target)"
            )


def read_annotations(path: Path, text: str, units: list[Unit]) -> list[Item]:
    """Parse, validate and align the annotation file of one article."""
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    items: list[Item] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        row = _parse_line(path, lineno, raw)
        _check_fields(path, lineno, row)
        item_id = row["id"]
        if item_id in seen:
            raise DataError(
                f"{_where(path, lineno)}: duplicate id {item_id!r} (first on line "
                f"{seen[item_id]}); ids must be unique"
            )
        seen[item_id] = lineno
        start = _locate(path, lineno, row, text)
        end = start + len(row["evidence"])
        unit = _unit_of(path, lineno, item_id, start, end, units)
        items.append(
            Item(
                id=item_id,
                label=row.get("label"),
                holder=(row.get("holder") or "").strip(),
                target=(row.get("target") or "").strip(),
                evidence=row["evidence"],
                start=start,
                end=end,
                unit=unit,
                line=lineno,
                exclude=row.get("exclude"),
            )
        )
    _check_targets(path, items)
    covered = {item.unit.index for item in items}
    for unit in units:
        if unit.index not in covered:
            raise DataError(
                f"{path}: sentence {unit.index} at offset {unit.start} is not annotated "
                f'({unit.text[:60]!r}); add an item or an "exclude" line with a reason'
            )
    return items
