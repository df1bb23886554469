from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from bench.errors import ModelError
from bench.models import REGISTRY, register, resolve
from bench.models.registry import TRAINED

# the scikit-learn classifiers: the models that answer item by item (a predictions file,
# a chat endpoint) and may learn nothing take ``trained`` and have their own tests
BASELINES = sorted(n for n, s in REGISTRY.items() if TRAINED not in s.parameters())

TEXTS = [
    ("Leaders condemned the strikes on the city.", "strikes", "condemn"),
    ("The minister criticized the attack as reckless.", "attack", "condemn"),
    ("Officials denounced the bombing.", "bombing", "condemn"),
    ("They called for an immediate ceasefire.", "ceasefire", "support"),
    ("The president supports the peace plan.", "peace plan", "support"),
    ("Diplomats urged talks to resume.", "talks", "support"),
    ("Critics doubt the mediator's credibility.", "mediator", "skeptical"),
    ("Analysts are skeptical of the offer.", "offer", "skeptical"),
    ("Many questioned whether the deal would hold.", "deal", "skeptical"),
    ("The meeting took place on Thursday.", "meeting", "fact"),
    ("Missiles were launched overnight.", "missiles", "fact"),
    ("The two leaders spoke by phone.", "phone call", "fact"),
]
X = pd.DataFrame({"text": [t for t, _, _ in TEXTS], "target": [g for _, g, _ in TEXTS]})
y = np.array([lab for _, _, lab in TEXTS])


TASK_LABELS = ("support", "condemn", "skeptical", "fact")


@pytest.fixture(scope="module")
def fitted():
    """Every registered model built with the task's labels and fitted once on ``X, y``; a
    model whose optional package (or CPU) is missing here is its one-line reason instead."""
    out: dict = {}
    for name in BASELINES:
        try:
            out[name] = REGISTRY[name].build({}, random_state=0, labels=TASK_LABELS).fit(X, y)
        except ModelError as e:
            if "pip install" not in str(e) and "CPU" not in str(e):
                raise
            out[name] = str(e)
    return out


def _fitted(fitted: dict, name: str):
    if isinstance(fitted[name], str):
        pytest.skip(fitted[name])
    return fitted[name]


def test_only_the_answering_models_are_not_baselines():
    assert set(REGISTRY) - set(BASELINES) == {"predictions", "openai_chat"}


