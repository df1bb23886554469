"""Adjudication: the annotators' items side by side, resolved into the gold; and the whole
walkthrough of docs/annotation.md on the fixture article (text -> tasks -> a simulated
Label Studio export per annotator -> import -> agreement -> adjudicated gold -> derive)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.cli import main
from bench.corpus import adjudicate
from bench.corpus.annotations import read_annotations
from bench.corpus.articles import read_article
from bench.corpus.segment import segment
from bench.errors import DataError

DATA = Path(__file__).parent / "data" / "annotation"  # two annotators' files
ARTICLES = Path(__file__).parent / "data" / "articles"  # the fixture article and its gold
STEM = "aldermoor-tram-extension"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """The fixture article and its two annotators' files, no gold yet."""
    dest = tmp_path / "seeds"
    dest.mkdir()
    shutil.copy(ARTICLES / f"{STEM}.txt", dest)
    for name in ("annotator1", "annotator2"):
        shutil.copy(DATA / f"{STEM}.annotations.{name}.jsonl", dest)
    return dest


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def _located(rows: list[dict], article: Path) -> list[tuple]:
    text = read_article(article)
    items = {}
    for row in rows:
        start = row.get("offset", text.find(row["evidence"]))
        items[start, row["evidence"]] = tuple(
            sorted((k, v) for k, v in row.items() if k not in ("id", "offset"))
        )
    return sorted(items.items())


def test_adjudication_lists_every_unit_with_both_annotators_side_by_side(seeds: Path):
    article = seeds / f"{STEM}.txt"
    path, entries = adjudicate.write_adjudication(article)
    assert path == seeds / f"{STEM}.adjudication.jsonl"
    lines = _lines(path)
    assert len(lines) == len(entries) == 22
    status = [(e["unit"], e["status"], e["differs"]) for e in lines if e["status"] != "agreed"]
    assert status == [
        (1, "disagreed", ["label", "holder"]),
        (2, "partial", []),
        (3, "disagreed", ["evidence"]),
        (12, "partial", []),
    ]
    agreed = [e for e in lines if e["status"] == "agreed"]
    assert all(e["resolved"] == e["annotators"]["annotator1"] for e in agreed)
    assert all(e["resolved"] is None for e in lines if e["status"] != "agreed")
    with pytest.raises(DataError, match="exists \\(it may hold resolutions\\)"):
        adjudicate.write_adjudication(article)


def test_unresolved_units_are_all_reported_and_no_gold_is_written(seeds: Path):
    article = seeds / f"{STEM}.txt"
    path, _ = adjudicate.write_adjudication(article)
    with pytest.raises(DataError) as err:
        adjudicate.resolve(article, path)
    message = str(err.value)
    assert message.startswith(f"{path}: 4 problem(s), no gold written:")
    assert f"{path}:2: unresolved (disagreed: label, holder)" in message
    assert f"{path}:18: unresolved (partial: made by some annotators only)" in message
    assert not (seeds / f"{STEM}.annotations.jsonl").exists()


def _resolve(path: Path, choices: dict[int, object]) -> None:
    lines = _lines(path)
    for entry in lines:
        if entry["unit"] in choices and entry["status"] != "agreed":
            entry["resolved"] = choices[entry["unit"]]
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines), "utf-8")


def test_resolving_for_annotator1_gives_back_the_original_gold(seeds: Path):
    article = seeds / f"{STEM}.txt"
    path, _ = adjudicate.write_adjudication(article)
    _resolve(path, {1: "annotator1", 2: "drop", 3: "annotator1", 12: "annotator1"})
    gold, rows = adjudicate.resolve(article, path)
    assert gold == seeds / f"{STEM}.annotations.jsonl"
    original = _lines(ARTICLES / f"{STEM}.annotations.jsonl")
    assert _located(rows, article) == _located(original, article)
    assert [r["id"] for r in rows] == [f"{STEM}-{k:03d}" for k in range(1, len(rows) + 1)]
    text = read_article(article)
    read_annotations(gold, text, segment(text))
    with pytest.raises(DataError, match="the gold exists; pass --force"):
        adjudicate.resolve(article, path)


