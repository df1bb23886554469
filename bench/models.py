"""The model registry and the baselines.

A model is a factory that returns a scikit-learn estimator taking a DataFrame with the
columns ``text`` and ``target`` and predicting label strings. Register one with
``@register("name", "what it is")``; a config may instead name ``module:factory``.
Factory parameters are keyword-only; their defaults give configs their types. A factory
that takes ``random_state`` gets one derived from the config's seed and the fold.
scikit-learn is imported inside the factories, so the registry loads instantly.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from bench.errors import ModelError, did_you_mean


@dataclass(frozen=True)
class ModelSpec:
    name: str
    factory: Callable
    description: str

    def build(self, params: dict, random_state: int | None = None):
        """The estimator for ``params``. ``per_target = true``, accepted by every model,
        fits one copy of it per target (see ``bench.per_target``)."""
        kwargs = dict(params)
        per_target = kwargs.pop(PER_TARGET, False)
        if "random_state" in inspect.signature(self.factory).parameters:
            kwargs["random_state"] = random_state
        try:
            est = self.factory(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"model {self.name!r} could not be built from {params}: {exc}"
            ) from None
        if per_target:
            from bench.per_target import PerTargetClassifier

            est = PerTargetClassifier(est)
        return est


PER_TARGET = "per_target"  # a parameter every model takes; see ModelSpec.build
REGISTRY: dict[str, ModelSpec] = {}


def register(name: str, description: str) -> Callable[[Callable], Callable]:
    """Add a factory to the registry under ``name``; a duplicate name is an error."""

    def deco(factory: Callable) -> Callable:
        if name in REGISTRY:
            raise ModelError(
                f"model {name!r} is registered twice ({REGISTRY[name].factory} and {factory})"
            )
        REGISTRY[name] = ModelSpec(name, factory, description)
        return factory

    return deco


def resolve(name: str, where: str = "model") -> ModelSpec:
    """A registered name, or ``module:factory`` importable from the current environment."""
    if name in REGISTRY:
        return REGISTRY[name]
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ModelError(f"{where}: cannot import {module_name!r} ({exc})") from None
        factory = getattr(module, attr, None)
        if not callable(factory):
            raise ModelError(f"{where}: {module_name!r} has no callable {attr!r}")
        return ModelSpec(name, factory, factory.__doc__ or "")
    hint = did_you_mean(name, REGISTRY)
    raise ModelError(
        f"{where}: unknown model {name!r}{hint} (available: {', '.join(REGISTRY)}; "
        "or give module:factory)"
    )


# ---------------------------------------------------------------------------- baselines
@register("majority", "always predicts the most frequent training label")
def majority():
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="most_frequent")


@register("stratified", "random labels drawn with the training label frequencies")
def stratified(*, random_state: int | None = None):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="stratified", random_state=random_state)


def _features(word_ngrams, char_ngrams, target_aware: bool, min_df: int, max_features: int):
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import OneHotEncoder

    limit = max_features or None
    parts = [
        (
            "word",
            TfidfVectorizer(
                ngram_range=tuple(word_ngrams),
                sublinear_tf=True,
                min_df=min_df,
                max_features=limit,
                dtype=np.float32,
            ),
            "text",
        ),
    ]
    if char_ngrams:
        parts.append(
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(char_ngrams),
                    sublinear_tf=True,
                    min_df=min_df,
                    max_features=limit,
                    dtype=np.float32,
                ),
                "text",
            )
        )
    if target_aware:
        parts.append(("target", OneHotEncoder(handle_unknown="ignore"), ["target"]))
        parts.append(("target_words", TfidfVectorizer(dtype=np.float32), "target"))
    return ColumnTransformer(parts)


def _pipeline(classifier, **feature_args):
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _features(**feature_args)), ("clf", classifier)])


@register("tfidf_logreg", "TF-IDF word + char n-grams, logistic regression")
def tfidf_logreg(
    *,
    C: float = 10.0,
    class_weight: str = "balanced",
    word_ngrams: list = (1, 2),
    char_ngrams: list = (2, 5),
    target_aware: bool = False,
    min_df: int = 1,
    max_features: int = 0,
    random_state: int | None = None,
):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )
    return _pipeline(
        clf,
        word_ngrams=word_ngrams,
        char_ngrams=char_ngrams,
        target_aware=target_aware,
        min_df=min_df,
        max_features=max_features,
    )


@register("tfidf_svm", "TF-IDF word + char n-grams, linear SVM")
def tfidf_svm(
    *,
    C: float = 1.0,
    class_weight: str = "balanced",
    word_ngrams: list = (1, 2),
    char_ngrams: list = (2, 5),
    target_aware: bool = False,
    min_df: int = 1,
    max_features: int = 0,
    random_state: int | None = None,
):
    from sklearn.svm import LinearSVC

    clf = LinearSVC(C=C, class_weight=class_weight or None, random_state=random_state)
    return _pipeline(
        clf,
        word_ngrams=word_ngrams,
        char_ngrams=char_ngrams,
        target_aware=target_aware,
        min_df=min_df,
        max_features=max_features,
    )


@register("tfidf_cnb", "TF-IDF word + char n-grams, complement naive Bayes")
def tfidf_cnb(
    *,
    alpha: float = 0.3,
    word_ngrams: list = (1, 2),
    char_ngrams: list = (2, 5),
    target_aware: bool = False,
    min_df: int = 1,
    max_features: int = 0,
):
    from sklearn.naive_bayes import ComplementNB

    return _pipeline(
        ComplementNB(alpha=alpha),
        word_ngrams=word_ngrams,
        char_ngrams=char_ngrams,
        target_aware=target_aware,
        min_df=min_df,
        max_features=max_features,
    )


@register("cue_lexicon", "transparent rules: cue words per stance, negation, fact when no cue")
def cue_lexicon(*, lexicon: str = ""):
    from bench.lexicon import CueLexiconClassifier

    return CueLexiconClassifier(lexicon=lexicon)
