"""The cue lexicon: general stance cues read from a data file, and how they match a text.

``Lexicon`` matches the cues in a text and gives the label its transparent rules assign;
the estimators built on it (``bench.models.cues``) turn the matches into predictions or
into features a learned model can weigh. No scikit-learn here: the registry reads the
default lexicon's path without loading it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.constraints import check_keys
from bench.errors import ModelError

LEXICON = Path(__file__).parent.parent / "data" / "cues.toml"  # the shipped lexicon


def lexicon_path(path: str | Path = "") -> Path:
    """The lexicon file a ``lexicon`` parameter names; ``""`` is the shipped cues.toml."""
    return Path(path) if path else LEXICON


def load_lexicon(path: str | Path = "") -> dict:
    p = lexicon_path(path)
    return _parse(_read(p), p)


def _read(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise ModelError(f"{p}: cannot read the cue lexicon ({exc})") from None


def _parse(raw: bytes, p: Path) -> dict:
    from bench.io import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"{p}: cannot read the cue lexicon ({exc})") from None
    where = f"the cue lexicon {p}"
    check_keys(
        data,
        ("default", "cues", "negation"),
        where,
        required=("cues", "negation"),
        error=ModelError,
    )
    check_keys(
        data["negation"], ("words", "window", "flip"), f"[negation] of {where}", error=ModelError
    )
    return data


def _phrases(phrases) -> re.Pattern:
    alts = sorted((re.escape(p.lower()) for p in phrases), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b") if alts else re.compile(r"(?!x)x")


_STRIP = ".,;:“”\"'‘’()"


@dataclass(frozen=True)
class Lexicon:
    """A compiled lexicon file: ``[cues]`` maps each label to phrases; ``[negation]``
    lists negator ``words``, the ``window`` in tokens before a cue, and ``flip``, what a
    negated label becomes ("" drops the cue); ``default`` is the label when no cue fires."""

    labels: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    negators: frozenset[str]
    window: int
    flip: dict[str, str]
    default: str

    @classmethod
    def load(cls, path: str | Path = "") -> Lexicon:
        """The compiled lexicon of the file ``path`` names, compiled once per process for
        each content of the file (every fold of every cue model reads the same file; an
        edited file is read and compiled afresh)."""
        p = lexicon_path(path)
        raw = _read(p)
        key = (str(p), raw)
        lex = _COMPILED.get(key)
        if lex is None:
            lex = cls._compile(_parse(raw, p))
            if len(_COMPILED) >= 16:
                _COMPILED.clear()
            _COMPILED[key] = lex
        return lex

    @classmethod
    def _compile(cls, data: dict) -> Lexicon:
        neg = data["negation"]
        labels = tuple(sorted(data["cues"]))
        return cls(
            labels=labels,
            patterns=tuple(_phrases(data["cues"][lab]) for lab in labels),
            negators=frozenset(w.lower() for w in neg.get("words", [])),
            window=int(neg.get("window", 3)),
            flip=dict(neg.get("flip", {})),
            default=str(data.get("default", "fact")),
        )

    def matches(self, text: str) -> list[tuple[str, bool]]:
        """Each cue found in ``text``: its label and whether a negator precedes it."""
        low = text.lower()
        out = []
        for label, pattern in zip(self.labels, self.patterns, strict=True):
            for m in pattern.finditer(low):
                before = [w.strip(_STRIP) for w in low[: m.start()].split()[-self.window :]]
                out.append((label, any(w in self.negators for w in before)))
        return out

    def rule_label(self, text: str) -> str:
        """The label the rules give ``text``: the most frequent cue label after negation
        flips, ties to the first alphabetically; ``default`` when no cue counts."""
        scores: dict[str, int] = {}
        for label, negated in self.matches(text):
            final = self.flip.get(label, label) if negated else label
            if final:
                scores[final] = scores.get(final, 0) + 1
        if not scores:
            return self.default
        return max(sorted(scores), key=lambda lab: scores[lab])


_COMPILED: dict[tuple[str, bytes], Lexicon] = {}  # (path, content) -> its Lexicon


def to_task(label: str, classes: Iterable[str]) -> str | None:
    """A rule label as a label of the task whose labels are ``classes``: itself, or
    ``stance`` for any cue label when the task is fact vs. stance; None when it has none."""
    classes = set(classes)
    if label in classes:
        return label
    if label != "fact" and "stance" in classes:
        return "stance"
    return None
