"""Allowed values, one language for every table the package reads: config sections, model
parameters, contrast rules, annotations, the cue lexicon.

A rule is data (``Interval``, ``OneOf``, ``NGramRange``, ``FilePath``) declared next to the
code that uses the value (scikit-learn's ``_parameter_constraints``); ``check`` is the one
place that tests a value against a rule and words the error: "{where} must be {rule}; got
{value}". ``check_keys`` does the same for a table's keys ("No such key ...; did you mean
...?"). The error class is the caller's (a config says ConfigError, an annotation file
DataError), so each message still names its file.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError, ConfigError, did_you_mean, shown


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Interval:
    """A number in a range: ``low``/``high`` of None are unbounded; ``closed`` says which
    ends are allowed ("both", "left", "right", "neither"); ``integer`` admits integers only."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"
    integer: bool = False

    def accepts(self, value: Any) -> bool:
        if not (_is_integer(value) if self.integer else _is_number(value)):
            return False
        # NaN is in no range; inf is no setting (nor JSON); an int of any size is finite
        if isinstance(value, float) and not math.isfinite(value):
            return False
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return lo_ok and hi_ok

    def __str__(self) -> str:
        noun = "an integer" if self.integer else "a number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")

        def num(x: float) -> str:  # an integer bound in full (1000000, not 1e+06)
            return str(int(x)) if float(x).is_integer() and abs(x) < 2**63 else f"{x:g}"

        if self.low is not None and self.high is not None:
            opening, closing = "[" if left else "(", "]" if right else ")"
            return f"{noun} in {opening}{num(self.low)}, {num(self.high)}{closing}"
        if self.low is not None:
            return f"{noun} {'>=' if left else '>'} {num(self.low)}"
        if self.high is not None:
            return f"{noun} {'<=' if right else '<'} {num(self.high)}"
        return noun


@dataclass(frozen=True)
class OneOf:
    """One of ``values`` (compared with ==)."""

    values: tuple

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class NGramRange:
    """``[lo, hi]`` with integers ``1 <= lo <= hi``; with ``allow_empty``, ``[]`` too."""

    allow_empty: bool = False

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, (list, tuple)):
            return False
        if self.allow_empty and len(value) == 0:
            return True
        return len(value) == 2 and all(_is_integer(v) for v in value) and 1 <= value[0] <= value[1]

    def __str__(self) -> str:
        return "[lo, hi] with 1 <= lo <= hi" + (" (or [] to drop them)" if self.allow_empty else "")


@dataclass(frozen=True)
class FilePath:
    """A file that must exist, relative to ``folder`` (a config's folder) when one is given
    to ``check``; ``""`` stands for ``default``. With ``must_exist = False`` the file may
    not exist yet (a predictions file written after the items are exported): its reader
    says so when it is needed. A file the model only writes (``read = False``: a response
    cache) is located the same way but is not part of what a run depends on."""

    default: Path | None = None
    must_exist: bool = True
    read: bool = True  # False: a file the model writes (a cache), not one its results depend on

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def __str__(self) -> str:
        noun = "an existing file" if self.must_exist else "a file path"
        return noun + (f' ("" for {self.default.name})' if self.default else "")

    def locate(self, value: str, folder: Path | None) -> Path | None:
        """The file ``value`` names (``default`` for ""), relative to ``folder``."""
        if not value:
            return self.default
        p = Path(value)
        return p if p.is_absolute() or folder is None else folder / p


@dataclass(frozen=True)
class AnyOf:
    """A value that one of ``rules`` allows (e.g. 0 to switch a thing off, or a range)."""

    rules: tuple

    def accepts(self, value: Any) -> bool:
        return any(rule.accepts(value) for rule in self.rules)

    def __str__(self) -> str:
        return " or ".join(str(rule).removeprefix("one of ") for rule in self.rules)


Rule = Interval | OneOf | NGramRange | FilePath | AnyOf


def check(
    value: Any,
    rule: Rule,
    where: str,
    *,
    error: type[BenchError] = ConfigError,
    folder: Path | None = None,
) -> None:
    """Raise ``error`` ("{where} must be {rule}; got {value}") unless ``value`` is allowed.
    A ``FilePath`` is looked up relative to ``folder``."""
    ok = rule.accepts(value)
    shown_value: Any = value
    if ok and isinstance(rule, FilePath) and value:
        path = rule.locate(value, folder)
        ok = path is not None and (path.is_file() or not rule.must_exist)
        shown_value = str(path)
    if ok:
        return
    hint = ""
    if isinstance(rule, OneOf) and isinstance(value, str):
        hint = did_you_mean(value, [v for v in rule.values if isinstance(v, str) and v])
    raise error(f"{where} must be {rule}; got {shown(shown_value)}{hint}")


def check_keys(
    table: Iterable[str],
    allowed: Collection[str],
    where: str,
    *,
    required: Iterable[str] = (),
    error: type[BenchError] = ConfigError,
    located: bool = False,
) -> None:
    """Every key of ``table`` is ``allowed`` and every ``required`` key is there; the first
    offender is the error ("No such key 'x' in WHERE; did you mean 'y'? (allowed: ...)").
    With ``located``, ``where`` is a position (``file:line``) and leads the message."""
    keys = list(table)
    for key in keys:
        if key not in allowed:
            hint, listed = did_you_mean(str(key), allowed), ", ".join(allowed)
            if located:
                raise error(f"{where}: no such key {shown(key)}{hint} (allowed: {listed})")
            raise error(f"No such key {shown(key)} in {where}{hint} (allowed: {listed})")
    for key in required:
        if key not in keys:
            raise error(f"{where}: needs {key!r}" if located else f"{where} needs {key!r}")
