"""The run folder (bench.runs): atomic, locked writes; modes; validation on load; reuse."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import stat

import numpy as np
import pytest

from bench.cli import main
from bench.errors import RunError
from bench.runs import RUN_FILES, find_runs, load_run, write_run
from tests.conftest import write_base_config
from tests.runs import noisy
from tests.runs import write_run as write_known_run

FILES = {name: f"{name}\n" for name in RUN_FILES}


def _writer(args):
    folder, n = args
    for i in range(n):
        write_run(folder / "same", {**FILES, "metrics.json": json.dumps({"i": i}) + "\n"})
    return n


def test_concurrent_writers_into_one_folder_never_collide(tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        done = pool.map(_writer, [(tmp_path, 150), (tmp_path, 150)])
    assert done == [150, 150]
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == sorted(RUN_FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".same.")]


def test_outputs_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_run(tmp_path / "r", FILES)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "r" / "metrics.json").stat().st_mode) == 0o644


def test_a_folder_the_tool_did_not_write_is_never_replaced(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(RunError, match="not a run folder"):
        write_run(mine, FILES)
    assert (mine / "notes.txt").read_text() == "precious"


def test_stale_staging_folders_are_ignored_and_then_removed(tmp_path):
    gold = np.arange(40) % 4
    runs = tmp_path / "runs"
    real = write_known_run(runs, "m", gold, noisy(gold, 0.8, 1))
    stale = runs / ".m.abc123.partial"
    stale.mkdir()
    (stale / "metrics.json").write_text((real / "metrics.json").read_text())
    assert find_runs([runs]) == [real]  # a killed run's staging folder is not a run
    write_known_run(tmp_path / "other", "m", gold, noisy(gold, 0.7, 2))
    write_run(runs / "m", {**FILES})  # the next write of m removes its stale staging
    assert not stale.exists()


def test_a_cut_or_edited_run_is_refused_on_load(tmp_path):
    gold = np.arange(125) % 4
    run = write_known_run(tmp_path, "m", gold, noisy(gold, 0.8, 1))
    lines = (run / "predictions.jsonl").read_text().splitlines(keepends=True)
    (run / "predictions.jsonl").write_text("".join(lines[:60]))
    with pytest.raises(RunError, match=r"predictions.jsonl \(60 lines\) does not match"):
        load_run(run)
    (run / "metrics.json").write_text("{}")
    with pytest.raises(RunError, match="metrics.json lacks config"):
        load_run(run)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(confusion_matrix=[[1]]), "'confusion_matrix' is not 4 x 4"),
        (lambda d: d.update(labels=[*d["labels"], "zzz"]), "must be distinct labels of the task"),
        (lambda d: d.update(per_class={}), "'per_class' has []"),
        (lambda d: d.update(f_avg_labels=["zzz"]), "'f_avg_labels' ['zzz'] are not all in"),
        (lambda d: d.update(primary="bogus"), "'primary' is 'bogus'"),
        (lambda d: d.update(view="bogus"), "the view 'bogus' is not one of"),
        (lambda d: d.update(per_target={"x": {"n_predictions": 3}}), "'macro_f1' is missing"),
        (lambda d: d["ci"].update(macro_f1=[0.5]), "'ci' 'macro_f1' must be [low, high]"),
        (lambda d: d["per_fold"][0].update(test_support=[1]), "'test_support' has not one count"),
    ],
)
def test_a_self_contradicting_metrics_json_is_refused_even_with_a_valid_digest(
    tmp_path, edit, message
):
    """The digest catches an edit, not an editor who recomputes it: ``report`` indexed
    the confusion matrix and per-class table by ``labels`` and crashed."""
    from bench.runs import DIGEST, metrics_digest

    gold = np.arange(40) % 4
    run = write_known_run(tmp_path, "m", gold, noisy(gold, 0.8, 1))
    doc = json.loads((run / "metrics.json").read_text())
    edit(doc)
    doc[DIGEST] = metrics_digest(doc)
    (run / "metrics.json").write_text(json.dumps(doc))
    with pytest.raises(RunError, match=re.escape(message)):
        load_run(run, verify=False)


@pytest.mark.slow
def test_reuse_is_invalidated_by_plugin_and_lexicon_edits_and_corruption(
    tmp_path, derived_dir, capsys
):
    write_base_config(tmp_path / "_base.toml", derived_dir)
    (tmp_path / "plug.py").write_text(
        "from sklearn.dummy import DummyClassifier\n\n"
        "def build():\n    return DummyClassifier(strategy='most_frequent')\n"
    )
    (tmp_path / "p.toml").write_text('extends = "_base.toml"\n[model]\nname = "plug:build"\n')
    out = tmp_path / "runs"

    def run() -> str:
        assert main(["run", "-q", str(tmp_path / "p.toml"), "--out", str(out)]) == 0
        return capsys.readouterr().out

    assert "(0 unchanged, reused)" in run()
    assert "(1 unchanged, reused)" in run()
    (tmp_path / "plug.py").write_text(
        (tmp_path / "plug.py").read_text().replace("most_frequent", "prior")
    )
    assert "(0 unchanged, reused)" in run()  # the plug-in's file changed
    (tmp_path / "plughelp.py").write_text("STRATEGY = 'prior'\n")
    (tmp_path / "plug.py").write_text(
        "from plughelp import STRATEGY\nfrom sklearn.dummy import DummyClassifier\n\n"
        "def build():\n    return DummyClassifier(strategy=STRATEGY)\n"
    )
    assert "(0 unchanged, reused)" in run()
    assert "(1 unchanged, reused)" in run()
    (tmp_path / "plughelp.py").write_text("STRATEGY = 'most_frequent'\n")
    assert "(0 unchanged, reused)" in run()  # a module the plug-in imports changed
    (out / "p" / "metrics.json").write_text("{ not json")
    assert "(0 unchanged, reused)" in run()  # a corrupt run is re-run, not a crash
    assert json.loads((out / "p" / "metrics.json").read_text())["config"] == "p"
