"""Seeds -> segmented units -> annotations -> dataset."""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 80  # characters of data an error message may quote


def shown(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters of text with
    ``…``: a message names the data, it does not reproduce it."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        return repr(text[: limit - 1] + "…")
    return repr(value)
