"""The Label Studio round trip: tasks and labeling config out, a real export back in
(golden files from a real server, tests/data/annotation/make_export.py), every problem
of an export reported at once, a property test (export -> simulated completion ->
import gives back the same annotations), and a slow test against a live server."""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.agreement import CATEGORIES
from bench.cli import main
from bench.corpus import labelstudio as LS
from bench.corpus.annotations import Item, read_annotations
from bench.corpus.articles import read_article
from bench.corpus.segment import segment
from bench.errors import DataError
from bench.labels import LABELS

DATA = Path(__file__).parent / "data" / "annotation"
STEM = "aldermoor-tram-extension"
ARTICLE = Path(__file__).parent / "data" / "articles" / f"{STEM}.txt"
EXPORT = DATA / f"{STEM}.labelstudio.json"
SECOND = DATA / f"{STEM}.annotations.annotator2.jsonl"
REPO = Path(__file__).resolve().parents[1]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _key(row: dict) -> tuple:
    """A row without its id, located: what a round trip must give back."""
    text = read_article(ARTICLE)
    start = row.get("offset", text.find(row["evidence"]))
    return (start, *sorted((k, v) for k, v in row.items() if k not in ("id", "offset")))


@pytest.fixture
def article(tmp_path: Path) -> Path:
    dest = tmp_path / "seeds" / ARTICLE.name
    dest.parent.mkdir()
    shutil.copy(ARTICLE, dest)
    return dest


# ------------------------------------------------------------------------- export
def test_label_config_declares_the_controls_the_import_reads():
    root = ET.fromstring(LS.label_config())
    text = root.find("Text")
    assert text is not None and text.get("name") == LS.TEXT and text.get("value") == "$text"
    assert "white-space: pre-wrap" in root.find("Style").text  # offsets count every space
    labels = root.find("Labels")
    assert labels.get("name") == LS.EVIDENCE and labels.get("toName") == LS.TEXT
    choices = root.find(".//Choices")
    assert choices.get("name") == LS.LABEL and choices.get("perRegion") == "true"
    assert [c.get("value") for c in choices] == list(CATEGORIES)
    areas = {a.get("name"): a.get("perRegion") for a in root.iter("TextArea")}
    assert areas == {LS.HOLDER: "true", LS.TARGET: "true", LS.NOTE: "true"}


def test_tasks_are_the_units_with_their_offsets_and_the_articles_digest(article: Path):
    text = read_article(article)
    made = LS.tasks(article)
    units = segment(text)
    assert len(made) == len(units) == 17
    for task, unit in zip(made, units, strict=True):
        d = task["data"]
        assert text[d["start"] : d["end"]] == d["text"] == unit.text
        assert (d["article"], d["unit"], d["kind"]) == (STEM, unit.index, unit.kind)
        assert d["digest"] == LS.digest(text) and "predictions" not in task


def test_cli_export_writes_tasks_with_suggestions_and_the_config(article: Path, tmp_path):
    out, config = tmp_path / "tasks.json", tmp_path / "config.xml"
    code = main(
        ["annotate", "export", str(article), "--out", str(out), "--model", "tfidf_logreg"]
        + ["--seeds", str(REPO / "seeds"), "--config-out", str(config)]
    )
    assert code == 0
    assert config.read_text(encoding="utf-8") == LS.label_config()
    made = json.loads(out.read_text(encoding="utf-8"))
    for task in made:
        (pred,) = task["predictions"]
        assert pred["model_version"].startswith("suggestion:tfidf_logreg@")
        assert 0 < pred["score"] <= 1
        by_name = {r["from_name"]: r for r in pred["result"]}
        assert {r["id"] for r in pred["result"]} == {f"u{task['data']['unit']}"}  # one region
        span = by_name[LS.EVIDENCE]["value"]
        assert (span["start"], span["end"], span["text"]) == (
            0,
            len(task["data"]["text"]),
            task["data"]["text"],
        )
        label = by_name[LS.LABEL]["value"]["choices"][0]
        assert label in CATEGORIES
        if label == "fact" or task["data"]["kind"] == "headline":
            assert LS.HOLDER not in by_name  # facts have no holder; headlines none guessed


def test_suggestions_train_without_the_exported_article(tmp_path: Path):
    # the seed article is the only gold: suggesting for it leaves nothing to train on
    with pytest.raises(DataError, match="no gold item besides putin-xi-call-on-israel-iran"):
        LS.export_tasks(
            REPO / "seeds" / "putin-xi-call-on-israel-iran.txt",
            tmp_path / "t.json",
            model="majority",
            seeds=REPO / "seeds",
        )