@pytest.mark.parametrize("name", BASELINES)
def test_registered_model_follows_the_estimator_contract(name, fitted):
    spec = REGISTRY[name]
    est = spec.build({}, random_state=0, labels=TASK_LABELS)
    params = est.get_params()
    twin = clone(est)
    assert twin.get_params().keys() == params.keys()
    assert repr(twin) == repr(est)  # __init__ stores its parameters only
    twin.set_params(**{k: v for k, v in params.items() if "__" not in k})
    with pytest.raises(NotFittedError):
        twin.predict(X)
    est = _fitted(fitted, name)
    assert set(est.classes_) <= set(TASK_LABELS)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(y)
    again = spec.build({}, random_state=0, labels=TASK_LABELS).fit(X, y).predict(X)
    assert list(pred) == list(again), "same random_state must give the same predictions"
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        assert proba.shape == (len(X), len(est.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        assert list(pred) == list(est.classes_[proba.argmax(axis=1)])
    wrapped = spec.build({"per_target": True}, random_state=0, labels=TASK_LABELS)
    assert list(clone(wrapped).fit(X, y).predict(X)) == list(y)  # one label per target


def test_importing_the_registry_imports_no_heavy_package():
    import subprocess
    import sys

    code = (
        "import sys, bench.models as m; assert m.REGISTRY; "
        "print(sorted(k for k in sys.modules if k.split('.')[0] in "
        "('sklearn', 'wordllama', 'numpy', 'pandas')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "name", ["tfidf_logreg", "tfidf_svm", "tfidf_cnb", "embed_logreg", "cue_logreg"]
)
def test_learned_models_learn_the_training_data(name, fitted):
    est = _fitted(fitted, name)
    assert (est.predict(X) == y).mean() >= 0.9


def test_target_aware_models_use_the_target():
    est = REGISTRY["tfidf_logreg"].build({"target_aware": True}, random_state=0).fit(X, y)
    a = est.decision_function(X.iloc[:1])
    changed = X.iloc[:1].assign(target="ceasefire")
    assert not np.allclose(a, est.decision_function(changed))
    plain = REGISTRY["tfidf_logreg"].build({}, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        plain.decision_function(X.iloc[:1]), plain.decision_function(changed)
    )


def test_cue_lexicon_rules():
    est = REGISTRY["cue_lexicon"].build({}).fit(X, y)
    rows = pd.DataFrame(
        {
            "text": [
                "They condemned it.",
                "Force is not the correct way.",
                "Talks began on Monday.",
                "Critics doubt it.",
                "They did not condemn it.",
            ],
            "target": [""] * 5,
        }
    )
    assert list(est.predict(rows)) == ["condemn", "condemn", "fact", "skeptical", "fact"]


def test_cue_lexicon_maps_to_the_task_labels(tmp_path):
    est = REGISTRY["cue_lexicon"].build({}).fit(X, np.where(y == "fact", "fact", "stance"))
    assert list(est.predict(X.iloc[[0, 9]])) == ["stance", "fact"]
    lex = tmp_path / "cues.toml"
    lex.write_text('[cues]\nsupport = ["peace"]\n[negation]\nwords = []\n', encoding="utf-8")
    est = REGISTRY["cue_lexicon"].build({"lexicon": str(lex)}).fit(X, y)
    assert list(est.predict(X.iloc[[4, 0]])) == ["support", "fact"]


def test_duplicate_registration_is_an_error():
    with pytest.raises(ModelError, match="registered twice"):
        register("majority", "again")(lambda: None)


def test_module_factory_and_errors():
    assert resolve("bench.models.baselines:tfidf_svm").factory is REGISTRY["tfidf_svm"].factory
    with pytest.raises(ModelError, match="cannot import 'no_such_module'"):
        resolve("no_such_module:f")
    with pytest.raises(ModelError, match="has no callable 'nope'"):
        resolve("bench.models.baselines:nope")
    with pytest.raises(ModelError, match="available: majority"):
        resolve("svm")


def test_text_model_registers_features_and_classifier_params(tmp_path):
    from bench.config import load_config
    from bench.errors import ConfigError
    from bench.models import text_model

    @text_model("tfidf_ridge_test", "ridge, as in the README")
    def tfidf_ridge(*, alpha: float = 1.0):
        from sklearn.linear_model import RidgeClassifier

        return RidgeClassifier(alpha=alpha)

    try:
        cfg_path = tmp_path / "r.toml"
        cfg_path.write_text(
            '[model]\nname = "tfidf_ridge_test"\nalpha = 0.5\n'
            "word_ngrams = [1, 1]\nchar_ngrams = []\n",
            encoding="utf-8",
        )
        cfg = load_config(cfg_path)
        est = REGISTRY["tfidf_ridge_test"].build(dict(cfg.model.params)).fit(X, y)
        assert est.named_steps["clf"].alpha == 0.5
        assert [name for name, _, _ in est.named_steps["features"].transformers] == ["word"]
        assert (est.predict(X) == y).mean() > 0.9
        cfg_path.write_text('[model]\nname = "tfidf_ridge_test"\nalpah = 1.0\n')
        with pytest.raises(ConfigError, match="did you mean 'alpha'"):
            load_config(cfg_path)
    finally:
        REGISTRY.pop("tfidf_ridge_test")


# ------------------------------------------------------------------ parameter checks (C)
@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("tfidf_logreg", {"c": 1.0}, r"No such key 'c' in \[model\] of a.toml; did you mean 'C'\?"),
        ("tfidf_logreg", {"C": "big"}, r"'C' in \[model\] of a.toml must be float like the "),
        ("tfidf_logreg", {"C": -1.0}, r"'C' in \[model\] of a.toml must be a number > 0; got -1.0"),
        ("tfidf_logreg", {"C": 0}, r"must be a number > 0; got 0"),
        ("tfidf_svm", {"word_ngrams": [2, 1]}, r"'word_ngrams' .* must be \[lo, hi\] with 1 <= lo"),
        ("tfidf_svm", {"word_ngrams": [1]}, r"\[lo, hi\] with 1 <= lo <= hi; got \[1\]"),
        ("tfidf_svm", {"word_ngrams": []}, r"\[lo, hi\] with 1 <= lo <= hi; got \[\]"),
        ("tfidf_svm", {"char_ngrams": [0, 3]}, r"\[lo, hi\] with 1 <= lo <= hi \(or \[\] to drop"),
        ("tfidf_svm", {"word_ngrams": [1.0, 2]}, r"got \[1.0, 2\]"),
        ("tfidf_cnb", {"min_df": 0}, r"'min_df' .* must be an integer >= 1; got 0"),
        ("tfidf_cnb", {"max_features": -5}, r"'max_features' .* must be an integer >= 0; got -5"),
        ("tfidf_cnb", {"alpha": -0.1}, r"'alpha' .* must be a number >= 0"),
        ("tfidf_logreg", {"class_weight": "auto"}, r"must be one of 'balanced', ''; got 'auto'"),
        ("tfidf_logreg", {"per_target": 1}, r"'per_target' in \[model\] of a.toml must be true or"),
        ("majority", {"random_state": 3}, r"No such key 'random_state' .*per_target\)"),
        ("cue_lexicon", {"labels": ["fact"]}, r"No such key 'labels'"),
        ("cue_lexicon", {"lexicon": "missing.toml"}, r"'lexicon' .* must be an existing file"),
        (
            "cue_logreg",
            {"text_features": "bert"},
            r"must be one of 'embeddings', 'e5', 'tfidf', 'none'",
        ),
        ("embed_logreg", {"target_aware": "yes"}, r"must be bool like the default False"),
    ],
)
def test_check_params_rejects_bad_keys_types_and_values(name, params, message):
    from bench.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        REGISTRY[name].check_params(params, "a.toml")


