"""Sweeps: a [sweep] table expands into normal runs; honest inner-CV selection; summary."""

from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.config import load_configs
from bench.errors import ConfigError
from tests.conftest import write_base_config


def _sweep(tmp_path, derived_dir, body: str):
    write_base_config(tmp_path / "_base.toml", derived_dir)
    path = tmp_path / "sw.toml"
    path.write_text(
        'extends = "_base.toml"\n[protocol]\nn_repeats = 1\n[model]\nname = "tfidf_cnb"\n' + body
    )
    return path


def test_a_sweep_expands_into_named_runs(tmp_path, derived_dir):
    path = _sweep(
        tmp_path, derived_dir, '[sweep]\n"model.alpha" = [0.1, 1.0]\n"model.min_df" = [1, 2]\n'
    )
    configs = load_configs([path])
    assert [c.name for c in configs] == [
        "sw.alpha-0.1.min_df-1",
        "sw.alpha-0.1.min_df-2",
        "sw.alpha-1.0.min_df-1",
        "sw.alpha-1.0.min_df-2",
    ]
    assert dict(configs[1].model.params) == {"alpha": 0.1, "min_df": 2}
    assert configs[1].sweep.setting == (("model.alpha", 0.1), ("model.min_df", 2))


@pytest.mark.parametrize(
    "body, message",
    [
        ('[sweep]\n"model.alpha" = []\n', "must be a non-empty list"),
        ("[sweep]\nalpha = [1.0]\n", "must name a key as section.key"),
        ('[sweep]\n"model.alpha" = [-1.0]\n', "'alpha' in [model]"),
        ('[sweep]\n"protocol.n_splits" = [1]\n', "'n_splits' in [protocol]"),
        ('[sweep]\n"model.alpha" = [1.0]\nselect = "inner-cv"\n', "did you mean"),
        ('[sweep]\nselect = "inner_cv"\n', "sweeps nothing"),
    ],
)
def test_bad_sweeps_name_the_key(tmp_path, derived_dir, body, message):
    with pytest.raises(ConfigError, match=None) as err:
        load_configs([_sweep(tmp_path, derived_dir, body)])
    assert message in str(err.value)


