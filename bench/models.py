"""The model registry and the baselines.

A model is a factory that returns a scikit-learn estimator taking a DataFrame with the
columns ``text`` and ``target`` and predicting label strings. Register one with
``@register("name", "what it is", constraints={...})``; a config may instead name
``module:factory``. Factory parameters are keyword-only; their defaults give configs
their types, and ``constraints`` their allowed values (checked in ``check_params``). A
factory that takes ``random_state`` gets one derived from the config's seed and the fold;
one that takes ``labels`` gets the task's labels, so it can predict a label that no
training item of the fold has. scikit-learn is imported inside the factories, so the
registry loads instantly.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.errors import ConfigError, ModelError, did_you_mean

PER_TARGET = "per_target"  # a parameter every model takes; see ModelSpec.build
INJECTED = ("random_state", "labels")  # given by the runner, never by a config


# ---------------------------------------------------------------- allowed values (data)
@dataclass(frozen=True)
class Interval:
    """A number in a range: ``low``/``high`` of None are unbounded; ``closed`` says which
    ends are allowed ("both", "left", "right", "neither")."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __call__(self, value: Any) -> bool:
        lo_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        hi_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return lo_ok and hi_ok

    def __str__(self) -> str:
        lo = None if self.low is None else (">=" if self.closed in ("both", "left") else ">")
        hi = None if self.high is None else ("<=" if self.closed in ("both", "right") else "<")
        parts = [f"{op} {v:g}" for op, v in ((lo, self.low), (hi, self.high)) if op]
        return " and ".join(parts) or "any number"


@dataclass(frozen=True)
class NGramRange:
    """``[lo, hi]`` with integers ``1 <= lo <= hi``; with ``allow_empty``, ``[]`` too."""

    allow_empty: bool = False

    def __call__(self, value: Any) -> bool:
        if self.allow_empty and len(value) == 0:
            return True
        return (
            len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1]
        )

    def __str__(self) -> str:
        return "[lo, hi] with 1 <= lo <= hi" + (" (or [] to drop them)" if self.allow_empty else "")


@dataclass(frozen=True)
class OneOf:
    values: tuple

    def __call__(self, value: Any) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class FilePath:
    """A file that must exist, relative to the config's folder when it has one; ``""``
    stands for ``default``."""

    default: Path | None = None

    def __call__(self, value: Any) -> bool:
        return True  # checked by ModelSpec against its folder; see ModelSpec._path

    def __str__(self) -> str:
        return "an existing file" + (f' ("" for {self.default.name})' if self.default else "")


Constraint = Interval | NGramRange | OneOf | FilePath