def test_check_params_accepts_good_values_and_finds_files_next_to_the_config(tmp_path):
    spec = REGISTRY["tfidf_svm"]
    ok = {"C": 2, "word_ngrams": [1, 1], "char_ngrams": [], "min_df": 1, "per_target": True}
    assert spec.check_params(ok, "a.toml") == ok
    (tmp_path / "my_cues.toml").write_text("[cues]\n[negation]\n", encoding="utf-8")
    spec = resolve("cue_lexicon", search_path=tmp_path)
    assert spec.check_params({"lexicon": "my_cues.toml"}, "a.toml") == {"lexicon": "my_cues.toml"}
    assert spec.source_files({"lexicon": "my_cues.toml"}) == ((tmp_path / "my_cues.toml"),)
    # built from the config's folder, whatever the working directory
    assert spec.build({"lexicon": "my_cues.toml"}).lexicon == str(tmp_path / "my_cues.toml")


def test_source_files_and_fingerprint():
    from bench.models.lexicon import LEXICON

    assert REGISTRY["cue_lexicon"].source_files({}) == (LEXICON.resolve(),)
    assert REGISTRY["cue_logreg"].source_files({}) == (LEXICON.resolve(),)
    assert REGISTRY["tfidf_logreg"].source_files({}) == ()
    assert REGISTRY["tfidf_logreg"].fingerprint() == {}
    version = REGISTRY["embed_logreg"].fingerprint()["wordllama"]
    assert version and version[0].isdigit()


