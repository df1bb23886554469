"""End to end: the real CLI entry point on configs written into a temp folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.runs import RUN_FILES
from tests.conftest import write_base_config


@pytest.fixture
def configs(tmp_path, derived_dir) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    for task in ("joint", "fact"):
        write_base_config(folder / f"_base_{task}.toml", derived_dir, task=task)
    models = {
        "majority": "",
        "cue_lexicon": "",
        "tfidf_svm": "C = 1.0",
        "tfidf_logreg": "target_aware = true",
    }
    for name, params in models.items():
        (folder / f"{name}.toml").write_text(
            f'extends = "_base_joint.toml"\n[model]\nname = "{name}"\n{params}\n', encoding="utf-8"
        )
    (folder / "svm_fact.toml").write_text(
        'extends = "_base_fact.toml"\n[model]\nname = "tfidf_svm"\n', encoding="utf-8"
    )
    return folder


def _run(*args) -> int:
    return main(["run", "-q", *map(str, args)])


def test_run_writes_complete_run_folders_and_a_leaderboard(configs, tmp_path, capsys):
    out = tmp_path / "runs"
    assert _run(configs, "--out", out) == 0
    printed = capsys.readouterr().out
    assert "macro-F1 cv [95% CI]" in printed and "tfidf_svm" in printed
    for name in ("majority", "cue_lexicon", "tfidf_svm", "tfidf_logreg", "svm_fact"):
        run = out / name
        assert all((run / f).is_file() for f in RUN_FILES), name
        m = json.loads((run / "metrics.json").read_text())
        assert m["config"] == name and m["n_predictions"] == 2 * m["n_examples"]
        preds = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
        assert len(preds) == m["n_predictions"]
        assert {"view", "id", "group", "fold", "repeat", "gold", "predicted"} <= set(preds[0])
        html = (run / "report.html").read_text()
        assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
        assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    fact = json.loads((out / "svm_fact" / "metrics.json").read_text())
    assert fact["labels"] == ["stance", "fact"]
    logreg = json.loads((out / "tfidf_logreg" / "metrics.json").read_text())
    assert "log_loss" in logreg["pooled"] and "log_loss" not in fact["pooled"]
    board = (out / "leaderboard.csv").read_text().splitlines()
    assert board[0].startswith("task,tier,config,model,metric,score") and len(board) == 6
    board_md = (out / "leaderboard.md").read_text()
    rows = [line for line in board_md.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 5 + 2  # a header per table: task fact, task joint
    assert board_md.count("### Task ") == 2 and "Rank score: the macro-F1 of cv." in board_md


def test_metrics_are_byte_identical_on_rerun_and_for_any_n_jobs(configs, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run(configs / "tfidf_svm.toml", configs / "cue_lexicon.toml", "--out", one) == 0
    first = {n: (one / n / "metrics.json").read_bytes() for n in ("tfidf_svm", "cue_lexicon")}
    assert (
        _run(configs / "tfidf_svm.toml", configs / "cue_lexicon.toml", "--out", one, "--force") == 0
    )
    assert (
        _run(
            configs / "tfidf_svm.toml", configs / "cue_lexicon.toml", "--out", two, "--n-jobs", "2"
        )
        == 0
    )
    for name, data in first.items():
        assert (one / name / "metrics.json").read_bytes() == data
        assert (two / name / "metrics.json").read_bytes() == data
        assert (two / name / "predictions.jsonl").read_bytes() == (
            one / name / "predictions.jsonl"
        ).read_bytes()


def test_unchanged_runs_are_reused_and_force_reruns(configs, tmp_path, capsys):
    out = tmp_path / "runs"
    assert _run(configs / "majority.toml", "--out", out) == 0
    stamp = (out / "majority" / "manifest.json").read_text()
    capsys.readouterr()
    assert _run(configs / "majority.toml", "--out", out) == 0
    assert "(1 unchanged, reused)" in capsys.readouterr().out
    assert (out / "majority" / "manifest.json").read_text() == stamp
    text = (configs / "majority.toml").read_text()
    (configs / "majority.toml").write_text(text + "\n[metrics]\nbootstrap = 100\n")
    assert _run(configs / "majority.toml", "--out", out) == 0
    assert "(0 unchanged, reused)" in capsys.readouterr().out


def test_saved_config_reruns_to_the_same_metrics(configs, tmp_path):
    out = tmp_path / "runs"
    assert _run(configs / "tfidf_svm.toml", "--out", out) == 0
    again = tmp_path / "again"
    assert _run(out / "tfidf_svm" / "config.toml", "--out", again) == 0
    assert (again / "tfidf_svm" / "metrics.json").read_bytes() == (
        out / "tfidf_svm" / "metrics.json"
    ).read_bytes()


def test_train_on_seed_test_on_csv(configs, tmp_path):
    csv = tmp_path / "other.csv"
    csv.write_text(
        "text,target,label\n"
        "The minister condemned the air strikes.,air strikes,AGAINST\n"
        '"Parliament backed the truce, calling it overdue.",truce,FAVOR\n'
        "Observers doubt the envoy can deliver.,envoy,SKEPTIC\n"
        "The talks were held in Geneva on Monday.,talks,NONE\n"
        "Protesters gathered downtown.,protest,NONE\n",
        encoding="utf-8",
    )
    (configs / "cross.toml").write_text(
        'extends = "_base_joint.toml"\n'
        '[model]\nname = "cue_lexicon"\n'
        '[protocol]\nkind = "split"\n'
        '[test]\npath = "../other.csv"\n'
        '[test.labels]\nAGAINST = "condemn"\nFAVOR = "support"\nSKEPTIC = "skeptical"\n'
        'NONE = "fact"\n',
        encoding="utf-8",
    )
    out = tmp_path / "runs"
    assert _run(configs / "cross.toml", "--out", out) == 0
    m = json.loads((out / "cross" / "metrics.json").read_text())
    assert m["n_examples"] == 5 and m["protocol"]["n_folds"] == 1
    assert m["pooled"]["accuracy"] == 1.0  # every row carries one clear cue
    preds = (out / "cross" / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(p)["id"] for p in preds] == [f"other-{i}" for i in range(5)]


def test_bad_inputs_exit_2_with_one_line(configs, tmp_path, capsys):
    (configs / "bad.toml").write_text('extends = "_base_joint.toml"\n[model]\nname = "svm"\n')
    assert _run(configs / "bad.toml", "--out", tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model 'svm'" in err
    (configs / "bad.toml").write_text(
        'extends = "_base_joint.toml"\n[protocol]\nn_splits = 5\n[model]\nname = "majority"\n'
    )
    assert _run(configs / "bad.toml", "--out", tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert "the largest n_splits that works is 3" in err
    assert not (tmp_path / "r" / "bad").exists()


def test_interrupted_run_leaves_no_run_folder(configs, tmp_path, monkeypatch):
    import bench.report.html as html

    out = tmp_path / "runs"

    def boom(data):
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render", boom)
    assert _run(configs / "majority.toml", "--out", out) == 130
    assert not (out / "majority").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".majority")]


def test_report_rerenders(configs, tmp_path, capsys):
    out = tmp_path / "runs"
    assert _run(configs / "majority.toml", "--out", out) == 0
    before = (out / "majority" / "report.md").read_text()
    (out / "majority" / "report.md").unlink()
    assert main(["report", str(out / "majority")]) == 0
    assert (out / "majority" / "report.md").read_text() == before
    assert main(["report", str(tmp_path)]) == 2


def test_python_dash_m_help_does_not_import_heavy_libraries():
    code = (
        "import sys, runpy; sys.argv = ['stance-bench', '--help']\n"
        "try:\n    runpy.run_module('bench', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'datasets', 'pandas', 'matplotlib', 'numpy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout and "derive" in done.stdout


def test_text_models_sharing_features_write_the_bytes_they_write_alone(configs, tmp_path):
    # text models share word and char n-grams fold by fold: the joint models on every fold,
    # the fact task's model with the joint one on the cross_target folds (the same rows),
    # a sweep's points all of them
    views = "\n[views]\ncross_target = true\n"
    for name, base in (("cross", "joint"), ("cross_fact", "fact")):
        (configs / f"{name}.toml").write_text(
            f'extends = "_base_{base}.toml"\n[model]\nname = "tfidf_svm"{views}',
            encoding="utf-8",
        )
    (configs / "sweep.toml").write_text(
        'extends = "_base_joint.toml"\n[model]\nname = "tfidf_svm"\n'
        '[sweep]\n"model.C" = [0.1, 10.0]\n',
        encoding="utf-8",
    )
    names = ["cross", "cross_fact", "tfidf_logreg", "sweep.C-0.1", "sweep.C-10.0"]
    files = [configs / f"{n}.toml" for n in ("cross", "cross_fact", "tfidf_logreg", "sweep")]
    for jobs in ("1", "2"):
        assert _run(*files, "--out", tmp_path / f"together{jobs}", "--n-jobs", jobs) == 0
    for path in files:
        assert _run(path, "--out", tmp_path / "alone", "--n-jobs", "1") == 0
    for name in names:
        for file in ("metrics.json", "predictions.jsonl"):
            alone = (tmp_path / "alone" / name / file).read_bytes()
            for jobs in ("1", "2"):
                assert (tmp_path / f"together{jobs}" / name / file).read_bytes() == alone, name


def test_text_model_fits_on_the_same_rows_form_one_task(configs):
    from bench.config import load_configs
    from bench.runner import _tasks, prepare

    names = ("tfidf_svm", "tfidf_logreg", "majority", "svm_fact")
    todo = [prepare(c) for c in load_configs([configs / f"{n}.toml" for n in names])]
    tasks, _ = _tasks(todo, n_jobs=1)
    assert sorted(o for t in tasks for o in t.owners) == sorted(
        (ci, vi, fi)
        for ci, p in enumerate(todo)
        for vi, v in enumerate(p.views)
        for fi in range(len(v.folds))
    )

    def rows(owner):  # what a fit reads: its training and test rows' text and target
        ci, vi, fi = owner
        plan = todo[ci].views[vi]
        fold = plan.folds[fi]
        cols = plan.frame[["text", "target"]]
        return (
            cols.iloc[fold.train].to_numpy().tolist(),
            cols.iloc[fold.test].to_numpy().tolist(),
        )

    text = {0, 1, 3}  # the configs of text models
    owners = [(o, k) for k, t in enumerate(tasks) for o in t.owners]
    for a, ka in owners:
        for b, kb in owners:
            if a < b:
                same = a[0] in text and b[0] in text and rows(a) == rows(b)
                assert (ka == kb) == same, (a, b)
    # the two joint text models share every fold
    assert sum(len(t.fits) == 2 for t in tasks) == len(todo[0].views[0].folds)
    for t in tasks:
        assert len(t.data) == 2 * len({(ci, vi) for ci, vi, _ in t.owners})
    # fewer tasks than processes: the largest is cut in two
    for p in todo[:2]:
        p.views[:] = p.views[:1]
        p.views[0].folds[:] = p.views[0].folds[:1]
    assert [len(t.fits) for t in _tasks(todo[:2], n_jobs=1)[0]] == [2]
    assert [len(t.fits) for t in _tasks(todo[:2], n_jobs=4)[0]] == [1, 1]


PLAIN_PLUGIN = """
import numpy as np


