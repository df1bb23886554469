"""Sentence segmentation of news articles, with character offsets.

Lines are paragraphs. A line without final punctuation is a headline and one unit by
itself. Other lines go through pysbd (rule-based, keeps abbreviations such as "U.S."
and "Mr." and quotations with their attribution together), then two repairs: a piece
that starts in lower case continues the previous unit, and a unit that opens inside a
quotation inherits the speaker of the unit that opened it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_FINAL_PUNCT = ".!?…"
_CLOSERS = "\"'”’»)]"
_OPEN_QUOTES = '“"'
_NAME = r"(?:[A-Z][\w’'.-]*)(?: (?:[A-Z][\w’'.-]*|de|van|von|al-\w+))*"
_SAY = r"(?:said|says|stated|added|noted|stressed|told [\w ]+?|wrote|commented(?: on [^:“\"]+)?)"
_AFTER_QUOTE = re.compile(
    rf"[”\"],?\s+(?P<who>{_NAME})\s+(?:was quoted as saying|{_SAY})\b"
    rf"|[”\"],?\s+(?:said|says|added)\s+(?P<who2>{_NAME})"
)
_BEFORE_QUOTE = re.compile(rf"(?P<who>{_NAME})\s+{_SAY}\s*[:,]\s*[“\"]")
# pysbd's time grows with the square of its input: a longer line is fed to it in pieces
# cut at likely sentence ends: a lower-case word of 3+ letters (not "Dr."), final
# punctuation, closers, space, then a capital or a quote
_CHUNK = 2000
_LIKELY_END = re.compile(r"(?<=[a-z]{3})[.!?…][\"'”’»)\]]*\s+(?=[“\"‘'(A-Z])")


@dataclass(frozen=True)
class Unit:
    """One segmented unit: a sentence or a headline, with offsets into the article."""

    index: int
    start: int
    end: int
    text: str
    kind: str  # "headline" or "sentence"
    speaker: str | None = None


@lru_cache(maxsize=1)
def _pysbd():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def is_headline(line: str) -> bool:
    """A line is a headline when, closing quotes and brackets aside, it lacks final punctuation."""
    core = line.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] not in _FINAL_PUNCT


def _spans(line: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Locate each stripped piece in ``line`` in order; returns (start, end) per piece."""
    spans, cursor = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        at = line.find(piece, cursor)
        if at < 0:  # pysbd never rewrites text with clean=False; keep a guard anyway
            raise ValueError(f"segmenter returned text not in the line: {piece[:40]!r}")
        spans.append((at, at + len(piece)))
        cursor = at + len(piece)
    return spans


def _sentences(line: str) -> list[str]:
    """pysbd's sentences of ``line``. A line longer than ``_CHUNK`` is cut first, at the
    last likely sentence end in each window of ``_CHUNK`` characters (or the first one
    after it), so that the time stays linear in the line's length."""
    if len(line) <= _CHUNK:
        return _pysbd().segment(line)
    out: list[str] = []
    start = 0
    while start < len(line):
        cut = len(line)
        if len(line) - start > _CHUNK:
            ends = [
                m.end() for m in _LIKELY_END.finditer(line, start + _CHUNK // 2, start + _CHUNK)
            ]
            if ends:
                cut = ends[-1]
            else:
                after = _LIKELY_END.search(line, start + _CHUNK)
                cut = after.end() if after else len(line)
        out += _pysbd().segment(line[start:cut])
        start = cut
    return out


def _merge_continuations(line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        first = line[start:end].lstrip(_OPEN_QUOTES + "‘'(")[:1]
        if merged and first.islower():
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _speaker(text: str) -> str | None:
    m = _AFTER_QUOTE.search(text)
    if m:
        return m.group("who") or m.group("who2")
    m = _BEFORE_QUOTE.search(text)
    return m.group("who") if m else None


def _quote_open_after(text: str, was_open: bool) -> bool:
    opened = was_open
    for ch in text:
        if ch == "“":
            opened = True
        elif ch == "”":
            opened = False
    return opened


def segment(text: str) -> list[Unit]:
    """Split an article into units whose ``text`` equals ``article[start:end]``."""
    units: list[Unit] = []
    offset = 0
    for raw_line in text.splitlines(keepends=True):
        line = raw_line.rstrip("\r\n")
        line_start = offset
        offset += len(raw_line)
        if not line.strip():
            continue
        if is_headline(line):
            spans = _spans(line, [line])
            kind = "headline"
        else:
            spans = _merge_continuations(line, _spans(line, _sentences(line)))
            kind = "sentence"
        quote_open, speaker = False, None
        for start, end in spans:
            piece = line[start:end]
            own = _speaker(piece)
            starts_quoted = piece[:1] in _OPEN_QUOTES or quote_open
            if own:
                speaker = own
            elif not starts_quoted:
                speaker = None
            quote_open = _quote_open_after(piece, quote_open)
            units.append(
                Unit(
                    index=len(units),
                    start=line_start + start,
                    end=line_start + end,
                    text=piece,
                    kind=kind,
                    speaker=speaker if (own or starts_quoted) else None,
                )
            )
    return units
