"""Text made inert where it is shown: Markdown (and the HTML it allows), HTML, and CSV
opened in a spreadsheet. Every writer of data text uses these (the reports through
``bench.report.format``, the dataset card), so one rule escapes it everywhere.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import Any

_PLAIN = re.compile(r"[A-Za-z0-9 .,+\-\[\]()%/:=–<>†]*")  # numbers, intervals, words
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# Characters that change how text around them displays without showing themselves: the
# C0/C1 controls and the bidirectional overrides, embeddings and isolates (CVE-2021-42574)
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Spreadsheet formula triggers at the start of a CSV cell (OWASP, "CSV Injection")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def visible(text: Any) -> str:
    """``text`` with each control or bidi-override character written as its escape
    (``\\u202e``): a report shows the data as it is, not as those characters reorder it."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def html_text(text: Any) -> str:
    """Text for HTML: escaped, its invisible characters made visible (``visible``)."""
    return html_escape(visible(text))


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run: text starting with = + - @ (or a tab
    or carriage return) gets a leading ' as OWASP advises; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def md(text: Any) -> str:
    """Any text made inert in Markdown (and in the HTML that Markdown allows): HTML
    escaped, Markdown punctuation backslashed, line breaks turned into spaces."""
    flat = " ".join(visible(text).split())
    if _PLAIN.fullmatch(flat) and "](" not in flat and "<" not in flat.replace("<0.001", ""):
        return flat  # numbers, intervals, plain words: nothing to escape
    escaped = _MD_SPECIAL.sub(r"\\\1", html_escape(flat, quote=False))
    return escaped.replace("\\](", "\\]\\(")  # no "](" left: not even the text of a link


def md_row(cells) -> str:
    """A Markdown table row; every cell escaped (numbers pass through unchanged)."""
    return "| " + " | ".join(md(c) for c in cells) + " |"
