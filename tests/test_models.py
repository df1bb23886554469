from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from bench.errors import ModelError
from bench.models import REGISTRY, register, resolve

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


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registered_model_follows_the_estimator_contract(name):
    spec = REGISTRY[name]
    est = spec.build({}, random_state=0)
    params = est.get_params()
    twin = clone(est)
    assert twin.get_params().keys() == params.keys()
    with pytest.raises(NotFittedError):
        twin.predict(X)
    est.fit(X, y)
    assert set(est.classes_) <= set(y)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(y)
    again = spec.build({}, random_state=0).fit(X, y).predict(X)
    assert list(pred) == list(again), "same random_state must give the same predictions"
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        assert proba.shape == (len(X), len(est.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["tfidf_logreg", "tfidf_svm", "tfidf_cnb"])
def test_text_models_learn_the_training_data(name):
    est = REGISTRY[name].build({}, random_state=0).fit(X, y)
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
    assert resolve("bench.models:tfidf_svm").factory is REGISTRY["tfidf_svm"].factory
    with pytest.raises(ModelError, match="cannot import 'no_such_module'"):
        resolve("no_such_module:f")
    with pytest.raises(ModelError, match="has no callable 'nope'"):
        resolve("bench.models:nope")
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