# ------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class ModelSpec:
    """A model: its factory, what it is, the allowed values of its parameters, and the
    packages whose version is part of what it computes.

    ``where`` (for messages) and ``folder`` (where relative paths and plug-in modules are
    found: the config's folder) are set by ``resolve``.
    """

    name: str
    factory: Callable
    description: str
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    module_files: tuple[Path, ...] = ()  # a plug-in's source and the modules beside it
    where: str = ""
    folder: Path | None = None

    # parameters -----------------------------------------------------------------------
    def parameters(self) -> dict[str, Any]:
        """The config keys: each parameter and its default (``inspect.Parameter.empty``
        when it has none), ``per_target`` included."""
        sig = inspect.signature(self.factory)
        out = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in INJECTED
        }
        out[PER_TARGET] = False
        return out

    def check_params(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``params`` (a config's [model] table less ``name``) checked against the
        factory's parameters, their types (those of the defaults) and their allowed
        values; ``where`` is the config file. Raises ConfigError."""
        accepted = self.parameters()
        for key, value in params.items():
            if key not in accepted:
                raise ConfigError(
                    f"No such key {key!r} in [model] of {where}{did_you_mean(key, accepted)} "
                    f"(parameters of {self.name}: {', '.join(accepted)})"
                )
            if key == PER_TARGET:
                if not isinstance(value, bool):
                    raise ConfigError(
                        f"'{PER_TARGET}' in [model] of {where} must be true or false; got {value!r}"
                    )
                continue
            default = accepted[key]
            if default is not inspect.Parameter.empty and default is not None:
                _check_type(key, value, default, where)
            rule = self.constraints.get(key)
            ok = rule is None or (
                self._path(value).is_file() if isinstance(rule, FilePath) and value else rule(value)
            )
            if not ok:
                shown = self._path(value) if isinstance(rule, FilePath) else value
                raise ConfigError(f"{key!r} in [model] of {where} must be {rule}; got {shown!r}")
        return dict(params)

    def _path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() or self.folder is None else self.folder / p

    def _with_paths(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for key, rule in self.constraints.items():
            if isinstance(rule, FilePath) and out.get(key):
                out[key] = str(self._path(out[key]))
        return out

    # building -------------------------------------------------------------------------
    def build(
        self,
        params: Mapping[str, Any],
        random_state: int | None = None,
        labels: Sequence[str] | None = None,
    ):
        """The estimator for ``params``. ``random_state`` and ``labels`` (the task's
        labels) go to a factory that takes them. ``per_target = true``, accepted by every
        model, fits one copy of it per target (see ``bench.per_target``). Raises
        ModelError when the factory fails or returns something that is not an estimator.
        """
        kwargs = self._with_paths(params)
        per_target = kwargs.pop(PER_TARGET, False)
        sig = inspect.signature(self.factory).parameters
        if "random_state" in sig:
            kwargs["random_state"] = random_state
        if "labels" in sig:
            kwargs["labels"] = None if labels is None else tuple(labels)
        where = f"{self.where}: " if self.where else ""
        try:
            with _on_path(self.folder):
                est = self.factory(**kwargs)
        except Exception as exc:
            raise ModelError(
                f"{where}model {self.name!r} could not be built from {dict(params)} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if not (callable(getattr(est, "fit", None)) and callable(getattr(est, "predict", None))):
            raise ModelError(
                f"{where}model {self.name!r} returned {est!r} ({type(est).__name__}), "
                "not an estimator with fit and predict"
            )
        if per_target:
            from bench.per_target import PerTargetClassifier

            est = PerTargetClassifier(est)
        return est

    # what a run depends on ------------------------------------------------------------
    def source_files(self, params: Mapping[str, Any]) -> tuple[Path, ...]:
        """Files besides the bench package that the model's predictions depend on: a
        plug-in's module files (with the modules beside it) and every file parameter (a
        lexicon; its default file when the parameter is left empty). Hash them to tell when
        a run is stale."""
        files = list(self.module_files)
        for key, rule in self.constraints.items():
            if isinstance(rule, FilePath):
                value = params.get(key)
                path = self._path(value) if value else rule.default
                if path is not None:
                    files.append(path.resolve())
        return tuple(dict.fromkeys(f for f in files if f is not None))

    def fingerprint(self) -> dict[str, str | None]:
        """The versions of the packages the model's numbers come from (a pretrained model
        shipped in a package changes with its version)."""
        from importlib.metadata import PackageNotFoundError, version

        out: dict[str, str | None] = {}
        for pkg in self.packages:
            try:
                out[pkg] = version(pkg)
            except PackageNotFoundError:
                out[pkg] = None
        return out


def _check_type(key: str, value: Any, default: Any, where: str) -> None:
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
            f"{key!r} in [model] of {where} must be {expected} like the default "
            f"{default!r}; got {value!r}"
        )


@contextlib.contextmanager
def _on_path(folder: Path | None) -> Iterator[None]:
    """``folder`` first on ``sys.path`` for the duration (plug-ins next to a config)."""
    if folder is None:
        yield
        return
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def _provides(folder: Path, top: str) -> bool:
    """Whether ``folder`` holds module ``top`` (``top.py`` or a package ``top/``)."""
    return (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()


def _folder_sources(folder: Path) -> tuple[Path, ...]:
    """Every module source a plug-in in ``folder`` could import from there: the folder's
    ``*.py`` files and those of its packages. A plug-in's run depends on all of them (the
    same list whatever this process imported before)."""
    files = list(folder.glob("*.py"))
    for package in folder.glob("*/__init__.py"):
        files += package.parent.rglob("*.py")
    return tuple(sorted(p.resolve() for p in files))


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # deleted since: stale


@dataclass
class _Plugins:
    """The modules imported from the one config folder whose plug-ins this process holds:
    name -> (source file, its hash when imported)."""

    folder: Path | None = None
    modules: dict[str, tuple[Path, str | None]] = field(default_factory=dict)

    def stale(self, folder: Path, top: str) -> bool:
        """Another folder is asked for (its modules may share names with ours, and ours
        must not shadow the environment's), or a source file of ours has changed."""
        if not self.modules:
            return False
        if self.folder != folder and (_provides(folder, top) or top in self.modules):
            return True
        return any(_digest(path) != digest for path, digest in self.modules.values())

    def drop(self) -> None:
        """Forget every module of the folder, and the bytecode of each changed file (Python
        checks it by mtime in whole seconds and size: a quick same-size edit would load
        the old code)."""
        from importlib.util import cache_from_source

        for name, (path, digest) in self.modules.items():
            sys.modules.pop(name, None)
            if _digest(path) != digest:
                with contextlib.suppress(OSError, ValueError, NotImplementedError):
                    Path(cache_from_source(str(path))).unlink()
        self.modules.clear()
        importlib.invalidate_caches()

    def record(self, folder: Path, before: set[str]) -> None:
        """Note the modules the last import loaded from ``folder`` (new submodules of a
        package that was there before, like ``bench`` itself, are not the folder's)."""
        self.folder = folder
        for name in set(sys.modules) - before:
            package = name.partition(".")[0]
            if package in before and package not in self.modules:
                continue
            file = getattr(sys.modules[name], "__file__", None)
            path = Path(file).resolve() if file else None
            if path is not None and path.is_relative_to(folder):
                self.modules[name] = (path, _digest(path))


_PLUGINS = _Plugins()
# Plug-ins are imported one at a time: a Dask worker fits folds in several threads, and
# sys.path and sys.modules are the whole process's.
_IMPORT_LOCK = threading.RLock()


def _import(module_name: str, folder: Path | None) -> Any:
    """Import ``module_name``, from ``folder`` first. A long-lived process (a Dask worker,
    a reused pool worker, a test session) holds the plug-ins of one config folder at a
    time, as they are now: a module from another folder, or an edited one, is dropped with
    the rest of its folder's and imported again. A plug-in named like a module of the
    environment is an error."""
    top = module_name.partition(".")[0]
    with _IMPORT_LOCK:
        if folder is not None and _PLUGINS.stale(folder, top):
            _PLUGINS.drop()
        cached = sys.modules.get(top)
        if (
            folder is not None
            and cached is not None
            and top not in _PLUGINS.modules
            and _provides(folder, top)
        ):
            origin = getattr(cached, "__file__", None)
            if origin is None or not Path(origin).resolve().is_relative_to(folder):
                raise ModelError(
                    f"plug-in module {top!r} in {folder} has the name of a module already "
                    f"imported from {origin or 'the interpreter'}; rename the plug-in file"
                )
            for name in [m for m in sys.modules if m == top or m.startswith(f"{top}.")]:
                del sys.modules[name]  # imported from the folder by other means: afresh
        before = set(sys.modules)
        with _on_path(folder):
            module = importlib.import_module(module_name)
        if folder is not None:
            _PLUGINS.record(folder, before)
        return module


REGISTRY: dict[str, ModelSpec] = {}


def register(
    name: str,
    description: str,
    *,
    constraints: Mapping[str, Constraint] | None = None,
    packages: Sequence[str] = (),
) -> Callable[[Callable], Callable]:
    """Add a factory to the registry under ``name``; a duplicate name is an error.
    ``constraints`` gives allowed values per parameter; ``packages`` the packages whose
    version is part of the model (see ``ModelSpec.fingerprint``)."""

    def deco(factory: Callable) -> Callable:
        if name in REGISTRY:
            raise ModelError(
                f"model {name!r} is registered twice ({REGISTRY[name].factory} and {factory})"
            )
        REGISTRY[name] = ModelSpec(
            name, factory, description, dict(constraints or {}), tuple(packages)
        )
        return factory

    return deco


def resolve(name: str, where: str = "model", search_path: Path | None = None) -> ModelSpec:
    """A registered name, or ``module:factory`` importable from the environment or from
    ``search_path`` (the config's folder). ``where`` prefixes error messages."""
    folder = Path(search_path).resolve() if search_path is not None else None
    if name in REGISTRY:
        return replace(REGISTRY[name], where=where, folder=folder)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        found = "importable from the environment" + (
            f" or from the config's folder {folder}" if folder is not None else ""
        )
        try:
            module = _import(module_name, folder)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
        except ModuleNotFoundError as exc:
            if exc.name == module_name or module_name.startswith(f"{exc.name}."):
                raise ModelError(
                    f"{where}: cannot import {module_name!r}: no such module (a plug-in "
                    f"module must be {found})"
                ) from None
            raise ModelError(
                f"{where}: importing {module_name!r} failed ({type(exc).__name__}: {exc})"
            ) from None
        except Exception as exc:
            raise ModelError(
                f"{where}: importing {module_name!r} failed ({type(exc).__name__}: {exc})"
            ) from None
        factory = getattr(module, attr, None)
        if not callable(factory):
            raise ModelError(f"{where}: {module_name!r} has no callable {attr!r}")
        spec = next((s for s in REGISTRY.values() if s.factory is factory), None)
        if spec is not None:
            return replace(spec, where=where, folder=folder)
        file = Path(module.__file__).resolve() if getattr(module, "__file__", None) else None
        if file is not None and folder is not None and file.is_relative_to(folder):
            files = _folder_sources(folder)  # the plug-in and the modules beside it
        else:
            files = (file,) if file is not None else ()
        return ModelSpec(
            name,
            factory,
            factory.__doc__ or "",
            module_files=files,
            where=where,
            folder=folder,
        )
    hint = did_you_mean(name, REGISTRY)
    raise ModelError(
        f"{where}: unknown model {name!r}{hint} (available: {', '.join(REGISTRY)}; "
        "or give module:factory)"
    )


# ---------------------------------------------------------------------------- baselines
POSITIVE = Interval(0, None, closed="neither")
CLASS_WEIGHT = OneOf(("balanced", ""))
LEXICON_FILE = FilePath(default=Path(__file__).with_name("data") / "cues.toml")


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
FEATURE_CONSTRAINTS: dict[str, Constraint] = {
    "word_ngrams": NGramRange(),
    "char_ngrams": NGramRange(allow_empty=True),
    "min_df": Interval(1, None),
    "max_features": Interval(0, None),  # 0: no limit
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

    parts: list[tuple] = [("word", tfidf(ngram_range=tuple(word_ngrams)), "text")]
    if char_ngrams:
        parts.append(("char", tfidf(analyzer="char_wb", ngram_range=tuple(char_ngrams)), "text"))
    if target_aware:
        parts.append(("target", OneHotEncoder(handle_unknown="ignore"), ["target"]))
        parts.append(("target_words", TfidfVectorizer(dtype=np.float32), "target"))
    return ColumnTransformer(parts)


def text_model(
    name: str, description: str, *, constraints: Mapping[str, Constraint] | None = None
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
                [("features", _features(**features)), ("clf", make_classifier(**kwargs))]
            )

        factory.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
        factory.__name__ = make_classifier.__name__
        factory.__doc__ = f"{description} (classifier: {make_classifier.__name__})"
        register(name, description, constraints={**FEATURE_CONSTRAINTS, **(constraints or {})})(
            factory
        )
        return factory

    return deco


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
    from bench.lexicon import CueLexiconClassifier

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

    from bench.embeddings import TextEmbedder

    clf = LogisticRegression(
        C=C, class_weight=class_weight or None, max_iter=2000, random_state=random_state
    )
    return Pipeline([("features", TextEmbedder(target_aware=target_aware)), ("clf", clf)])


@register(
    "cue_logreg",
    "cue-lexicon matches (per label, negated or not) beside embeddings or TF-IDF, "
    "logistic regression; the lexicon's rules decide labels unseen in training",
    constraints={
        "C": POSITIVE,
        "class_weight": CLASS_WEIGHT,
        "text_features": OneOf(("embeddings", "tfidf", "none")),
        "cue_weight": Interval(0, None),
        "lexicon": LEXICON_FILE,
    },
    packages=("wordllama",),
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
    from bench.lexicon import CueLogisticClassifier

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
    metric: str = "macro_f1",
    f_avg_labels: list = [],  # noqa: B006
    random_state: int | None = None,
    labels: tuple[str, ...] | None = None,
):
    from bench.selection import InnerCVSelect

    return InnerCVSelect(
        model=model,
        fixed=dict(fixed),
        grid=[dict(g) for g in grid],
        inner_splits=inner_splits,
        metric=metric,
        f_avg_labels=list(f_avg_labels),
        random_state=random_state,
        labels=labels,
    )
