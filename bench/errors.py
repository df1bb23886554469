"""One exception family, and the helpers that word its messages. Only ``bench.cli`` turns
these into messages and exit codes."""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 80  # characters of data an error message may quote


class BenchError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one-line message; the
    CLI turns it into exit code 2."""


class DataError(BenchError):
    """Seeds, annotations or an input dataset are malformed."""


class ConfigError(BenchError):
    """A config file is missing, malformed or holds a bad value."""


def gathered(found: list[BenchError]) -> BenchError:
    """Several errors as one: each message on its own line (``bench.cli`` prints each
    as an error line), repeats once, in the order found; one error as itself."""
    if len(found) == 1:
        return found[0]
    lines = list(dict.fromkeys(line for err in found for line in str(err).splitlines()))
    return type(found[0])("\n".join(lines)) if lines else found[0]


class ProtocolError(BenchError):
    """The evaluation protocol cannot be applied to this data."""


class ModelError(BenchError):
    """A model name or factory cannot be resolved or built."""


class FoldError(ModelError):
    """A model failed on one fold: it raised, exited, returned output of the wrong shape,
    ran past its timeout, or its worker process died. The message names the config and
    the fold. Under ``check`` this is a result that was not reproduced (exit 1)."""


class RunError(BenchError):
    """A run folder is missing, incomplete or inconsistent."""


def did_you_mean(word: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the nearest choice (case-insensitive), or ``""``."""
    import difflib

    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f"; did you mean {lowered[word.lower()]!r}?"
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def shown_path(path: Any) -> str:
    """A path as a message names it: relative to the working folder when inside it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def shown(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters of text with
    ``…``: a message names the data, it does not reproduce it."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        return repr(text[: limit - 1] + "…")
    return repr(value)
