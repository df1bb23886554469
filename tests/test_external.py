"""The predictions model (a file made elsewhere) and ``stance-bench items``, end to end
through the real CLI on the seed dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from tests.conftest import write_base_config

VIEWS = "[views]\ncross_target = true\ncontrast = true\n"
# what names the run, not its numbers (and the digest of the whole document, names included)
IGNORED = {"config", "model", "config_hash", "answers", "metrics_sha256"}


@pytest.fixture
def folder(tmp_path, derived_dir) -> Path:
    base = write_base_config(tmp_path / "_base.toml", derived_dir)
    base.write_text(base.read_text() + VIEWS, encoding="utf-8")
    return tmp_path


def config(folder: Path, name: str, model: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'extends = "_base.toml"\n[model]\n{model}\n', encoding="utf-8")
    return path


def preds_config(folder: Path, name: str = "preds", extra: str = "") -> Path:
    return config(folder, name, f'name = "predictions"\npath = "preds.jsonl"\n{extra}')


def run(*args) -> int:
    return main(["run", "-q", "--n-jobs", "1", *map(str, args)])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def without(doc, keys=IGNORED):
    """A metrics document less what names the run (recursively, every view)."""
    if isinstance(doc, dict):
        return {k: without(v, keys) for k, v in doc.items() if k not in keys}
    return doc


# ------------------------------------------------------------------------------ round trip
def test_a_baselines_run_as_a_predictions_file_scores_the_same(folder, capsys):
    svm = config(folder, "svm", 'name = "tfidf_svm"')
    out = folder / "runs"
    assert run(svm, "--out", out) == 0
    assert main(["items", str(svm), "--out", str(folder / "items.jsonl")]) == 0
    header = read_jsonl(folder / "items.jsonl")[0]
    lines = [header] + [
        {
            "id": r["id"],
            "view": r["view"],
            "repeat": r["repeat"],
            "fold": r["fold"],
            "predicted": r["predicted"],
            "scores": {k[len("score_") :]: v for k, v in r.items() if k.startswith("score_")},
        }
        for r in read_jsonl(out / "svm" / "predictions.jsonl")
    ]
    write_jsonl(folder / "preds.jsonl", lines)
    assert run(preds_config(folder), "--out", out) == 0
    a = json.loads((out / "svm" / "metrics.json").read_text())
    b = json.loads((out / "preds" / "metrics.json").read_text())
    assert set(b["views"]) == set(a["views"]) == {"cross_target", "contrast"}
    assert without(b) == without(a)  # every number of every view, folds and CIs included
    assert (out / "preds" / "predictions.jsonl").read_bytes() == (
        out / "svm" / "predictions.jsonl"
    ).read_bytes()
    assert b["trained"] is True and b["answers"]["answered"] == b["answers"]["asked"]
    assert len(read_jsonl(out / "preds" / "responses.jsonl")) == len(lines) - 1


# ------------------------------------------------------------------------------ zero-shot
def _zero_shot_lines(folder: Path, pick) -> list[dict]:
    assert main(["items", str(preds_config(folder)), "--out", str(folder / "items.jsonl")]) == 0
    header, *items = read_jsonl(folder / "items.jsonl")
    return [header] + [
        {"id": it["id"], "predicted": pick(it), "raw": f"said {pick(it)}"} for it in items
    ]


def test_a_zero_shot_file_answers_each_item_once_and_its_views_coincide(folder, capsys):
    lines = _zero_shot_lines(folder, lambda it: "fact")
    header = lines[0]
    assert header["trained"] is False and header["n_items"] == len(lines) - 1
    assert "view" not in lines[1]
    write_jsonl(folder / "preds.jsonl", lines)
    out = folder / "runs"
    assert run(preds_config(folder), "--out", out) == 0
    printed = capsys.readouterr().out
    assert "predictions (zero-shot)" in printed and "(zero-shot): trained = false" in printed
    m = json.loads((out / "preds" / "metrics.json").read_text())
    assert m["trained"] is False and m["n_repeats"] == 1
    assert m["views"]["cross_target"]["same_as"] == "cv"
    assert m["views"]["cross_target"]["pooled"] == m["pooled"]
    assert "same_as" not in m["views"]["contrast"]  # other items: its own view
    fact = m["labels"].index("fact")
    assert m["per_class"]["fact"]["predicted"] == m["n_predictions"]  # visible at a glance
    assert sum(c["predicted"] for c in m["per_class"].values()) == m["n_predictions"]
    assert m["confusion_matrix"][fact][fact] == m["per_class"]["fact"]["support"]
    rows = read_jsonl(out / "preds" / "predictions.jsonl")
    assert {r["view"] for r in rows} == {"cv", "contrast"}  # cross_target: cv's rows
    assert len(rows) == header["n_items"]
    report = (out / "preds" / "report.md").read_text()
    assert "the same items and predictions as view cv" in report
    assert report.count("Per class:") == 2  # cv and contrast, not a third copy
    board = (out / "leaderboard.csv").read_text().splitlines()
    assert board[0].endswith(",trained") and board[1].endswith(",False")


def test_unknown_labels_and_nulls_are_abstentions_counted_and_shown(folder):
    lines = _zero_shot_lines(folder, lambda it: "fact")
    lines[1]["predicted"] = "neutral"
    lines[2]["predicted"] = None
    write_jsonl(folder / "preds.jsonl", lines)
    out = folder / "runs"
    assert run(preds_config(folder), "--out", out) == 0
    docs = json.loads((out / "preds" / "metrics.json").read_text())
    by_reason = {
        k: docs["answers"]["by_reason"][k] + docs["views"]["contrast"]["answers"]["by_reason"][k]
        for k in ("unknown_label", "abstained")
    }
    assert by_reason == {"unknown_label": 1, "abstained": 1}
    logged = {r["id"]: r for r in read_jsonl(out / "preds" / "responses.jsonl")}
    assert logged[lines[1]["id"]]["answered"] == "neutral"
    assert logged[lines[1]["id"]]["no_answer"] == "unknown_label"
    assert logged[lines[2]["id"]]["raw"] == "said fact"  # the raw output is kept
    report = (out / "preds" / "report.md").read_text()
    assert "unknown label" in report and "(no answer)" in report


def test_missing_predictions_are_an_error_unless_a_policy_is_set(folder, capsys):
    lines = _zero_shot_lines(folder, lambda it: "fact")
    gone = [lines[5]["id"], lines[9]["id"]]
    write_jsonl(folder / "preds.jsonl", [r for r in lines if r.get("id") not in gone])
    out = folder / "runs"
    assert run(preds_config(folder), "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"2 of {len(lines) - 1} predictions" in err[0]
    assert f"first: {gone[0]}, {gone[1]}" in err[0] and 'abstain = "wrong"' in err[0]
    assert not (out / "preds").exists()

    assert run(preds_config(folder, "wrong", 'abstain = "wrong"'), "--out", out) == 0
    assert run(preds_config(folder, "drop", 'abstain = "drop"'), "--out", out) == 0
    wrong = json.loads((out / "wrong" / "metrics.json").read_text())
    drop = json.loads((out / "drop" / "metrics.json").read_text())

    def total(doc, key):
        return doc["answers"][key] + doc["views"]["contrast"]["answers"][key]

    assert total(wrong, "abstained") == total(drop, "abstained") == 2
    assert (
        wrong["answers"]["by_reason"]["missing"]
        + wrong["views"]["contrast"]["answers"]["by_reason"]["missing"]
        == 2
    )
    n_all = wrong["n_predictions"] + wrong["views"]["contrast"]["n_predictions"]
    n_kept = drop["n_predictions"] + drop["views"]["contrast"]["n_predictions"]
    assert n_all == len(lines) - 1 and n_kept == n_all - 2
    assert total(drop, "scored") == n_kept and total(wrong, "scored") == n_all
    assert "the scores cover only the" in (out / "drop" / "report.md").read_text()


def test_a_stale_file_is_refused(folder, capsys, derived_dir):
    lines = _zero_shot_lines(folder, lambda it: "fact")
    write_jsonl(folder / "preds.jsonl", lines)
    # the same file, but the config now evaluates the stance task: other items
    cfg = preds_config(folder, "stance")
    cfg.write_text(
        cfg.read_text().replace('extends = "_base.toml"', 'extends = "_base.toml"\ntask = "stance"')
    )
    assert run(cfg, "--out", folder / "runs") == 2
    err = capsys.readouterr().err
    assert "the items changed since they were exported" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "line, expected",
    [
        ("not json", "not valid JSON"),
        ('{"id": "x", "predcted": "fact"}', "no such key 'predcted'; did you mean 'predicted'?"),
        ('{"predicted": "fact"}', "needs 'id'"),
        ('{"id": "x", "predicted": 3}', "'predicted' must be a label or null"),
        ('{"id": "x", "predicted": "fact", "view": "cv"}', "give all three"),
        ('{"id": "x", "predicted": "fact", "scores": [1]}', "'scores' must map labels"),
    ],
)
def test_a_bad_line_is_one_error_with_its_line_number(folder, capsys, line, expected):
    (folder / "preds.jsonl").write_text('{"id": "y", "predicted": "fact"}\n' + line + "\n")
    assert run(preds_config(folder), "--out", folder / "runs") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "preds.jsonl:2" in err[0] and expected in err[0], err


def test_a_repeated_id_and_mixed_lines_are_errors(folder, capsys):
    (folder / "preds.jsonl").write_text(
        '{"id": "y", "predicted": "fact"}\n{"id": "y", "predicted": "support"}\n'
    )
    assert run(preds_config(folder), "--out", folder / "runs") == 2
    assert "preds.jsonl:2: a second prediction for 'y' (the first at line 1)" in (
        capsys.readouterr().err
    )
    (folder / "preds.jsonl").write_text(
        '{"id": "y", "predicted": "fact"}\n'
        '{"id": "z", "predicted": "fact", "view": "cv", "repeat": 0, "fold": 0}\n'
    )
    assert run(preds_config(folder), "--out", folder / "runs") == 2
    assert "some lines have view/repeat/fold and others not" in capsys.readouterr().err


def test_a_zero_shot_file_for_a_config_declared_trained_is_an_error(folder, capsys):
    write_jsonl(folder / "preds.jsonl", _zero_shot_lines(folder, lambda it: "fact"))
    cfg = preds_config(folder, "declared", "trained = true")
    assert run(cfg, "--out", folder / "runs") == 2
    assert "its lines have no view/repeat/fold" in capsys.readouterr().err


def test_trained_false_is_refused_for_a_model_that_learns(folder, capsys):
    cfg = config(folder, "svm0", 'name = "tfidf_svm"\ntrained = false')
    assert run(cfg, "--out", folder / "runs") == 2
    assert "learns from its training items" in capsys.readouterr().err


def test_items_per_fold_list_every_test_item_where_it_is_tested(folder, capsys):
    svm = config(folder, "svm", 'name = "tfidf_svm"')
    assert main(["items", str(svm), "--out", str(folder / "items.jsonl")]) == 0
    assert "each in the (view, repeat, fold) it is tested in" in capsys.readouterr().out
    header, *rows = read_jsonl(folder / "items.jsonl")
    assert header["trained"] is True and header["n_items"] == len(rows)
    assert all(set(r) == {"id", "view", "repeat", "fold", "text", "target"} for r in rows)
    assert "label" not in rows[0]  # what to predict, not the answers
    assert main(["run", "-q", str(svm), "--out", str(folder / "runs")]) == 0
    folds = json.loads((folder / "runs" / "svm" / "folds.json").read_text())
    assert sorted((r["view"], r["repeat"], r["fold"], r["id"]) for r in rows) == sorted(
        (f["view"], f["repeat"], f["fold"], i) for f in folds for i in f["test_ids"]
    )
    assert main(["items", str(svm), "--out", str(folder / "train.jsonl"), "--train"]) == 0
    header2, *rows2 = read_jsonl(folder / "train.jsonl")
    assert header2["digest"] == header["digest"]  # the same items to predict
    train = [r for r in rows2 if r["split"] == "train"]
    assert train and all("label" in r for r in train)
    assert [r for r in rows2 if r["split"] == "test"] == [{**r, "split": "test"} for r in rows]


def test_the_example_predictions_config_runs_as_the_docs_show(tmp_path, derived_dir):
    from tests.conftest import copy_examples

    examples = copy_examples(tmp_path / "configs", derived_dir)
    cfg = examples / "predictions.toml"
    assert main(["items", str(cfg), "--out", str(tmp_path / "items.jsonl")]) == 0
    header, *items = read_jsonl(tmp_path / "items.jsonl")
    cues = [("condemn", "condemn"), ("support", "support"), ("doubt", "skeptical")]
    lines = [header] + [
        {
            "id": it["id"],
            "predicted": next((lab for c, lab in cues if c in it["text"].lower()), "fact"),
        }
        for it in items
    ]
    write_jsonl(examples / "preds.jsonl", lines)
    assert run(cfg, "--out", tmp_path / "runs") == 0
    m = json.loads((tmp_path / "runs" / "predictions" / "metrics.json").read_text())
    import pyarrow.parquet as pq

    from bench.corpus.store import CONTRAST_PARQUET, PARQUET

    n_items = sum(pq.read_metadata(derived_dir / f).num_rows for f in (PARQUET, CONTRAST_PARQUET))
    assert header["n_items"] == n_items and m["trained"] is False  # items, then contrast cases
    assert round(m["pooled"]["macro_f1"], 3) == 0.360 and round(m["pooled"]["accuracy"], 3) == 0.440


def test_a_saved_config_finds_the_predictions_file_again(folder):
    (folder / "pyproject.toml").touch()  # the project root: paths are relative to it
    lines = _zero_shot_lines(folder, lambda it: "fact")
    write_jsonl(folder / "preds.jsonl", lines)
    assert run(preds_config(folder), "--out", folder / "runs") == 0
    saved = folder / "runs" / "preds" / "config.toml"
    text = saved.read_text()  # the file as written, in the folder plugin_dir names
    assert 'relative_to = "project"' in text and 'plugin_dir = "."' in text
    assert 'path = "preds.jsonl"' in text
    assert run(saved, "--out", folder / "again") == 0
    first = (folder / "runs" / "preds" / "metrics.json").read_bytes()
    assert (folder / "again" / "preds" / "metrics.json").read_bytes() == first
