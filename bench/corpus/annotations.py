"""Read and validate gold annotations, and align each evidence quote to the article."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.constraints import Interval, OneOf, check, check_keys
from bench.corpus.segment import Unit
from bench.errors import DataError, shown
from bench.labels import LABELS

ANNOTATION_SUFFIX = ".annotations.jsonl"
_ITEM_KEYS = {"id", "evidence", "label", "holder", "target", "offset", "note"}
_EXCLUSION_KEYS = {"id", "evidence", "exclude", "offset", "note"}
OFFSET = Interval(0, None, integer=True)


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
    """The passage of ``text`` (as long as ``quote``) that starts with the longest prefix
    of ``quote`` found in ``text``, or ends with its longest suffix; "" when no anchor of
    a few characters is found. Each anchor length is one ``str.find`` and the lengths are
    bisected, so the search is linear in the text (times a logarithm), whatever the quote.
    """

    def longest(anchor) -> tuple[int, int]:  # (length, position) of the longest anchor found
        lo, hi, where = 0, min(len(quote), len(text)), 0
        while lo < hi:
            mid = (lo + hi + 1) // 2
            at = text.find(anchor(mid))
            if at >= 0:
                lo, where = mid, at
            else:
                hi = mid - 1
        return lo, where

    n_pre, at_pre = longest(lambda k: quote[:k])
    n_suf, at_suf = longest(lambda k: quote[len(quote) - k :])
    if max(n_pre, n_suf) < 4:
        return ""
    start = at_pre if n_pre >= n_suf else max(0, at_suf + n_suf - len(quote))
    return text[start : start + len(quote)].replace("\n", " ")


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
    allowed = _EXCLUSION_KEYS if "exclude" in row else _ITEM_KEYS | {"exclude"}
    check_keys(row, sorted(allowed), where, error=DataError, located=True)
    for key in ("id", "evidence"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise DataError(f"{where}: {key!r} is missing or empty; give a non-empty string")
    if "exclude" in row:
        if not isinstance(row["exclude"], str) or not row["exclude"].strip():
            raise DataError(f"{where}: 'exclude' needs a reason, e.g. \"bare section heading\"")
        return
    label = row.get("label")
    check(label, OneOf(LABELS), f"{where}: the label", error=DataError)
    for key in ("holder", "target"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{where}: {key!r} must be a string, got {type(value).__name__}")
        if label != "fact" and not (value or "").strip():
            raise DataError(
                f"{where}: {label!r} item {shown(row['id'])} has no {key}; stance items need a "
                f"holder and a target (use label 'fact' if nobody takes a stance)"
            )
    check(row.get("offset", 0), OFFSET, f"{where}: 'offset' (a character offset)", error=DataError)


def _locate(path: Path, lineno: int, row: dict, text: str) -> int:
    where = _where(path, lineno)
    quote = row["evidence"]
    if "offset" in row:
        at = row["offset"]
        if text[at : at + len(quote)] != quote:
            raise DataError(
                f"{where}: evidence of {shown(row['id'])} is not at offset {at}; "
                f"found there {shown(text[at : at + len(quote)])}"
            )
        return at
    hits, at = [], text.find(quote)
    while at >= 0:
        hits.append(at)
        at = text.find(quote, at + 1)
    if not hits:
        near = closest_passage(text, quote)
        raise DataError(
            f"{where}: evidence of {shown(row['id'])} not found verbatim in the article; "
            + (f"closest passage: {shown(near)}" if near else "no passage like it")
        )
    if len(hits) > 1:
        raise DataError(
            f"{where}: evidence of {shown(row['id'])} occurs {len(hits)} times (offsets "
            f"{', '.join(map(str, hits[:5]))}{', …' if len(hits) > 5 else ''}); "
            'add "offset": N to say which'
        )
    return hits[0]


def _unit_of(path: Path, lineno: int, item_id: str, start: int, end: int, units: list[Unit]):
    for unit in units:
        if unit.start <= start and end <= unit.end:
            return unit
    raise DataError(
        f"{_where(path, lineno)}: evidence of {shown(item_id)} (offsets {start}-{end}) crosses a "
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
                f"{_where(path, item.line)}: items {shown(first.id)} ({first.label}) and "
                f"{shown(item.id)} ({item.label}) give target {shown(item.target)} two labels "
                "in one sentence; "
                "name the targets apart (see GUIDELINES.md, Holder and target)"
            )


def read_annotations(path: Path, text: str, units: list[Unit]) -> list[Item]:
    """Parse, validate and align the annotation file of one article."""
    try:
        raw_lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM is dropped
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
                f"{_where(path, lineno)}: duplicate id {shown(item_id)} (first on line "
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
                f'({shown(unit.text, 60)}); add an item or an "exclude" line with a reason'
            )
    return items