@pytest.mark.slow
def test_sweep_runs_summary_and_inner_cv_selection(tmp_path, derived_dir, capsys):
    path = _sweep(
        tmp_path, derived_dir, '[sweep]\n"model.alpha" = [0.01, 1.0]\nselect = "inner_cv"\n'
    )
    out = tmp_path / "runs"
    assert main(["run", "-q", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sweep sw: best" in printed
    names = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert names == ["sw.alpha-0.01", "sw.alpha-1.0", "sw.inner_cv"]
    summary = (out / "sw.sweep.md").read_text()
    assert "◀ best" in summary and "Honest selection" in summary and "inner_cv chose" in summary
    html = (out / "sw.sweep.html").read_text()
    assert "<svg" in html and "alpha" in html
    folds = json.loads((out / "sw.inner_cv" / "metrics.json").read_text())["per_fold"]
    assert all(f["selected"]["alpha"] in (0.01, 1.0) for f in folds)
    # sweep runs are ordinary runs: the leaderboard and compare take them
    capsys.readouterr()
    assert main(["compare", str(out / "sw.alpha-0.01"), str(out / "sw.alpha-1.0")]) in (0, 1)
    assert "sw.alpha-0.01 → sw.alpha-1.0" in capsys.readouterr().out


def test_inner_cv_selects_with_the_configs_metric_and_f_avg_labels(tmp_path, derived_dir):
    path = _sweep(
        tmp_path,
        derived_dir,
        '[metrics]\nprimary = "f_avg"\n[sweep]\n"model.alpha" = [0.1, 1.0]\nselect = "inner_cv"\n',
    )
    selected = load_configs([path])[-1]
    params = dict(selected.model.params)
    assert selected.name == "sw.inner_cv" and params["metric"] == "f_avg"
    assert params["f_avg_labels"] == ["support", "condemn"]  # the joint task's default
    assert params["grid"] == [{"alpha": 0.1}, {"alpha": 1.0}]


# --- inner_cv selects on the criterion that ranks ------------------------------------------
def _shortcut_frame():
    """Each target has one label, and target words mislead across targets ("north tram"
    support, "north bus" and "south tram" condemn): in-target folds reward reading the
    target, held-out targets punish it."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    targets = {
        "north tram": "support",
        "north bus": "condemn",
        "south tram": "condemn",
        "south bus": "support",
        "west tram": "support",
        "west bus": "condemn",
        "east tram": "condemn",
        "east bus": "support",
    }
    cue = {"support": ["praised", "backed", "hailed"], "condemn": ["decried", "attacked"]}
    filler = [
        "the",
        "council",
        "said",
        "on",
        "monday",
        "that",
        "the",
        "plan",
        "would",
        "be",
        "reviewed",
        "next",
        "year",
    ]
    rows = []
    for target, label in targets.items():
        for i in range(6):
            words = list(rng.choice(filler, 6))
            if rng.random() < 0.6:
                words.insert(2, str(rng.choice(cue[label])))
            rows.append(
                {
                    "text": " ".join(words),
                    "target": target,
                    "group": f"{target}#{i}",
                    "label": label,
                }
            )
    frame = pd.DataFrame(rows)
    return frame[["text", "target", "group"]], frame["label"].to_numpy()


def test_inner_cv_selects_on_held_out_targets_by_default_not_on_the_target_shortcut():
    from bench.models.selection import InnerCVSelect

    X, y = _shortcut_frame()
    grid = [{"target_aware": False}, {"target_aware": True}]

    def select(**kw):
        return InnerCVSelect(
            model="tfidf_logreg", grid=grid, labels=("support", "condemn"), random_state=1, **kw
        ).fit(X, y)

    by_default, on_cv = select(), select(inner_group_by="group")
    assert by_default.inner_folds_ == "target" and on_cv.inner_folds_ == "group"
    assert on_cv.best_setting_ == {"target_aware": True}  # in-target folds: the shortcut wins
    assert on_cv.inner_scores_[1] == 1.0
    assert by_default.best_setting_ == {"target_aware": False}  # unseen targets: it loses
    assert by_default.inner_scores_[1] < by_default.inner_scores_[0]


def test_inner_cv_scores_are_leave_one_target_out_scores_on_a_fixture_article(tmp_path):
    """On a fixture article: each setting's inner score is the pooled macro-F1 of
    leave-one-target-out folds of the training data, as scikit-learn computes it."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import f1_score
    from sklearn.model_selection import LeaveOneGroupOut

    from bench.corpus import derive
    from bench.models import resolve
    from bench.models.selection import InnerCVSelect
    from tests.conftest import TRAM, fixture_seeds

    records = pd.DataFrame(derive.derive(fixture_seeds(tmp_path / "s", TRAM)).records)
    X = pd.DataFrame(
        {"text": records["sentence"], "target": records["target"], "group": records["group"]}
    )
    y = records["label"].to_numpy()
    labels = ("support", "condemn", "skeptical", "fact")
    grid = [{"C": 0.1}, {"C": 10.0}]
    m = InnerCVSelect(model="tfidf_logreg", grid=grid, labels=labels, random_state=3).fit(X, y)
    expected = []
    for setting in grid:
        gold, pred = [], []
        for train, test in LeaveOneGroupOut().split(X, y, X["target"]):
            est = resolve("tfidf_logreg").build(setting, 0, labels).fit(X.iloc[train], y[train])
            gold += list(y[test])
            pred += list(est.predict(X.iloc[test]))
        expected.append(f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0))
    assert m.inner_scores_ == pytest.approx(expected)
    assert m.best_setting_ == grid[int(np.argmax(expected))]


def test_select_on_is_checked_and_reaches_the_selecting_model(tmp_path):
    from bench.config.load import load_runs

    base = '[model]\nname = "tfidf_logreg"\n[sweep]\n"model.C" = [0.1, 1.0]\nselect = "inner_cv"\n'
    (tmp_path / "a.toml").write_text(base, encoding="utf-8")
    selected = load_runs(tmp_path / "a.toml")[-1]
    assert dict(selected.model.params)["inner_group_by"] == "target"
    assert selected.sweep is not None and selected.sweep.select_on == "cross_target"
    (tmp_path / "b.toml").write_text(base + 'select_on = "cv"\n', encoding="utf-8")
    assert dict(load_runs(tmp_path / "b.toml")[-1].model.params)["inner_group_by"] == "group"
    (tmp_path / "c.toml").write_text(base + 'select_on = "contrast"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'select_on' in \\[sweep\\].*'cross_target', 'cv'"):
        load_runs(tmp_path / "c.toml")


def test_a_sweep_over_dataset_keys_sets_them_as_their_table_would(tmp_path):
    """``dataset.path`` is made absolute against the config's folder (and means a file),
    a ``dataset.columns`` table is read as in ``[dataset]``: both once crashed."""
    import pandas as pd

    labels = ["support", "condemn", "fact"] * 8
    rows = pd.DataFrame(
        {
            "rid": [f"r{i}" for i in range(24)],
            "text": [f"Person {i} says {lab} things." for i, lab in enumerate(labels)],
            "target": ["plan"] * 24,
            "label": labels,
        }
    )
    (tmp_path / "data").mkdir()
    rows.to_csv(tmp_path / "data" / "a.csv", index=False)
    rows.iloc[:18].to_csv(tmp_path / "data" / "b.csv", index=False)
    path = tmp_path / "sw.toml"
    path.write_text(
        '[model]\nname = "majority"\n[protocol]\nn_splits = 3\nn_repeats = 1\n'
        '[dataset]\ncolumns = { id = "rid" }\n'
        '[sweep]\n"dataset.path" = ["data/a.csv", "data/b.csv"]\n'
    )
    configs = load_configs([path])
    assert [c.dataset.path for c in configs] == [
        (tmp_path / "data" / "a.csv",),
        (tmp_path / "data" / "b.csv",),
    ]
    assert {c.dataset.source for c in configs} == {"file"}
    out = tmp_path / "runs"
    assert main(["run", "-q", str(path), "--out", str(out)]) == 0
    sizes = [json.loads((out / f"sw.path-data_{x}.csv" / "metrics.json").read_text()) for x in "ab"]
    assert [m["n_examples"] for m in sizes] == [24, 18]
    cols = tmp_path / "cols.toml"
    cols.write_text(
        '[model]\nname = "majority"\n[dataset]\npath = "data/a.csv"\n'
        '[sweep]\n"dataset.columns" = [{ id = "rid" }, { id = "rid", group = "target" }]\n'
    )
    assert [dict(c.dataset.columns) for c in load_configs([cols])] == [
        {"id": "rid"},
        {"id": "rid", "group": "target"},
    ]


def test_a_swept_path_replaces_an_inherited_seed_dataset_and_bad_values_name_the_sweep(
    tmp_path,
):
    (tmp_path / "a.csv").write_text("id,text,target,label\na,x,t,fact\nb,y,t,support\n")
    path = tmp_path / "sw.toml"
    path.write_text(
        'extends = "stance-bench:defaults"\n[model]\nname = "majority"\n'
        "[views]\ncontrast = false\n"
        '[sweep]\n"dataset.path" = ["a.csv"]\n"protocol.n_splits" = [2]\n'
    )
    (cfg,) = load_configs([path])
    assert cfg.dataset.source == "file" and cfg.dataset.path == (tmp_path / "a.csv",)
    path.write_text(
        '[model]\nname = "majority"\n[dataset]\npath = "a.csv"\n'
        '[sweep]\n"dataset.format" = ["csv", "xls"]\n'
    )
    with pytest.raises(ConfigError, match=r"\[sweep\] of .*sw.toml, 'dataset.format' = 'xls': "):
        load_configs([path])


def test_a_settings_errors_name_the_setting_and_an_inherited_sweep_its_own_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[model]\nname = "tfidf_logreg"\n[sweep]\n"model.C" = [1, -1]\n')
    with pytest.raises(ConfigError) as err:
        load_configs([path])
    assert str(err.value).startswith(f"[sweep] of {path}, 'model.C' = -1: 'C' in [model]")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.csv").write_text("id,text,target,label\na,x,t,fact\nb,y,t,support\n")
    (sub / "_base.toml").write_text(
        '[model]\nname = "majority"\n[dataset]\npath = "a.csv"\n'
        '[sweep]\n"dataset.path" = ["a.csv"]\n'
    )
    top = tmp_path / "top.toml"
    top.write_text('extends = "sub/_base.toml"\n')
    (cfg,) = load_configs([top])
    assert cfg.dataset.path == (sub / "a.csv",)


def test_sweep_run_names_spell_lists_and_empty_values(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[model]\nname = "tfidf_svm"\n[sweep]\n"model.char_ngrams" = [[2, 5], []]\n'
        '"model.class_weight" = ["balanced", ""]\n'
    )
    assert [c.name for c in load_configs([path])] == [
        "s.char_ngrams-2_5.class_weight-balanced",
        "s.char_ngrams-2_5.class_weight-none",
        "s.char_ngrams-none.class_weight-balanced",
        "s.char_ngrams-none.class_weight-none",
    ]


def test_a_sweep_summary_shows_a_one_view_rank_score_once(tmp_path):
    import pandas as pd

    labels = ["support", "condemn", "fact"] * 12
    targets = ["tax", "rail", "port", "park"] * 9
    words = {"support": "backs", "condemn": "denounces", "fact": "reported"}
    pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(36)],
            "text": [
                f"Mayor {i} {words[lab]} the {t} plan"
                for i, (lab, t) in enumerate(zip(labels, targets, strict=True))
            ],
            "target": targets,
            "label": labels,
        }
    ).to_csv(tmp_path / "d.csv", index=False)
    path = tmp_path / "s.toml"
    path.write_text(
        '[model]\nname = "tfidf_cnb"\n[dataset]\npath = "d.csv"\n'
        "[protocol]\nn_splits = 3\nn_repeats = 1\n[views]\ncross_target = true\n"
        '[sweep]\n"model.alpha" = [0.1, 1.0]\n'
    )
    assert main(["run", "-q", str(path), "--out", str(tmp_path / "runs")]) == 0
    summary = (tmp_path / "runs" / "s.sweep.md").read_text()
    header = next(line for line in summary.splitlines() if line.startswith("| setting"))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert "cross\\_target macro-F1" in cells and "cross\\_target" not in cells