def test_suggested_names_and_targets_are_simple_guesses():
    units = segment(read_article(ARTICLE))
    assert LS.name_of(units[3]) == "Mayor Clara Voss"
    assert LS.name_of(units[0]) == ""  # a headline: every word is capitalised
    assert LS.name_of(units[4]) == "Voss"  # a quotation's speaker
    assert (
        LS.nearest_target("the ceasefire talks", ["Putin as mediator", "ceasefire"]) == "ceasefire"
    )
    assert LS.nearest_target("nothing shared", ["ceasefire"]) == ""


# ------------------------------------------------------------------------- import
def test_import_of_the_real_export_gives_the_annotators_file(article: Path):
    done = LS.import_export(EXPORT, article, "annotator2")
    assert done.path == article.with_name(f"{STEM}.annotations.annotator2.jsonl")
    assert (done.user, done.n_tasks, done.skipped) == ("1", 17, 1)  # one skipped attempt
    written = _rows(done.path)
    assert sorted(map(_key, written)) == sorted(map(_key, _rows(SECOND)))
    assert [r["id"] for r in written] == [f"{STEM}-annotator2-{k:03d}" for k in range(1, 22)]
    text = read_article(article)
    read_annotations(done.path, text, segment(text))  # the gold file's validation


def test_cli_import_and_its_refusal_to_overwrite(article: Path, capsys):
    args = ["annotate", "import", str(EXPORT), "--article", str(article), "--annotator", "ann-2"]
    assert main(args) == 0
    assert "21 lines from 17 tasks of user 1" in capsys.readouterr().out
    before = article.with_name(f"{STEM}.annotations.ann-2.jsonl").read_bytes()
    assert main(args) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert article.with_name(f"{STEM}.annotations.ann-2.jsonl").read_bytes() == before
    assert main([*args[:-1], "bad.name"]) == 2
    assert "not usable in a file name" in capsys.readouterr().err


def _export() -> list[dict]:
    return json.loads(EXPORT.read_text(encoding="utf-8"))


def _submitted(task: dict) -> dict:
    return next(a for a in task["annotations"] if not a["was_cancelled"])


def test_every_problem_of_an_export_is_reported_at_once(article: Path, tmp_path: Path):
    doc = _export()
    results = _submitted(doc[3])["result"]  # "Mayor Clara Voss praised the plan, ..."
    span = next(r for r in results if r["from_name"] == LS.EVIDENCE)
    span["value"]["start"] += 2  # the text at the offsets no longer matches
    choice = next(r for r in _submitted(doc[5])["result"] if r["from_name"] == LS.LABEL)
    choice["value"]["choices"] = []  # no label
    _submitted(doc[6])["result"].append(
        {"id": "zz", "from_name": "stance", "to_name": "text", "type": "choices", "value": {}}
    )
    doc[8]["annotations"] = []  # a unit nobody annotated
    holder = next(r for r in _submitted(doc[9])["result"] if r["from_name"] == LS.HOLDER)
    _submitted(doc[9])["result"].remove(holder)  # a condemn item without its holder
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError) as err:
        LS.import_export(path, article, "a2")
    message = str(err.value)
    assert message.startswith(f"{path}: 5 problem(s), nothing written:")
    assert "the text at 2-33 is 'yor Clara Voss praised the plan', not the span's" in message
    assert "(that text is at 0-33)" in message
    assert "label [] is not one of support, condemn, skeptical, fact, exclude" in message
    assert "unknown control 'stance'" in message
    assert "unit 8 (" in message and "has no submitted annotation by user 1" in message
    assert "a condemn item needs a holder and a target (no holder)" in message
    assert not article.with_name(f"{STEM}.annotations.a2.jsonl").exists()


def test_several_users_need_user_and_the_chosen_ones_annotations_are_taken(article, tmp_path):
    doc = _export()
    for task in doc:
        other = copy.deepcopy(_submitted(task))
        other["completed_by"] = 7
        for r in other["result"]:
            if r["from_name"] == LS.LABEL and r["value"]["choices"] == ["support"]:
                r["value"]["choices"] = ["condemn"]  # user 7 reads every support as condemn
        task["annotations"].append(other)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match=r"annotations by 2 users \(1 \(17 annotations\), 7 \(17"):
        LS.import_export(path, article, "a2")
    done = LS.import_export(path, article, "a7", user="7")
    assert done.user == "7" and len(done.rows) == 21
    mine = {r.get("label") for r in done.rows}
    assert "condemn" in mine and "support" not in mine
    with pytest.raises(DataError, match="no submitted annotation by user '9'"):
        LS.import_export(path, article, "a9", user="9")


def test_a_changed_article_is_named_as_the_cause(article: Path):
    article.write_text("Breaking: " + read_article(article), encoding="utf-8")
    with pytest.raises(DataError, match="the article changed since the export"):
        LS.import_export(EXPORT, article, "a2")


