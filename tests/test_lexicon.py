from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from bench.models.cues import CueFeatures, CueLexiconClassifier, CueLogisticClassifier
from bench.models.lexicon import Lexicon, to_task

LEX = """default = "fact"
[cues]
support = ["support", "calls for"]
condemn = ["condemn"]
[negation]
words = ["not"]
window = 2
[negation.flip]
support = "condemn"
condemn = ""
"""
ROWS = pd.DataFrame(
    {
        "text": [
            "They support it and support it again.",
            "They do not support it.",
            "They condemn it.",
            "They did not condemn it.",
            "It rained.",
            "He calls for talks and they condemn it.",
        ],
        "target": ["talks"] * 6,
    }
)


@pytest.fixture
def lexicon_file(tmp_path):
    path = tmp_path / "cues.toml"
    path.write_text(LEX, encoding="utf-8")
    return str(path)


def test_matches_and_rule_labels(lexicon_file):
    lex = Lexicon.load(lexicon_file)
    assert lex.matches(ROWS.text[1]) == [("support", True)]
    assert lex.matches(ROWS.text[3]) == [("condemn", True)]
    rules = [lex.rule_label(t) for t in ROWS.text]
    assert rules == ["support", "condemn", "condemn", "fact", "fact", "condemn"]  # tie: c < s


def test_a_lexicon_file_is_compiled_once_per_content(lexicon_file):
    from pathlib import Path

    from bench.errors import ModelError

    first = Lexicon.load(lexicon_file)
    assert Lexicon.load(lexicon_file) is first  # every fold's fit reads the same file
    path = Path(lexicon_file)
    path.write_text(LEX.replace('"calls for"', '"urges"'), encoding="utf-8")
    edited = Lexicon.load(lexicon_file)
    assert edited is not first
    assert edited.matches("He urges talks.") == [("support", False)]
    assert edited.matches("He calls for talks.") == []
    path.write_bytes(b'default = "\xff"\n')
    with pytest.raises(ModelError, match="cannot read the cue lexicon"):
        Lexicon.load(lexicon_file)
    path.unlink()
    with pytest.raises(ModelError, match="cannot read the cue lexicon"):
        Lexicon.load(lexicon_file)


def test_to_task():
    assert to_task("support", ["support", "fact"]) == "support"
    assert to_task("condemn", ["stance", "fact"]) == "stance"
    assert to_task("fact", ["stance", "fact"]) == "fact"
    assert to_task("fact", ["support", "condemn"]) is None


def test_cue_features_count_plain_and_negated_cues_and_one_hot_the_rule(lexicon_file):
    feats = CueFeatures(lexicon=lexicon_file).fit(ROWS)
    names = list(feats.get_feature_names_out())
    assert names == [
        "condemn_cue", "condemn_negated", "support_cue", "support_negated",
        "rule_condemn", "rule_support", "rule_fact",
    ]  # fmt: skip
    out = feats.transform(ROWS)
    assert out.shape == (len(ROWS), len(names))
    np.testing.assert_allclose(out[0], [0, 0, np.log1p(2), 0, 0, 1, 0])
    np.testing.assert_allclose(out[1], [0, 0, 0, np.log1p(1), 1, 0, 0])
    np.testing.assert_allclose(out[4], [0, 0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(feats.transform(ROWS.text), out)  # a column or a frame


def test_cue_lexicon_classes_are_the_task_labels():
    y = np.array(["support", "fact"] * 3)
    est = CueLexiconClassifier(labels=("support", "condemn", "skeptical", "fact")).fit(ROWS, y)
    assert list(est.classes_) == ["condemn", "fact", "skeptical", "support"]
    assert list(est.predict(ROWS.iloc[[2]])) == ["condemn"]  # unseen in training
    unlabeled = CueLexiconClassifier().fit(ROWS, y)
    assert list(unlabeled.predict(ROWS.iloc[[2]])) == ["fact"]  # majority (tie: first sorted)


def test_cue_logreg_backs_off_to_the_rules_for_labels_unseen_in_training(lexicon_file):
    y = np.array(["support", "support", "fact", "fact", "fact", "fact"])
    labels = ("support", "condemn", "fact")
    est = CueLogisticClassifier(
        text_features="none", lexicon=lexicon_file, labels=labels, random_state=0
    ).fit(ROWS, y)
    assert list(est.classes_) == ["condemn", "fact", "support"]
    assert list(est.seen_) == ["fact", "support"]
    proba = est.predict_proba(ROWS)
    rules_condemn = [1, 2, 5]  # the rules say condemn, a label the regression never saw
    np.testing.assert_array_equal(proba[rules_condemn], [[1, 0, 0]] * 3)
    assert (proba[[0, 3, 4], 0] == 0).all()
    assert list(est.predict(ROWS)) == list(est.classes_[proba.argmax(axis=1)])
    assert clone(est).get_params() == est.get_params()


def test_cue_logreg_maps_rule_labels_to_a_fact_vs_stance_task(lexicon_file):
    y = np.array(["fact"] * 6)  # one label in training: no regression to fit
    est = CueLogisticClassifier(
        text_features="none", lexicon=lexicon_file, labels=("stance", "fact")
    ).fit(ROWS, y)
    assert list(est.predict(ROWS)) == ["stance", "stance", "stance", "fact", "fact", "stance"]


@pytest.mark.parametrize("features", ["tfidf", "embeddings"])
def test_cue_logreg_text_features(features, lexicon_file):
    y = np.array(["support", "condemn", "condemn", "fact", "fact", "condemn"])
    est = CueLogisticClassifier(
        text_features=features, target_aware=True, lexicon=lexicon_file, random_state=0
    ).fit(ROWS, y)
    assert (est.predict(ROWS) == y).mean() >= 0.8