class First:
    def fit(self, X, y):
        self.classes_ = np.unique(np.asarray(y))
        return self

    def predict(self, X):
        return np.array([self.classes_[0]] * len(X), dtype=object)


def build():
    return First()
"""


def test_a_file_run_imports_only_what_its_model_uses(tmp_path):
    """A text model's run loads no hub, embedding or segmenter package; a plug-in that
    uses numpy only loads no scikit-learn either (one second of every run's start)."""
    rows = ["text,target,label"] + [
        f"Officials {verb} the {t} on day {i}.,{t},{label}"
        for i in range(12)
        for verb, label in (("welcomed", "support"), ("condemned", "condemn"))
        for t in ("truce", "tax")
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = '[dataset]\nsource = "file"\npath = "d.csv"\n[protocol]\nkind = "split"\n'
    (tmp_path / "c.toml").write_text(
        data + "[metrics]\nbootstrap = 100\n[views]\ncross_target = true\ncontrast = false\n"
        '[model]\nname = "tfidf_svm"\n',
        encoding="utf-8",
    )
    (tmp_path / "plain.py").write_text(PLAIN_PLUGIN, encoding="utf-8")
    (tmp_path / "p.toml").write_text(data + '[model]\nname = "plain:build"\n', encoding="utf-8")
    heavy = (
        "('sklearn', 'scipy.stats', 'datasets', 'wordllama', 'pysbd', 'huggingface_hub', 'dask')"
    )
    code = (
        "import sys\nfrom bench.cli import main\n"
        f"def loaded(): return sorted(m for m in {heavy} if m in sys.modules)\n"
        f"assert main(['run', '-q', {str(tmp_path / 'p.toml')!r}, '--n-jobs', '1', '--out', "
        f"{str(tmp_path / 'runs')!r}]) == 0\n"
        "print('PLUGIN', loaded())\n"
        f"assert main(['run', '-q', {str(tmp_path / 'c.toml')!r}, '--out', "
        f"{str(tmp_path / 'runs')!r}]) == 0\n"
        "print('TEXT', loaded())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "PLUGIN []" in done.stdout
    assert "TEXT ['scipy.stats', 'sklearn']" in done.stdout
    assert (tmp_path / "runs" / "c" / "metrics.json").is_file()
    assert (tmp_path / "runs" / "p" / "metrics.json").is_file()


def test_a_sweep_on_one_fold_cut_for_two_processes_writes_the_bytes_of_one(tmp_path, monkeypatch):
    # one fold, three points: one group cut in two, a half in a worker and a half here,
    # sharing the features through a temporary folder that the run removes
    import tempfile

    rows = ["text,target,label"] + [
        f"Officials {verb} the {t} on day {i}.,{t},{label}"
        for i in range(15)
        for verb, label in (("welcomed", "support"), ("condemned", "condemn"))
        for t in ("truce", "tax")
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        '[dataset]\nsource = "file"\npath = "d.csv"\n[protocol]\nkind = "split"\n'
        "[metrics]\nbootstrap = 100\n[views]\ncross_target = false\ncontrast = false\n"
        '[model]\nname = "tfidf_svm"\n[sweep]\n"model.C" = [0.1, 1.0, 10.0]\n',
        encoding="utf-8",
    )
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    for jobs in ("1", "2"):
        assert _run(tmp_path / "s.toml", "--out", tmp_path / f"j{jobs}", "--n-jobs", jobs) == 0
    assert list((tmp_path / "tmp").iterdir()) == []
    for c in ("0.1", "1.0", "10.0"):
        for file in ("metrics.json", "predictions.jsonl"):
            one = (tmp_path / "j1" / f"s.C-{c}" / file).read_bytes()
            assert (tmp_path / "j2" / f"s.C-{c}" / file).read_bytes() == one


@pytest.mark.parametrize(
    ("model", "params", "skipped"),
    [
        ("tfidf_svm", {"C": 1.0}, True),
        ("inner_cv", {"model": "tfidf_logreg"}, True),
        ("my_models:build", {}, False),
        ("inner_cv", {"model": "my_models:build"}, False),
        ("tfidf_ridge", {}, False),  # what a plug-in's @text_model("tfidf_ridge") registers
        ("inner_cv", {"model": "tfidf_ridge"}, False),
    ],
)
def test_scikit_learn_skips_its_parameter_checks_only_for_builtin_models(model, params, skipped):
    import sklearn

    from bench.runner import _lean_sklearn

    assert sklearn.get_config()["skip_parameter_validation"] is False
    with _lean_sklearn(model, params):
        assert sklearn.get_config()["skip_parameter_validation"] is skipped
        assert sklearn.get_config()["assume_finite"] is False
    assert sklearn.get_config()["skip_parameter_validation"] is False


PLUGIN_THAT_WARNS = """
import warnings

from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning


class Warns(DummyClassifier):
    def fit(self, X, y):
        warnings.warn("did not reach the tolerance", ConvergenceWarning)
        warnings.warn("a plug-in's own note", UserWarning)
        return super().fit(X, y)


def make():
    return Warns(strategy="most_frequent")
"""


def test_convergence_warnings_are_one_line_per_config_and_others_pass(tmp_path, capfd):
    """A sweep of small C printed dozens of liblinear warning blocks naming nothing."""
    from tests.test_sources import _three_label_rows

    _three_label_rows().to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "warns.py").write_text(PLUGIN_THAT_WARNS)
    cfg = tmp_path / "w.toml"
    cfg.write_text(
        '[model]\nname = "warns:make"\n[dataset]\npath = "d.csv"\n'
        "[protocol]\nn_splits = 3\nn_repeats = 2\n"
    )
    with pytest.warns(UserWarning, match="a plug-in's own note"):  # issued again, as it came
        assert main(["run", "-q", "--n-jobs", "1", str(cfg), "--out", str(tmp_path / "runs")]) == 0
    err = capfd.readouterr().err
    told = [line for line in err.splitlines() if "did not converge" in line]
    assert len(told) == 1, err
    assert "w.toml: 6 of 6 fold fits did not converge (did not reach the tolerance)" in told[0]
    assert "ConvergenceWarning" not in err
