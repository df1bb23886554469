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