def test_an_export_of_another_format_is_refused(article: Path, tmp_path: Path):
    path = tmp_path / "min.json"
    path.write_text(json.dumps([{"text": "x", "evidence": []}]), encoding="utf-8")
    with pytest.raises(DataError, match="JSON_MIN keeps no span"):
        LS.import_export(path, article, "a2")


# --------------------------------------------------------------- property test
def _completion(tasks: list, items: list[Item], user: int = 3) -> list:
    """Label Studio's JSON export of ``tasks`` after a person annotated ``items``."""
    out = []
    units = segment(read_article(ARTICLE))
    for k, task in enumerate(tasks, start=1):
        unit = units[task["data"]["unit"]]
        mine = [i for i in items if i.unit.index == unit.index]
        annotation = {
            "id": k,
            "completed_by": user,
            "result": LS.results(unit, mine),
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": 3.0,
            "task": k,
            "project": 1,
        }
        out.append({"id": k, "data": task["data"], "annotations": [annotation], "predictions": []})
    return out


words = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def annotations(draw):
    """Random, valid annotations of the fixture article: a unit is excluded (one
    exclusion, no item) or holds 1-3 items, each span starting and ending on a non-space,
    targets apart within a sentence, facts with a target and no holder."""
    text = read_article(ARTICLE)
    units = segment(text)
    items: list[Item] = []

    def span(unit):
        a = draw(st.integers(0, len(unit.text) - 1))
        b = draw(st.integers(a + 1, len(unit.text)))
        piece = unit.text[a:b]
        if not piece.strip():
            return unit.start, unit.end  # the whole unit
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        return unit.start + a, unit.start + b

    for unit in units:
        if draw(st.integers(0, 9)) == 0:
            s, e = span(unit)
            items.append(
                Item(f"i{len(items)}", None, "", "", text[s:e], s, e, unit, 0, draw(words))
            )
            continue
        for k in range(draw(st.integers(1, 3))):
            s, e = span(unit)
            label = draw(st.sampled_from(LABELS))
            holder = "" if label == "fact" else draw(words)
            target = f"{draw(words)} {unit.index}-{k}"
            items.append(Item(f"i{len(items)}", label, holder, target, text[s:e], s, e, unit, 0))
    return items


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(annotations())
def test_export_then_completion_then_import_gives_back_the_annotations(items):
    exported = LS.tasks(ARTICLE)
    rows, user, cancelled = LS.rows_from_export(_completion(exported, items), ARTICLE, "p")
    assert (user, cancelled) == ("3", 0)
    got = sorted(
        (
            r.get("offset", read_article(ARTICLE).find(r["evidence"])),
            r["evidence"],
            r.get("label", ""),
            r.get("holder", ""),
            r.get("target", ""),
            r.get("exclude", ""),
        )
        for r in rows
    )
    want = sorted(
        (i.start, i.evidence, i.label or "", i.holder, i.target, i.exclude or "") for i in items
    )
    assert got == want


# ----------------------------------------------------------------- live server
@pytest.mark.slow
def test_round_trip_through_a_live_label_studio(tmp_path: Path):
    """Starts Label Studio on 127.0.0.1 (``STANCE_BENCH_LABEL_STUDIO`` or PATH), creates
    a project from the exported config and tasks, submits annotator2's items, exports,
    imports: the annotator's file comes back, and the export has the golden file's shape."""
    import sys

    sys.path.insert(0, str(DATA))
    from labelstudio_server import executable, server
    from make_export import round_trip

    exe = executable()
    if exe is None:
        pytest.skip(
            "label-studio is not installed (a separate ~1 GB install: pip install "
            "label-studio in another venv, then set STANCE_BENCH_LABEL_STUDIO to its "
            "bin/label-studio)"
        )
    with server(tmp_path, exe) as client:
        live = round_trip(client, LS.tasks(ARTICLE), SECOND)
    article = tmp_path / "seeds" / ARTICLE.name
    article.parent.mkdir()
    shutil.copy(ARTICLE, article)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(live), encoding="utf-8")
    done = LS.import_export(path, article, "annotator2")
    assert sorted(map(_key, done.rows)) == sorted(map(_key, _rows(SECOND)))

    def shape(doc):
        return [
            (
                t["data"],
                sorted(t),
                [
                    (
                        sorted(a),
                        a["was_cancelled"],
                        [(r["id"], r["from_name"], r["value"]) for r in a["result"]],
                    )
                    for a in t["annotations"]
                ],
            )
            for t in doc
        ]

    golden = _export()
    for t in golden:
        t.pop("predictions")  # the golden tasks carried suggestions; these did not
        for a in t["annotations"]:
            a.pop("prediction")
    for t in live:
        t.pop("predictions")
        for a in t["annotations"]:
            a.pop("prediction")
    assert shape(live) == shape(golden)
