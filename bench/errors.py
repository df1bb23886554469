"""One exception family, and the helpers that word its messages. Only ``bench.cli`` turns
these into messages and exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

QUOTE_LIMIT = 80  # characters of data an error message may quote


class BenchError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the one-line message; the
    CLI turns it into exit code 2."""


class DataError(BenchError):
    """Seeds, annotations or an input dataset are malformed."""


class ConfigError(BenchError):
    """A config file is missing, malformed or holds a bad value."""


MAX_SHOWN = 20  # errors one message lists; the rest are counted


def gathered(
    messages: list[str], head: str, again: str, error: type[BenchError] = ConfigError
) -> BenchError:
    """Several errors as one message: ``head`` ("PATH: 7 annotation errors"), then each
    error on its own indented line (repeats once, at most ``MAX_SHOWN``, the rest
    counted); ``again`` names what to do once they are fixed ("derive again"). One error
    is itself."""
    messages = list(dict.fromkeys(messages))
    if len(messages) == 1:
        return error(messages[0])
    listed = messages[:MAX_SHOWN]
    more = len(messages) - len(listed)
    tail = [f"… and {more} more (fix these and {again} to see them)"] if more else []
    err = error(f"{head}; fix them all, then {again}:\n  " + "\n  ".join(listed + tail))
    err.messages = messages  # type: ignore[attr-defined]  # for a caller that gathers again
    return err


def all_of(found: Sequence[BenchError], head: str, again: str = "run again") -> BenchError:
    """The errors ``found`` as one: the error itself when they say one thing (its class
    kept: an unknown model stays a ModelError), else ``gathered`` under ``head``, whose
    ``{n}`` is the count of different messages."""
    messages = each_message(found)
    if len(messages) == 1:
        return found[0]
    common = next(c for c in type(found[0]).__mro__ if all(isinstance(e, c) for e in found))
    return gathered(messages, head.replace("{n}", str(len(messages))), again, common)


def each_message(found: Sequence[BenchError]) -> list[str]:
    """The single messages of errors, some of them ``gathered`` ones, each once."""
    return list(dict.fromkeys(m for err in found for m in getattr(err, "messages", [str(err)])))


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
