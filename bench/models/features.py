"""The TF-IDF text features that the text models share, and ``text_model``, which
registers a classifier factory as a model on them.

Each TF-IDF part is a ``bench.models.tfidf.SharedTfidfVectorizer``: inside
``bench.models.shared.sharing()`` (the runner's groups of fold fits), models and sweep
points that have a part with the same parameters on the same fold fit it once.
``shares_features`` tells the runner which fits may share.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

from bench.constraints import Interval, NGramRange, Rule
from bench.models.registry import register

FEATURES = {  # the TF-IDF feature parameters every text_model takes, with their defaults
    "word_ngrams": (1, 2),
    "char_ngrams": (2, 5),
    "target_aware": False,
    "min_df": 1,
    "max_features": 0,
}
FEATURE_CONSTRAINTS: dict[str, Rule] = {
    "word_ngrams": NGramRange(),
    "char_ngrams": NGramRange(allow_empty=True),
    "min_df": Interval(1, None, integer=True),
    "max_features": Interval(0, None, integer=True),  # 0: no limit
}


def tfidf_features(word_ngrams, char_ngrams, target_aware: bool, min_df: int, max_features: int):
    """TF-IDF word n-grams + char n-grams of the text; with ``target_aware``, the target
    too (one-hot and its words). ``char_ngrams = []`` drops the char features. The parts
    are stacked by ``bench.models.columns.Columns`` (ColumnTransformer's output, without
    its per-call overhead)."""
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    from bench.models.columns import Columns
    from bench.models.tfidf import SharedTfidfVectorizer as TfidfVectorizer

    def tfidf(**kw):
        return TfidfVectorizer(
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
            max_features=max_features or None,
            **kw,
        )

    parts: list[tuple] = [("word", tfidf(ngram_range=tuple(word_ngrams)), "text")]
    if char_ngrams:
        parts.append(("char", tfidf(analyzer="char_wb", ngram_range=tuple(char_ngrams)), "text"))
    if target_aware:
        parts.append(("target", OneHotEncoder(handle_unknown="ignore"), ["target"]))
        parts.append(("target_words", TfidfVectorizer(dtype=np.float32), "target"))
    return Columns(parts)


def shares_features(factory: Callable) -> bool:
    """Whether models of ``factory`` compute their features with ``tfidf_features``
    (a ``text_model``): fits of such models on the same rows can share parts of them."""
    return bool(getattr(factory, "text_features", False))


def text_model(
    name: str, description: str, *, constraints: Mapping[str, Rule] | None = None
) -> Callable[[Callable], Callable]:
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
                [("features", tfidf_features(**features)), ("clf", make_classifier(**kwargs))]
            )

        factory.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
        factory.__name__ = make_classifier.__name__
        factory.__doc__ = f"{description} (classifier: {make_classifier.__name__})"
        factory.text_features = True  # type: ignore[attr-defined]  # see shares_features
        register(name, description, constraints={**FEATURE_CONSTRAINTS, **(constraints or {})})(
            factory
        )
        return factory

    return deco
