"""Read and validate gold annotations, and align each evidence quote to the article."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.constraints import Interval, OneOf, check, check_keys
from bench.corpus.segment import Unit
from bench.errors import DataError, all_of, shown
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


def describe_unit(unit: Unit) -> str:
    """How messages name a unit: its number (from 0, in article order, headlines
    included: what ``stance-bench units`` prints) and its offsets."""
    return f"unit {unit.index} ({unit.kind}, offsets {unit.start}-{unit.end})"


class _Problems:
    """The errors found in one annotation file, in file order; ``raise_if_any`` reports
    them all at once (at most ``MAX_SHOWN``, with the count of the rest)."""

    def __init__(self, path: Path):
        self.path = path
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        found = [DataError(m) for m in self.messages]
        raise all_of(found, f"{self.path}: {{n}} annotation errors", "derive again")


def _parse_line(path: Path, lineno: int, raw: str) -> dict | str:
    """The JSON object of one line, or the error message."""
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        return (
            f"{_where(path, lineno)}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "each line must be one JSON object"
        )
    if not isinstance(row, dict):
        return f"{_where(path, lineno)}: expected a JSON object, got {type(row).__name__}"
    return row


def _field_errors(path: Path, lineno: int, row: dict) -> list[str]:
    """Every problem of one row's keys and values (GUIDELINES.md, "The file format")."""
    where = _where(path, lineno)
    out: list[str] = []

    def attempt(fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except DataError as err:
            out.append(str(err))

    exclusion = "exclude" in row
    allowed = _EXCLUSION_KEYS if exclusion else _ITEM_KEYS | {"exclude"}
    for key in row:
        attempt(check_keys, {key: None}, sorted(allowed), where, error=DataError, located=True)
    for key in ("id", "evidence"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            out.append(f"{where}: {key!r} is missing or empty; give a non-empty string")
    attempt(
        check,
        row.get("offset", 0),
        OFFSET,
        f"{where}: 'offset' (a character offset)",
        error=DataError,
    )
    if exclusion:
        if not isinstance(row["exclude"], str) or not row["exclude"].strip():
            out.append(f"{where}: 'exclude' needs a reason, e.g. \"bare section heading\"")
        return out
    label = row.get("label")
    attempt(check, label, OneOf(LABELS), f"{where}: the label", error=DataError)
    name = shown(row["id"]) if isinstance(row.get("id"), str) else "the item"
    for key in ("holder", "target"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            out.append(f"{where}: {key!r} must be a string, got {type(value).__name__}")
            continue
        given = bool((value or "").strip())
        if label == "fact" and key == "holder" and given:
            out.append(
                f"{where}: 'fact' item {name} has holder {shown(value)}; a fact states nobody's "
                "stance: remove the holder, or give the stance label it expresses "
                "(GUIDELINES.md, Labels)"
            )
        elif label == "fact" and key == "target" and not given:
            out.append(
                f"{where}: 'fact' item {name} has no target; facts get a target too (what the "
                "event is about), so that a model cannot tell fact from stance by whether a "
                "target is present (GUIDELINES.md, Holder and target)"
            )
        elif label in LABELS and label != "fact" and not given:
            out.append(
                f"{where}: {label!r} item {name} has no {key}; stance items need a "
                f"holder and a target (use label 'fact' if nobody takes a stance)"
            )
    return out


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
        "sentence boundary; quote a passage inside one unit (`stance-bench units` lists them)"
    )


def _unit_index(row: dict, text: str, units: list[Unit]) -> set[int]:
    """The unit a row that failed a check points at, when its evidence still finds one."""
    quote = row.get("evidence")
    if not isinstance(quote, str) or not quote:
        return set()
    at = row.get("offset") if isinstance(row.get("offset"), int) else text.find(quote)
    if at is None or at < 0 or text[at : at + len(quote)] != quote:
        return set()
    return {u.index for u in units if u.start <= at < u.end}


def _check_units(path: Path, items: list[Item], problems: _Problems) -> None:
    """Per unit: one target has one label (a model sees (sentence, target) and could not
    tell two labels apart), and an excluded unit carries no item."""
    seen: dict[tuple[int, str], Item] = {}
    excluded = {item.unit.index: item for item in items if item.exclude is not None}
    for item in items:
        if item.exclude is not None:
            continue
        if item.unit.index in excluded:
            ex = excluded[item.unit.index]
            problems.add(
                f"{_where(path, item.line)}: item {shown(item.id)} lies in "
                f"{describe_unit(item.unit)}, which {shown(ex.id)} (line {ex.line}) excludes; "
                "remove the exclusion or the item"
            )
        key = (item.unit.index, item.target.lower())
        first = seen.setdefault(key, item)
        if first.label != item.label:
            problems.add(
                f"{_where(path, item.line)}: items {shown(first.id)} ({first.label}) and "
                f"{shown(item.id)} ({item.label}) give target {shown(item.target)} two labels "
                "in one sentence; "
                "name the targets apart (see GUIDELINES.md, Holder and target)"
            )


def read_annotations(path: Path, text: str, units: list[Unit]) -> list[Item]:
    """Parse, validate and align the annotation file of one article. Every error of the
    file is reported at once (``_Problems``)."""
    try:
        raw_lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM is dropped
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    problems = _Problems(path)
    items: list[Item] = []
    covered: set[int] = set()  # units of rows that failed: they are annotated, if wrongly
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        row = _parse_line(path, lineno, raw)
        if isinstance(row, str):
            problems.add(row)
            continue
        errors = _field_errors(path, lineno, row)
        item_id = row.get("id")
        if isinstance(item_id, str) and item_id in seen:
            errors.append(
                f"{_where(path, lineno)}: duplicate id {shown(item_id)} (first on line "
                f"{seen[item_id]}); ids must be unique"
            )
        elif isinstance(item_id, str):
            seen[item_id] = lineno
        if errors:
            for message in errors:
                problems.add(message)
            covered |= _unit_index(row, text, units)  # not also "not annotated"
            continue
        item_id = str(item_id)
        try:
            start = _locate(path, lineno, row, text)
            end = start + len(row["evidence"])
            unit = _unit_of(path, lineno, item_id, start, end, units)
        except DataError as err:
            problems.add(str(err))
            covered |= _unit_index(row, text, units)
            continue
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
    _check_units(path, items, problems)
    covered |= {item.unit.index for item in items}
    for unit in units:
        if unit.index not in covered:
            problems.add(
                f"{path}: {describe_unit(unit)} is not annotated "
                f'({shown(unit.text, 60)}); add an item or an "exclude" line with a reason'
            )
    problems.raise_if_any()
    return items
