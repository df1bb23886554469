from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.corpus import derive, store
from bench.labels import TASKS
from tests.conftest import ARTICLE, SEEDS

SHA256 = "9819772785bb19e1b67ea8f300dbb5f63dfda8125733a565d71e88e7b70db0c5"


def _ann(seeds: Path) -> Path:
    return seeds / f"{ARTICLE}.annotations.jsonl"


def _rows(seeds: Path) -> list[dict]:
    return [json.loads(line) for line in _ann(seeds).read_text(encoding="utf-8").splitlines()]


def _write_rows(seeds: Path, rows: list[dict]) -> None:
    _ann(seeds).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )


def test_seed_article_is_byte_identical_to_the_source():
    import hashlib

    assert hashlib.sha256((SEEDS / f"{ARTICLE}.txt").read_bytes()).hexdigest() == SHA256


def test_every_evidence_matches_the_article_at_its_offsets():
    text = (SEEDS / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    derived = derive.derive(SEEDS)
    assert derived.records
    for r in derived.records:
        assert text[r["start"] : r["end"]] == r["evidence"]
        assert text[r["sentence_start"] : r["sentence_end"]] == r["sentence"]
        assert r["sentence_start"] <= r["start"] < r["end"] <= r["sentence_end"]


def test_items_of_one_sentence_share_a_group():
    derived = derive.derive(SEEDS)
    by_group: dict[str, set[str]] = {}
    for r in derived.records:
        by_group.setdefault(r["group"], set()).add(r["sentence"])
    assert all(len(s) == 1 for s in by_group.values())
    first = [r for r in derived.records if r["sentence"].startswith("In a powerful joint message")]
    assert {r["label"] for r in first} == {"condemn", "support"} and len(first) == 3


def test_counts_add_up_per_task():
    c = derive.derive(SEEDS).counts
    assert sum(c["label"].values()) == c["items"]
    assert sum(c["task"]["joint"].values()) == c["items"]
    assert c["task"]["fact"]["fact"] == c["label"]["fact"]
    assert sum(c["task"]["stance"].values()) == c["items"] - c["label"]["fact"]


def test_write_is_a_no_op_on_unchanged_seeds(tmp_path):
    out = tmp_path / "ds"
    d = derive.derive(SEEDS)
    assert derive.write(d, out) is True
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert derive.write(derive.derive(SEEDS), out) is False
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert before == after
    card = (out / "README.md").read_text(encoding="utf-8")
    assert d.content_hash in card and "| support | 9 |" in card
    assert "## Annotation guidelines (summary)" in card


def test_hash_changes_when_one_label_changes(seeds):
    before = derive.derive(seeds).content_hash
    rows = _rows(seeds)
    rows[0]["label"] = "skeptical"
    _write_rows(seeds, rows)
    assert derive.derive(seeds).content_hash != before


def test_hash_ignores_line_order(seeds):
    before = derive.derive(seeds).content_hash
    _write_rows(seeds, list(reversed(_rows(seeds))))
    assert derive.derive(seeds).content_hash == before


def test_parquet_has_typed_features(derived_dir):
    import datasets
    import pyarrow.parquet as pq

    ds = datasets.Dataset(pq.read_table(derived_dir / store.PARQUET))
    assert isinstance(ds.features["label"], datasets.ClassLabel)
    assert ds.features["label"].names == ["support", "condemn", "skeptical", "fact"]
    assert ds.features["start"].dtype == "int32"


@pytest.mark.parametrize("task", list(TASKS))
def test_load_dataset_task_views(task, tmp_path):
    import bench

    dd = bench.load_dataset(task, seeds=SEEDS, data_dir=tmp_path / "ds")
    ds = dd["train"]
    assert ds.features["label"].names == list(TASKS[task].labels)
    frame = ds.to_pandas()
    c = derive.derive(SEEDS).counts["task"][task]
    assert len(frame) == sum(c.values())
    names = ds.features["label"].names
    assert {n: int((frame["label"] == i).sum()) for i, n in enumerate(names)} == c


def test_load_dataset_rederives_when_stale(seeds, tmp_path):
    import bench

    out = tmp_path / "ds"
    bench.load_dataset("joint", seeds=seeds, data_dir=out)
    rows = _rows(seeds)
    rows[0]["label"] = "fact"
    rows[0].pop("holder")  # a fact has no holder (GUIDELINES.md)
    _write_rows(seeds, rows)
    frame = bench.load_dataset("joint", seeds=seeds, data_dir=out)["train"].to_pandas()
    assert (frame["label"] == 3).sum() == 10


def test_cli_derive_twice(seeds, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("wrote")
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("up to date")


# --- bad input: one clear line, exit code 2, no partial output -----------------------------


def _derive_error(seeds: Path, tmp_path: Path, capsys, lines: int = 1) -> str:
    out = tmp_path / "out"
    code = main(["derive", "--seeds", str(seeds), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert not out.exists(), "bad input must not leave output behind"
    assert err.count("\n") == lines and "Traceback" not in err
    return err


def _edit(seeds: Path, index: int, **changes) -> None:
    rows = _rows(seeds)
    rows[index].update(changes)
    rows[index] = {k: v for k, v in rows[index].items() if v is not None}
    _write_rows(seeds, rows)


def test_error_evidence_not_found_shows_closest_passage(seeds, tmp_path, capsys):
    _edit(seeds, 1, evidence="calling for an immediate cease-fire")
    err = _derive_error(seeds, tmp_path, capsys)
    assert f"{ARTICLE}.annotations.jsonl:2" in err
    assert "closest passage: 'calling for an immediate ceasefire" in err


def test_error_evidence_ambiguous_then_offset_fixes_it(seeds, tmp_path, capsys):
    text = (seeds / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    _edit(seeds, 1, evidence="ceasefire")
    err = _derive_error(seeds, tmp_path, capsys)
    assert "occurs 3 times" in err and 'add "offset"' in err
    _edit(seeds, 1, offset=text.index("ceasefire"))
    assert derive.derive(seeds).records


def test_error_unknown_label_suggests(seeds, tmp_path, capsys):
    _edit(seeds, 0, label="condem")
    err = _derive_error(seeds, tmp_path, capsys)
    assert (
        ":1:" in err
        and "must be one of 'support', 'condemn', 'skeptical', 'fact'; got 'condem'" in err
        and "did you mean 'condemn'?" in err
    )


@pytest.mark.parametrize("field", ["holder", "target"])
def test_error_stance_item_without_holder_or_target(field, seeds, tmp_path, capsys):
    _edit(seeds, 0, **{field: ""})
    err = _derive_error(seeds, tmp_path, capsys)
    assert f"has no {field}" in err


def test_error_duplicate_id(seeds, tmp_path, capsys):
    _edit(seeds, 3, id="putin-xi-001")
    err = _derive_error(seeds, tmp_path, capsys)
    assert "duplicate id 'putin-xi-001' (first on line 1)" in err and ":4:" in err


def test_error_empty_article(seeds, tmp_path, capsys):
    (seeds / "empty.txt").write_text("  \n", encoding="utf-8")
    (seeds / "empty.annotations.jsonl").write_text("", encoding="utf-8")
    assert "the article is empty" in _derive_error(seeds, tmp_path, capsys)


def test_error_non_utf8_article(seeds, tmp_path, capsys):
    (seeds / "latin.txt").write_bytes("Caf\xe9 talks resumed.\n".encode("latin-1"))
    (seeds / "latin.annotations.jsonl").write_text("", encoding="utf-8")
    err = _derive_error(seeds, tmp_path, capsys)
    assert "latin.txt: not UTF-8" in err


def test_error_article_without_annotations(seeds, tmp_path, capsys):
    (seeds / "new.txt").write_text("Talks resumed.\n", encoding="utf-8")
    err = _derive_error(seeds, tmp_path, capsys)
    assert "new.txt: article has no annotation file; create new.annotations.jsonl" in err


def test_error_sentence_left_unannotated(seeds, tmp_path, capsys):
    rows = [r for r in _rows(seeds) if r.get("evidence") != "The Path Ahead"]
    _write_rows(seeds, rows)
    err = _derive_error(seeds, tmp_path, capsys)
    assert "is not annotated ('The Path Ahead')" in err


def test_error_unknown_key_suggests(seeds, tmp_path, capsys):
    rows = _rows(seeds)
    rows[0]["targte"] = rows[0].pop("target")
    _write_rows(seeds, rows)
    err = _derive_error(seeds, tmp_path, capsys, lines=3)
    assert "2 annotation errors; fix them all" in err.splitlines()[0]
    assert "no such key 'targte'; did you mean 'target'?" in err.splitlines()[1]
    assert "'putin-xi-001' has no target" in err.splitlines()[2]


def test_error_invalid_json(seeds, tmp_path, capsys):
    _ann(seeds).write_text(_ann(seeds).read_text(encoding="utf-8") + "{oops\n", encoding="utf-8")
    assert "not valid JSON" in _derive_error(seeds, tmp_path, capsys)


def test_error_evidence_across_sentences(seeds, tmp_path, capsys):
    _edit(seeds, 0, evidence="return to diplomacy. The remarks")
    assert "crosses a sentence boundary" in _derive_error(seeds, tmp_path, capsys)


def test_bad_input_keeps_the_previous_dataset(seeds, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 0
    before = (out / store.PARQUET).read_bytes()
    _edit(seeds, 0, label="nope")
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 2
    assert (out / store.PARQUET).read_bytes() == before
    assert not list(tmp_path.glob(".out.*"))


def test_error_one_target_with_two_labels_in_one_sentence(seeds, tmp_path, capsys):
    _edit(seeds, 21, target="Putin as mediator")  # putin-xi-022, beside skeptical putin-xi-023
    err = _derive_error(seeds, tmp_path, capsys)
    assert "give target 'Putin as mediator' two labels in one sentence" in err


# --- writing annotations: a new article (a fixture written outside the project) ------------


def _tram(tmp_path: Path) -> Path:
    from tests.conftest import TRAM, fixture_seeds

    return fixture_seeds(tmp_path / "seeds", TRAM)


def _tram_rows(seeds: Path) -> list[dict]:
    from tests.conftest import TRAM

    path = seeds / f"{TRAM}.annotations.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _write_tram(seeds: Path, rows: list[dict]) -> None:
    from tests.conftest import TRAM

    path = seeds / f"{TRAM}.annotations.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def test_every_annotation_error_of_a_file_is_reported_at_once(tmp_path, capsys):
    seeds = _tram(tmp_path)
    rows = _tram_rows(seeds)
    rows[0]["label"] = "fcat"  # line 1: unknown label
    rows[3]["evidence"] = "praised the plans"  # line 4: not in the article
    rows[6]["holder"] = ""  # line 7: a condemn item without holder
    rows[8]["holder"] = "Dev Okonjo"  # line 9: a fact with a holder
    del rows[19]["target"]  # line 20: a fact without a target
    rows[10]["labl"] = rows[10].pop("label")  # line 11: unknown key, so no label either
    _write_tram(seeds, rows)
    err = _derive_error(seeds, tmp_path, capsys, lines=8)
    head, *listed = err.splitlines()
    assert head.endswith("7 annotation errors; fix them all, then derive again:")
    where = [line.strip().split(": ", 1)[0].rsplit(":", 1)[-1] for line in listed]
    assert where == ["1", "4", "7", "9", "11", "11", "20"]
    assert "did you mean 'fact'?" in listed[0] and "closest passage" in listed[1]
    assert "'tram-007' has no holder" in listed[2]
    assert "'fact' item 'tram-009' has holder 'Dev Okonjo'" in listed[3]
    assert "no such key 'labl'" in listed[4] and "(allowed: " in listed[4]
    assert "'exclude'" not in listed[4] and "exclude" in listed[4]  # the exclusion key is listed
    assert "'fact' item 'tram-020' has no target" in listed[6]


def test_many_errors_are_capped_with_a_count(tmp_path, capsys):
    from bench.errors import MAX_SHOWN

    seeds = _tram(tmp_path)
    rows = _tram_rows(seeds)
    rows += [{**rows[1], "id": f"extra-{i}"} for i in range(MAX_SHOWN + 5)]  # all duplicates
    rows = [{**r, "note": 3} if i < 2 else r for i, r in enumerate(rows)]  # fine: note is free
    for r in rows[-(MAX_SHOWN + 5) :]:
        r["evidence"] = "nowhere in the article at all"
    _write_tram(seeds, rows)
    err = _derive_error(seeds, tmp_path, capsys, lines=MAX_SHOWN + 2)
    assert f"{MAX_SHOWN + 5} annotation errors" in err.splitlines()[0]
    assert err.splitlines()[-1].strip() == "… and 5 more (fix these and derive again to see them)"


def test_an_item_on_an_excluded_unit_is_an_error(tmp_path, capsys):
    seeds = _tram(tmp_path)
    rows = _tram_rows(seeds)
    heading = next(r for r in rows if "exclude" in r)
    rows.append(
        {
            "id": "tram-099",
            "evidence": heading["evidence"],
            "label": "fact",
            "target": "what happens next",
            "offset": None,
        }
    )
    rows[-1].pop("offset")
    _write_tram(seeds, rows)
    # the evidence now occurs on two lines' rows, but once in the article: both are located
    err = _derive_error(seeds, tmp_path, capsys)
    assert "item 'tram-099' lies in unit 14 (headline, offsets 1843-1860)" in err
    assert f"which {heading['id']!r} (line 19) excludes" in err


def test_messages_number_units_as_the_units_command_prints_them(tmp_path, capsys):
    from tests.conftest import TRAM

    seeds = _tram(tmp_path)
    rows = [r for r in _tram_rows(seeds) if r["id"] != "tram-018"]  # unit 13: its only item
    _write_tram(seeds, rows)
    err = _derive_error(seeds, tmp_path, capsys)
    assert "unit 13 (sentence, offsets 1721-1842) is not annotated ('Green councillors" in err
    assert main(["units", TRAM, "--seeds", str(seeds)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "numbered from 0 in article order, headlines included" in out[0]
    row = next(line for line in out if line.startswith("13 "))
    assert row.split()[:3] == ["13", "sentence", "1721-1842"] and "Green councillors" in row
    text = (seeds / f"{TRAM}.txt").read_text(encoding="utf-8")
    assert text[1721:1842].startswith("Green councillors urged")
    assert main(["units", str(seeds / f"{TRAM}.txt")]) == 0  # a path works too
    assert main(["units", "aldermor-tram-extension", "--seeds", str(seeds)]) == 2
    assert f"did you mean {TRAM!r}?" in capsys.readouterr().err