@pytest.mark.parametrize("seed", range(40))
def test_majority_is_scikit_learns_most_frequent_dummy(seed):
    """``majority`` (numpy) gives what DummyClassifier(strategy="most_frequent") gives:
    classes, predictions and probabilities, their dtypes, and ties to the first label."""
    from sklearn.dummy import DummyClassifier

    rng = np.random.default_rng(seed)
    names = np.array(["condemn", "fact", "skeptical", "support"], dtype=object)
    y_fit = rng.choice(names[: rng.integers(1, 5)], int(rng.integers(1, 30)))
    X_fit, X_new = pd.DataFrame({"text": ["t"] * len(y_fit)}), pd.DataFrame({"text": ["u"] * 7})
    ours = clone(REGISTRY["majority"].build({})).fit(X_fit, y_fit)
    theirs = DummyClassifier(strategy="most_frequent").fit(X_fit, y_fit)
    for a, b in [
        (ours.classes_, theirs.classes_),
        (ours.predict(X_new), theirs.predict(X_new)),
        (ours.predict_proba(X_new), theirs.predict_proba(X_new)),
    ]:
        assert a.dtype == b.dtype and np.array_equal(a, b)
    tie = REGISTRY["majority"].build({}).fit(X_new.iloc[:4], ["support", "fact"] * 2)
    assert list(tie.predict(X_new.iloc[:1])) == ["fact"]


def _same_matrix(a, b) -> None:
    from scipy import sparse

    assert sparse.issparse(a) == sparse.issparse(b) and a.dtype == b.dtype and a.shape == b.shape
    if sparse.issparse(a):
        assert a.format == b.format == "csr"
        a, b = a.toarray(), b.toarray()
    assert a.tobytes() == b.tobytes()


def _lengths(texts):
    """A part's output that is a data frame of integers, not an array (a stack checks and
    converts it)."""
    return pd.DataFrame({"chars": texts.str.len(), "words": texts.str.count(" ") + 1})


def _lengths_names(transformer, input_features):
    return np.array(["chars", "words"], dtype=object)


@pytest.mark.parametrize("seed", range(12))
def test_columns_stacks_what_column_transformer_stacks(seed):
    """``Columns`` (the builtin models' feature stack) gives ColumnTransformer's matrices
    byte for byte: sparse or dense as ColumnTransformer decides (small vocabularies make
    dense stacks), its dtypes, the weights, new rows and unseen targets, feature names,
    and a part that outputs a data frame."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    from bench.models.columns import Columns
    from bench.models.cues import CueFeatures

    rng = np.random.default_rng(seed)
    letters = list("abcdefghijklmnop")
    words = ["".join(rng.choice(letters, int(rng.integers(3, 9)))) for _ in range(80)]
    vocab = words[: int(rng.integers(2, 81))]  # few words: dense stacks, many: sparse
    n = int(rng.integers(3, 30))
    frame = pd.DataFrame(
        {
            "text": [" ".join(rng.choice(vocab, int(rng.integers(1, 12)))) for _ in range(n + 5)],
            "target": rng.choice(["plan", "talks", "deal"], n + 5),
        }
    )
    fit, new = frame.iloc[:n], frame.iloc[n:].assign(target="unseen")
    parts = [
        ("word", TfidfVectorizer(sublinear_tf=True, dtype=np.float32), "text"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), "text"),
        ("cues", CueFeatures(), "text"),
        ("target", OneHotEncoder(handle_unknown="ignore"), ["target"]),
        ("lengths", FunctionTransformer(_lengths, feature_names_out=_lengths_names), "text"),
    ]
    parts = [p for p in parts if rng.random() < 0.7] or parts[:1]
    weights = {p[0]: float(rng.choice([0.5, 1.0, 3.0])) for p in parts if rng.random() < 0.5}
    ours = Columns(parts, transformer_weights=weights)
    theirs = ColumnTransformer(parts, transformer_weights=weights)
    _same_matrix(ours.fit_transform(fit), theirs.fit_transform(fit))
    assert ours.sparse_output_ == theirs.sparse_output_
    _same_matrix(ours.transform(new), theirs.transform(new))
    _same_matrix(clone(ours).fit(fit).transform(fit), theirs.transform(fit))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


# ----------------------------------------------------------------------- model faults (D)
PLUGIN = """
from sklearn.dummy import DummyClassifier

def good(*, strategy: str = "most_frequent"):
    return DummyClassifier(strategy=strategy)

