"""The views of bench.views on data the project did not ship: two fixture articles
(cross_article, per-article breakdowns, group_by = "article"), one article (the view is
absent, and the report says why), and a separate test set in both directions (the view is
named ``test``, its metrics cover the test set's labels, it makes the rank score)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from bench.cli import main
from bench.ranking import components, rank_score
from bench.runs import load_run
from tests.conftest import MACKEREL, PRO_CON, REPO, TRAM, fixture_seeds

CSV_BLOCK = (
    f'source = "file"\npath = "{PRO_CON}"\nformat = "csv"\n'
    'columns = { text = "Statement", target = "Topic", label = "Position", group = "Doc" }\n'
    'labels = { PRO = "support", CON = "condemn", NEUTRAL = "fact" }\n'
)


def _config(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(f"seed = 5\n[metrics]\nbootstrap = 100\n{body}", encoding="utf-8")
    return path


def _seed_block(seeds: Path, data: Path) -> str:
    return f'[dataset]\nseeds = "{seeds}"\ndata_dir = "{data}"\n'


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text(encoding="utf-8"))


def _predictions(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "predictions.jsonl").read_text().splitlines()]


# ------------------------------------------------------------------ two articles
@pytest.fixture(scope="module")
def two_articles(tmp_path_factory) -> Path:
    """Two configs on the two fixture articles, run once: cross_article is on by default."""
    tmp = tmp_path_factory.mktemp("two")
    seeds = fixture_seeds(tmp / "seeds", TRAM, MACKEREL)
    views = "[views]\ncross_target = true\ncontrast = true\n"
    proto = "[protocol]\nn_splits = 3\nn_repeats = 1\n"
    for name, model in (("svm", "tfidf_svm"), ("lexicon", "cue_lexicon")):
        body = _seed_block(seeds, tmp / "data") + proto + views + f'[model]\nname = "{model}"\n'
        _config(tmp / "configs", name, body)
    assert main(["run", "-q", str(tmp / "configs"), "--out", str(tmp / "runs")]) == 0
    return tmp


def test_two_articles_run_with_a_cross_article_view_that_ranks(two_articles):
    run = two_articles / "runs" / "svm"
    m = _metrics(run)
    assert set(m["views"]) == {"cross_target", "cross_article", "contrast"}
    assert "absent_views" not in m
    cross = m["views"]["cross_article"]
    assert cross["protocol"]["kind"] == "leave_one_group_out"
    assert cross["protocol"]["group_by"] == "article" and cross["protocol"]["n_folds"] == 2
    folds = json.loads((run / "folds.json").read_text())
    tested = [f["test_ids"] for f in folds if f["view"] == "cross_article"]
    assert len(tested) == 2  # one fold per article, each testing exactly its items
    assert {i.split("-")[0] for i in tested[0]} != {i.split("-")[0] for i in tested[1]}
    assert all(len({i.split("-")[0] for i in ids}) == 1 for ids in tested)
    loaded = load_run(run)
    parts = components(loaded.views())
    assert {p.view for p in parts} == {"cross_target", "cross_article", "contrast"}
    expected = np.mean(
        [
            cross["pooled"]["macro_f1"],
            m["views"]["cross_target"]["pooled"]["macro_f1"],
            m["views"]["contrast"]["balanced"]["macro_f1"],
        ]
    )
    assert rank_score(loaded.views(), "macro_f1") == pytest.approx(expected)


def test_reports_break_metrics_down_per_article(two_articles):
    run = two_articles / "runs" / "svm"
    m = _metrics(run)
    preds = [p for p in _predictions(run) if p["view"] == "cv"]
    assert set(m["per_article"]) == {TRAM, MACKEREL}
    for article, scores in m["per_article"].items():
        prefix = "tram" if article == TRAM else "mack"
        mine = [p for p in preds if p["id"].startswith(prefix)]
        assert scores["n_predictions"] == len(mine)
        hits = sum(p["gold"] == p["predicted"] for p in mine)
        assert scores["accuracy"] == pytest.approx(hits / len(mine))
    report = (run / "report.md").read_text(encoding="utf-8")
    assert "## Cross-article (each article held out in turn)" in report
    assert "Per article (pooled" in report and f"| {TRAM} |" in report


def test_two_article_runs_compare_view_by_view(two_articles, capsys):
    runs = two_articles / "runs"
    assert main(["compare", str(runs / "svm"), str(runs / "lexicon"), "--n-boot", "200"]) in (0, 1)
    out = capsys.readouterr().out
    rows = [line.split()[3] for line in out.splitlines() if line.startswith("svm → lexicon")]
    # every shared view, then the rank score the leaderboard ranks on
    assert rows == ["cv", "contrast", "cross_article", "cross_target", "rank"]
    assert re.search(r"rank score \([a-z_+]*cross_article[a-z_+]*\)", out)
    board = (runs / "leaderboard.md").read_text(encoding="utf-8")
    assert "2 articles" in board and "cross\\_article" in board


def test_one_article_has_no_cross_article_view_and_the_report_says_why(tmp_path):
    seeds = fixture_seeds(tmp_path / "seeds", TRAM)
    body = (
        _seed_block(seeds, tmp_path / "data")
        + '[protocol]\nn_splits = 2\nn_repeats = 1\n[model]\nname = "majority"\n'
    )
    _config(tmp_path / "c", "one", body)
    off = body + "[views]\ncross_article = false\n"
    _config(tmp_path / "c", "off", off)
    assert main(["run", "-q", str(tmp_path / "c"), "--out", str(tmp_path / "runs")]) == 0
    m = _metrics(tmp_path / "runs" / "one")
    why = f"the dataset has one article ({TRAM}); it needs two or more"
    assert m["absent_views"] == {"cross_article": why} and "views" not in m
    assert why in (tmp_path / "runs" / "one" / "report.md").read_text(encoding="utf-8")
    assert "absent_views" not in _metrics(tmp_path / "runs" / "off")  # switched off: not asked


def test_group_by_article_works_for_any_protocol_and_names_a_missing_column(tmp_path, capsys):
    seeds = fixture_seeds(tmp_path / "seeds", TRAM, MACKEREL)
    data = _seed_block(seeds, tmp_path / "data")
    for kind, extra in (
        ("leave_one_group_out", ""),
        ("group_kfold", "n_splits = 2\nn_repeats = 1\n"),
    ):
        body = data + f'[protocol]\nkind = "{kind}"\ngroup_by = "article"\n{extra}'
        _config(tmp_path / kind, kind, body + '[model]\nname = "majority"\n')
        assert main(["run", "-q", str(tmp_path / kind), "--out", str(tmp_path / "runs")]) == 0
        folds = json.loads((tmp_path / "runs" / kind / "folds.json").read_text())
        for f in (f for f in folds if f["view"] == "cv"):
            assert len({i.split("-")[0] for i in f["test_ids"]}) == 1  # one article per fold
    # a file's own documents: map them to the article role
    csv = CSV_BLOCK.replace('group = "Doc" }', 'article = "Doc" }')
    body = f'[dataset]\n{csv}[protocol]\nkind = "leave_one_group_out"\ngroup_by = "article"\n'
    _config(tmp_path / "csv", "docs", body + '[model]\nname = "majority"\n')
    assert main(["run", "-q", str(tmp_path / "csv"), "--out", str(tmp_path / "runs")]) == 0
    m = _metrics(tmp_path / "runs" / "docs")
    assert m["protocol"]["n_folds"] == 12 and len(m["views"]["cross_article"]["per_fold"]) == 12
    plain = CSV_BLOCK.replace(', group = "Doc"', "")
    body = f'[dataset]\n{plain}[protocol]\ngroup_by = "article"\n[model]\nname = "majority"\n'
    _config(tmp_path / "bad", "bad", body)
    assert main(["run", "-q", str(tmp_path / "bad"), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "group_by = 'article' needs a article per row" in err and "[dataset.columns]" in err


# ------------------------------------------------------------------ a separate test set
def test_seed_to_csv_reports_the_test_view_over_the_test_sets_labels(tmp_path):
    seeds = fixture_seeds(tmp_path / "seeds", TRAM)
    body = (
        _seed_block(seeds, tmp_path / "data")
        + f"[test]\n{CSV_BLOCK}"
        + '[protocol]\nkind = "split"\n[views]\ncross_target = true\ncontrast = true\n'
        + '[model]\nname = "tfidf_logreg"\n'
    )
    _config(tmp_path / "c", "to_csv", body)
    assert main(["run", "-q", str(tmp_path / "c"), "--out", str(tmp_path / "runs")]) == 0
    run = tmp_path / "runs" / "to_csv"
    m = _metrics(run)
    labels = ["support", "condemn", "fact"]
    assert m["view"] == "test" and m["labels"] == labels and list(m["per_class"]) == sorted(labels)
    assert m["protocol"]["labels"] == labels
    assert m["protocol"]["dropped_train_labels"] == {"skeptical": 2}  # tram-012, tram-015
    preds = [p for p in _predictions(run) if p["view"] == "test"]
    assert len(preds) == 60 == m["n_predictions"]
    gold, pred = [p["gold"] for p in preds], [p["predicted"] for p in preds]
    assert m["pooled"]["macro_f1"] == pytest.approx(
        f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    )
    assert m["absent_views"]["cross_target"].startswith("no target of the test set occurs")
    assert set(m["views"]) == {"contrast"}  # the seed's suite, of the test set's labels
    assert m["views"]["contrast"]["protocol"]["dropped_test_labels"]["skeptical"] > 0
    loaded = load_run(run)
    assert [p.view for p in components(loaded.views())] == ["test"]  # contrast does not rank
    assert rank_score(loaded.views(), "macro_f1") == m["pooled"]["macro_f1"]
    report = (run / "report.md").read_text(encoding="utf-8")
    assert "## Held-out test set" in report and "View `test`" in report
    assert (
        "Labels scored: support, condemn, fact" in report and "cv" not in report.split("\n## ")[1]
    )
    board = (tmp_path / "runs" / "leaderboard.md").read_text(encoding="utf-8")
    assert "Rank score: the macro-F1 of test." in board and "macro-F1 test [95% CI]" in board


def test_csv_to_seed_tests_on_the_seed_and_its_contrast_suite(tmp_path):
    seeds = fixture_seeds(tmp_path / "seeds", TRAM)
    body = (
        f"[dataset]\n{CSV_BLOCK}"
        + f'[test]\nsource = "seed"\nseeds = "{seeds}"\ndata_dir = "{tmp_path / "data"}"\n'
        + '[protocol]\nkind = "split"\n[views]\ncontrast = true\n[model]\nname = "tfidf_svm"\n'
    )
    _config(tmp_path / "c", "to_seed", body)
    assert main(["run", "-q", str(tmp_path / "c"), "--out", str(tmp_path / "runs")]) == 0
    m = _metrics(tmp_path / "runs" / "to_seed")
    assert m["view"] == "test" and m["labels"] == ["support", "condemn", "skeptical", "fact"]
    assert m["n_examples"] == 20  # the fixture article's items
    contrast = m["views"]["contrast"]
    assert contrast["n_predictions"] > 100 and "capabilities" in contrast
    assert m["absent_views"] == {
        "cross_article": "the dataset has no articles; it needs two or more"
    }


def test_cross_target_on_the_test_data_ranks_beside_the_test_view(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMEVAL2016_DIR", str(REPO / "tests" / "data" / "semeval2016"))
    base = REPO / "configs" / "semeval2016" / "_data.toml"
    body = f'extends = "{base}"\n[views]\ncross_target = true\n[model]\nname = "tfidf_svm"\n'
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "sem.toml").write_text(body, encoding="utf-8")
    assert main(["run", "-q", str(tmp_path / "c"), "--out", str(tmp_path / "runs")]) == 0
    m = _metrics(tmp_path / "runs" / "sem")
    cross = m["views"]["cross_target"]
    assert cross["protocol"]["tests_on"] == "test" and cross["n_predictions"] == 6
    folds = json.loads((tmp_path / "runs" / "sem" / "folds.json").read_text())
    test_ids = {i for f in folds if f["view"] == "test" for i in f["test_ids"]}
    assert {i for f in folds if f["view"] == "cross_target" for i in f["test_ids"]} == test_ids
    loaded = load_run(tmp_path / "runs" / "sem")
    assert [p.view for p in components(loaded.views())] == ["test", "cross_target"]


def test_the_semeval_to_seed_config_reads_the_seed_as_its_test_set(monkeypatch):
    from bench.config import load_config

    monkeypatch.setenv("SEMEVAL2016_DIR", str(REPO / "tests" / "data" / "semeval2016"))
    cfg = load_config(REPO / "configs" / "semeval2016" / "semeval_to_seed_svm.toml")
    assert cfg.dataset.source == "file" and cfg.test is not None and cfg.test.source == "seed"
    assert cfg.labels == ("support", "condemn", "skeptical", "fact") and cfg.views.on("contrast")
