"""The transparent cue-lexicon baseline: rules read from a data file, no learning."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from bench.errors import ModelError

LEXICON = Path(__file__).with_name("data") / "cues.toml"


def load_lexicon(path: str | Path = "") -> dict:
    from bench.config import tomllib

    p = Path(path) if path else LEXICON
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"{p}: cannot read the cue lexicon ({exc})") from None
    for key in ("cues", "negation"):
        if key not in data:
            raise ModelError(f"{p}: the cue lexicon needs a [{key}] table")
    return data


def _phrases(phrases) -> re.Pattern:
    alts = sorted((re.escape(p.lower()) for p in phrases), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b") if alts else re.compile(r"(?!x)x")


_STRIP = ".,;:“”\"'‘’()"


class CueLexiconClassifier(ClassifierMixin, BaseEstimator):
    """Counts cue phrases per label; a negator just before a cue flips it; no cue -> default.

    The lexicon is a TOML file (default ``bench/data/cues.toml``): ``[cues]`` maps each
    label to phrases; ``[negation]`` lists negator ``words``, the ``window`` in tokens
    before a cue, and ``flip``, what a negated label becomes ("" drops the cue). Ties go
    to the label first in alphabetical order. A label the task does not have becomes
    ``stance`` when the task has it, else the most frequent training label.
    """

    def __init__(self, *, lexicon: str = ""):
        self.lexicon = lexicon

    def fit(self, X, y):
        data = load_lexicon(self.lexicon)
        neg = data["negation"]
        self.patterns_ = {lab: _phrases(ph) for lab, ph in data["cues"].items()}
        self.negators_ = {w.lower() for w in neg.get("words", [])}
        self.window_ = int(neg.get("window", 3))
        self.flip_ = dict(neg.get("flip", {}))
        self.default_ = data.get("default", "fact")
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def cue_label(self, text: str) -> str:
        """The label the rules give ``text`` before mapping to the task's labels."""
        low = text.lower()
        scores: dict[str, int] = {}
        for label, pattern in self.patterns_.items():
            for m in pattern.finditer(low):
                before = [w.strip(_STRIP) for w in low[: m.start()].split()[-self.window_ :]]
                negated = any(w in self.negators_ for w in before)
                final = self.flip_.get(label, label) if negated else label
                if final:
                    scores[final] = scores.get(final, 0) + 1
        if not scores:
            return self.default_
        return max(sorted(scores), key=lambda lab: scores[lab])

    def _to_task(self, label: str):
        if label in self.classes_:
            return label
        if label != "fact" and "stance" in self.classes_:
            return "stance"
        return self.majority_

    def predict(self, X):
        check_is_fitted(self, "classes_")
        texts = X["text"] if hasattr(X, "columns") else X
        return np.array([self._to_task(self.cue_label(str(t))) for t in texts], dtype=object)