def broken():
    raise RuntimeError("no GPU here")

def not_an_estimator():
    return 42
"""


@pytest.fixture
def plugin_folder(tmp_path, monkeypatch):
    import sys

    name = f"plugin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(PLUGIN, encoding="utf-8")
    (tmp_path / f"{name}_bad.py").write_text("raise ValueError('bad import')\n", encoding="utf-8")
    before = list(sys.path)
    yield tmp_path, name
    assert sys.path == before, "resolve must leave sys.path as it found it"
    for mod in (name, f"{name}_bad"):
        sys.modules.pop(mod, None)


def test_plugin_found_in_the_config_folder(plugin_folder):
    folder, name = plugin_folder
    spec = resolve(f"{name}:good", where="'name' in [model] of a.toml", search_path=folder)
    beside = (folder / f"{name}.py").resolve(), (folder / f"{name}_bad.py").resolve()
    assert spec.source_files({}) == tuple(sorted(beside))  # the modules beside it count too
    assert spec.check_params({"strategy": "prior"}, "a.toml") == {"strategy": "prior"}
    assert list(spec.build({}).fit(X, y).predict(X.iloc[:2])) == ["condemn", "condemn"]


def test_plugin_faults_are_one_line_model_errors(plugin_folder):
    folder, name = plugin_folder
    where = "'name' in [model] of a.toml"
    with pytest.raises(ModelError, match=r"must be importable from the environment\)"):
        resolve(f"{name}:good", where=where)  # not on the path without the config's folder
    elsewhere = folder / "elsewhere"
    with pytest.raises(ModelError, match=r"or from the config's folder .*elsewhere\)$"):
        resolve(f"{name}:good", where=where, search_path=elsewhere)
    with pytest.raises(ModelError, match=r"^'name' in \[model\] of a.toml: importing .*ValueError"):
        resolve(f"{name}_bad:f", where=where, search_path=folder)
    spec = resolve(f"{name}:broken", where=where, search_path=folder)
    with pytest.raises(ModelError, match=r"a.toml: model .*broken' could not be built .*no GPU"):
        spec.build({})
    spec = resolve(f"{name}:not_an_estimator", where=where, search_path=folder)
    with pytest.raises(ModelError, match=r"returned 42 \(int\), not an estimator with fit and"):
        spec.build({})
    for err in ("no GPU", "42"):
        assert "\n" not in err


BUILD = "from sklearn.dummy import DummyClassifier\n\ndef build():\n    return {}\n"


def _plugin(folder: Path, module: str, strategy: str, *, helper: str | None = None) -> None:
    """``module.build`` in ``folder`` returns a DummyClassifier of ``strategy`` (taken from a
    sibling module ``helper`` when given)."""
    folder.mkdir(exist_ok=True)
    if helper is None:
        body = BUILD.format(f"DummyClassifier(strategy={strategy!r})")
    else:
        (folder / f"{helper}.py").write_text(f"STRATEGY = {strategy!r}\n")
        body = f"from {helper} import STRATEGY\n" + BUILD.format(
            "DummyClassifier(strategy=STRATEGY)"
        )
    (folder / f"{module}.py").write_text(body)


@pytest.fixture
def names(tmp_path):
    """Module names unique to the test, dropped from sys.modules afterwards."""
    import sys

    tag = tmp_path.name.replace("-", "_")
    yield f"plug_{tag}", f"helpers_{tag}"
    for name in [m for m in sys.modules if m.endswith(tag)]:
        del sys.modules[name]


def _strategy(name: str, folder: Path) -> str:
    return resolve(f"{name}:build", search_path=folder).build({}).strategy


def test_a_plugin_is_never_a_stale_or_foreign_module(tmp_path, names):
    # a long-lived process (a Dask worker, a test session) resolves plug-ins of one name
    # from two config folders, and after edits: each time the folder's current source
    plug, helpers = names
    _plugin(tmp_path / "a", plug, "most_frequent", helper=helpers)
    _plugin(tmp_path / "b", plug, "prior", helper=helpers)
    a, b = tmp_path / "a", tmp_path / "b"
    assert [_strategy(plug, a), _strategy(plug, b), _strategy(plug, a)] == [
        "most_frequent",
        "prior",
        "most_frequent",
    ]
    assert resolve(f"{plug}:build", search_path=a).source_files({}) == (
        (a / f"{helpers}.py").resolve(),
        (a / f"{plug}.py").resolve(),
    )  # an edit of the sibling module makes a run stale too
    (a / f"{helpers}.py").write_text("STRATEGY = 'uniform'\n")
    assert _strategy(plug, a) == "uniform"  # the sibling module was edited
    (tmp_path / "c").mkdir()
    with pytest.raises(ModelError, match=r"cannot import 'plug_.*': no such module"):
        resolve(f"{plug}:build", search_path=tmp_path / "c")  # not another folder's


def test_a_same_size_edit_within_a_second_is_not_hidden_by_bytecode(tmp_path, names, monkeypatch):
    import os
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as on a user's machine
    plug, _ = names
    _plugin(tmp_path, plug, "prior")
    stamp = (tmp_path / f"{plug}.py").stat().st_mtime_ns
    assert _strategy(plug, tmp_path) == "prior"
    _plugin(tmp_path, plug, "fifty")  # as long as "prior"; same mtime: the .pyc looks valid
    os.utime(tmp_path / f"{plug}.py", ns=(stamp, stamp))
    assert _strategy(plug, tmp_path) == "fifty"


def test_plugins_resolve_safely_from_many_threads(tmp_path, names):
    # a Dask worker fits folds in several threads; a slow plug-in import (a heavy library)
    # must not be dropped half-way by another thread
    from concurrent.futures import ThreadPoolExecutor

    plug, _ = names
    _plugin(tmp_path, plug, "prior")
    source = (tmp_path / f"{plug}.py").read_text()
    (tmp_path / f"{plug}.py").write_text("import time\ntime.sleep(0.3)\n" + source)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: _strategy(plug, tmp_path), range(4)))
    assert got == ["prior"] * 4


def test_a_plugin_named_like_an_imported_module_is_an_error(tmp_path):
    (tmp_path / "json.py").write_text("def build():\n    return None\n")
    with pytest.raises(ModelError) as err:
        resolve("json:build", where="[model] of a.toml", search_path=tmp_path)
    assert str(err.value).startswith(
        f"[model] of a.toml: plug-in module 'json' in {tmp_path.resolve()} has the name of a "
        "module already imported from "
    )
    assert str(err.value).endswith("; rename the plug-in file")
    import json

    assert callable(json.dumps)  # the environment's module is untouched


# ------------------------------------------------------------- labels unseen in training (B)
def test_factories_that_take_labels_predict_labels_unseen_in_training():
    seen = y != "skeptical"
    for name in ("cue_lexicon", "cue_logreg"):
        est = REGISTRY[name].build({}, random_state=0, labels=TASK_LABELS).fit(X[seen], y[seen])
        assert set(est.classes_) == set(TASK_LABELS)
        assert list(est.predict(X[~seen])) == ["skeptical"] * 3, name
        blind = REGISTRY[name].build({}, random_state=0).fit(X[seen], y[seen])
        assert "skeptical" not in set(blind.predict(X[~seen]))


def test_an_interval_holds_no_inf_or_nan():
    """A plug-in's parameters set from Python (not TOML) meet the same rule: an unbounded
    side means any finite number."""
    from bench.constraints import Interval

    above = Interval(low=0.0, closed="neither")
    assert above.accepts(1e300) and not above.accepts(float("inf"))
    assert not Interval().accepts(float("nan")) and not Interval().accepts(float("-inf"))


def test_an_interval_takes_an_integer_of_any_size():
    """math.isfinite(10**400) raises OverflowError: only floats are tested for inf."""
    from bench.constraints import Interval

    assert Interval(low=0, integer=True).accepts(10**400)
    assert not Interval(high=5).accepts(10**400)