def test_a_resolution_may_be_an_item_written_out(seeds: Path):
    article = seeds / f"{STEM}.txt"
    path, _ = adjudicate.write_adjudication(article)
    own = {
        "evidence": "voted 9 to 4 on Tuesday to approve",
        "label": "fact",
        "target": "eastern tram extension",
    }
    _resolve(path, {1: own, 2: "annotator2", 3: "annotator2", 12: "bogus"})
    with pytest.raises(DataError, match="'bogus' is no annotator of this unit"):
        adjudicate.resolve(article, path, id_prefix="tram")
    _resolve(path, {12: "drop"})
    _, rows = adjudicate.resolve(article, path, id_prefix="tram")
    evidence = [r["evidence"] for r in rows]
    assert own["evidence"] in evidence and "Mayor Clara Voss praised the plan" in evidence
    assert rows[0]["id"] == "tram-001"


def test_a_bad_written_out_item_fails_the_gold_validation(seeds: Path):
    article = seeds / f"{STEM}.txt"
    path, _ = adjudicate.write_adjudication(article)
    bad = {"evidence": "voted ten to four", "label": "fact", "target": "x"}
    _resolve(path, {1: bad, 2: "drop", 3: "annotator1", 12: "annotator1"})
    with pytest.raises(DataError, match="not found verbatim in the article"):
        adjudicate.resolve(article, path)
    assert not (seeds / f"{STEM}.annotations.jsonl").exists()


# ---------------------------------------------------------------- the walkthrough
def _simulated_export(tasks_file: Path, annotator_file: Path, article: Path, user: int) -> list:
    """What Label Studio exports after ``user`` annotated the tasks as in the file."""
    from bench.corpus import labelstudio

    text = read_article(article)
    units = segment(text)
    items = read_annotations(annotator_file, text, units)
    out = []
    for k, task in enumerate(json.loads(tasks_file.read_text(encoding="utf-8")), start=1):
        unit = units[task["data"]["unit"]]
        result = labelstudio.results(unit, [i for i in items if i.unit.index == unit.index])
        task = {**task, "id": k}
        task["annotations"] = [
            {"id": k, "completed_by": user, "result": result, "was_cancelled": False}
        ]
        out.append(task)
    return out


def test_walkthrough_from_text_to_adjudicated_gold(tmp_path: Path, capsys):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    article = seeds / f"{STEM}.txt"
    shutil.copy(ARTICLES / article.name, article)
    tasks, config = tmp_path / "tasks.json", tmp_path / "config.xml"
    assert (
        main(["annotate", "export", str(article), "--out", str(tasks), "--config-out", str(config)])
        == 0
    )
    for user, name in ((1, "annotator1"), (2, "annotator2")):
        export = tmp_path / f"export-{name}.json"
        made = _simulated_export(tasks, DATA / f"{STEM}.annotations.{name}.jsonl", article, user)
        export.write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
        args = ["annotate", "import", str(export), "--article", str(article), "--annotator", name]
        assert main(args) == 0
    capsys.readouterr()
    assert main(["agreement", str(seeds), "--n-boot", "200"]) == 0
    assert "Krippendorff's alpha  all" in capsys.readouterr().out
    # derive refuses an article with annotators' files and no gold, and says what to do
    assert main(["derive", "--seeds", str(seeds), "--out", str(tmp_path / "d")]) == 2
    assert (
        "from its annotators' files (stance-bench annotate adjudicate)" in capsys.readouterr().err
    )
    assert main(["annotate", "adjudicate", str(article)]) == 0
    out = capsys.readouterr().out
    assert "unit 1 (disagreed: label, holder)" in out and "annotator2  support:" in out
    _resolve(
        seeds / f"{STEM}.adjudication.jsonl",
        {1: "annotator1", 2: "annotator2", 3: "annotator1", 12: "annotator1"},
    )
    assert (
        main(
            [
                "annotate",
                "adjudicate",
                str(article),
                "--resolve",
                str(seeds / f"{STEM}.adjudication.jsonl"),
            ]
        )
        == 0
    )
    shutil.copy(Path(__file__).resolve().parents[1] / "seeds" / "GUIDELINES.md", seeds)
    assert main(["derive", "--seeds", str(seeds), "--out", str(tmp_path / "d")]) == 0
    assert "21 items" in capsys.readouterr().out  # the gold's 20 and annotator2's extra fact
    card = (tmp_path / "d" / "README.md").read_text(encoding="utf-8")
    assert "## Annotator agreement" in card
