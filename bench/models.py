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

    def build(self, params: dict, random_state: int | None = None, labels=None):
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

    def check_params(self, params, where: str) -> dict:
        """The config's parameters for this model, checked against the factory's keyword
        arguments and their defaults' types."""
        from bench.errors import ConfigError

        accepted = {
            p.name: p
            for p in inspect.signature(self.factory).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "random_state"
        }
        for key, value in params.items():
            if key == PER_TARGET:
                if not isinstance(value, bool):
                    raise ConfigError(f"'{PER_TARGET}' in {where} must be true or false; got {value!r}")
                continue
            if key not in accepted:
                raise ConfigError(
                    f"No such key {key!r} in {where}{did_you_mean(key, accepted)} "
                    f"(parameters of {self.name}: {', '.join([*accepted, PER_TARGET])})"
                )
            default = accepted[key].default
            if default is not inspect.Parameter.empty and default is not None:
                kind = type(default)
                ok = (
                    isinstance(value, bool)
                    if kind is bool
                    else isinstance(value, (int, float)) and not isinstance(value, bool)
                    if kind is float
                    else isinstance(value, int) and not isinstance(value, bool)
                    if kind is int
                    else isinstance(value, (list, tuple))
                    if kind in (list, tuple)
                    else isinstance(value, kind)
                )
                if not ok:
                    expected = "a list" if kind in (list, tuple) else kind.__name__
                    raise ConfigError(
                        f"{key!r} in {where} must be {expected} like the default "
                        f"{default!r}; got {value!r}"
                    )
        return dict(params)

    def source_files(self, params) -> tuple:
        return ()


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


def resolve(name: str, where: str = "model", search_path=None) -> ModelSpec:
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


FEATURES = {  # the TF-IDF feature parameters every text_model takes, with their defaults
    "word_ngrams": (1, 2),
    "char_ngrams": (2, 5),
    "target_aware": False,
    "min_df": 1,
    "max_features": 0,
}


def _features(word_ngrams, char_ngrams, target_aware: bool, min_df: int, max_features: int):
    """TF-IDF word n-grams + char n-grams of the text; with ``target_aware``, the target
    too (one-hot and its words). ``char_ngrams = []`` drops the char features."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import OneHotEncoder

    def tfidf(**kw):
        return TfidfVectorizer(
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
            max_features=max_features or None,
            **kw,
        )

    parts = [("word", tfidf(ngram_range=tuple(word_ngrams)), "text")]
    if char_ngrams:
        parts.append(("char", tfidf(analyzer="char_wb", ngram_range=tuple(char_ngrams)), "text"))
    if target_aware:
        parts.append(("target", OneHotEncoder(handle_unknown="ignore"), ["target"]))
        parts.append(("target_words", TfidfVectorizer(dtype=np.float32), "target"))
    return ColumnTransformer(parts)


def text_model(name: str, description: str) -> Callable[[Callable], Callable]:
    """Register a classifier factory as a model on TF-IDF features (``FEATURES``).

    The registered factory takes the classifier's keyword arguments and the feature
    parameters; its signature lists both, so configs are validated against both.
    """

    def deco(make_classifier: Callable) -> Callable:
        own = list(inspect.signature(make_classifier).parameters.values())
        shared = [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
            for k, v in FEATURES.items()
        ]

        def factory(**kwargs):
            from sklearn.pipeline import Pipeline

            features = {k: kwargs.pop(k, v) for k, v in FEATURES.items()}
            return Pipeline(
                [("features", _features(**features)), ("clf", make_classifier(**kwargs))]
            )

        factory.__signature__ = inspect.Signature(own + shared)
        factory.__name__ = make_classifier.__name__
        factory.__doc__ = f"{description} (classifier: {make_classifier.__name__})"
        register(name, description)(factory)
        return factory

    return deco


@text_model("tfidf_logreg", "TF-IDF word + char n-grams, logistic regression")
def tfidf_logreg(
    *, C: float = 10.0, class_weight: str = "balanced", random_state: int | None = None
):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )


@text_model("tfidf_svm", "TF-IDF word + char n-grams, linear SVM")
def tfidf_svm(*, C: float = 1.0, class_weight: str = "balanced", random_state: int | None = None):
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, class_weight=class_weight or None, random_state=random_state)


@text_model("tfidf_cnb", "TF-IDF word + char n-grams, complement naive Bayes")
def tfidf_cnb(*, alpha: float = 0.3):
    from sklearn.naive_bayes import ComplementNB

    return ComplementNB(alpha=alpha)


@register("cue_lexicon", "transparent rules: cue words per stance, negation, fact when no cue")
def cue_lexicon(*, lexicon: str = ""):
    from bench.lexicon import CueLexiconClassifier

    return CueLexiconClassifier(lexicon=lexicon)
