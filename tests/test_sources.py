"""Datasets by config: local files in every format, the hub code path on a local folder,
bad input, SemEval-2016 in its original layout, and cross-dataset runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import f1_score

from bench.cli import main
from bench.config import as_dict, load_config
from bench.data import source_frame
from bench.errors import ConfigError, DataError
from tests.conftest import REPO

SEMEVAL = REPO / "tests" / "data" / "semeval2016"
ROWS = pd.DataFrame(
    {
        "tid": ["a1", "a2", "a3", "a4", "a5"],
        "body": [
            "They condemned the strikes.",
            "He backs the truce.",
            "Talks were held.",
            "Critics doubt the envoy.",
            "Off-topic chatter.",
        ],
        "about": ["strikes", "truce", "talks", "envoy", "misc"],
        "y": ["AGAINST", "FAVOR", "NONE", "DOUBT", "OTHER"],
    }
)
MAPPING = (
    'columns = { id = "tid", text = "body", target = "about", label = "y" }\n'
    'labels = { AGAINST = "condemn", FAVOR = "support", NONE = "fact", '
    'DOUBT = "skeptical", OTHER = "drop" }\n'
)


def _write(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def _config(tmp_path: Path, body: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text('[model]\nname = "majority"\n' + body, encoding="utf-8")
    return p


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_every_file_format_with_column_and_label_mapping(tmp_path, suffix):
    _write(tmp_path / f"d{suffix}", ROWS)
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d{suffix}"\n{MAPPING}'))
    frame, _ = source_frame(cfg.dataset, "joint")
    assert frame["id"].tolist() == ["a1", "a2", "a3", "a4"]  # OTHER dropped
    assert frame["label"].tolist() == ["condemn", "support", "fact", "skeptical"]
    assert frame["target"].tolist() == ["strikes", "truce", "talks", "envoy"]
    assert frame["group"].tolist() == frame["id"].tolist()
    stance, _ = source_frame(cfg.dataset, "stance")
    assert stance["label"].tolist() == ["condemn", "support", "skeptical"]


def test_several_files_are_read_in_order(tmp_path):
    _write(tmp_path / "a.csv", ROWS.iloc[:2])
    _write(tmp_path / "b.csv", ROWS.iloc[2:4])
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = ["a.csv", "b.csv"]\n{MAPPING}'))
    assert source_frame(cfg.dataset, "joint")[0]["id"].tolist() == ["a1", "a2", "a3", "a4"]


def test_hub_code_path_on_a_local_folder(tmp_path, derived_dir):
    cfg = load_config(
        _config(
            tmp_path,
            f'[dataset]\nsource = "hub"\nname = "{derived_dir}"\n'
            'split = "train"\ncolumns = { text = "sentence" }\n',
        )
    )
    frame, _ = source_frame(cfg.dataset, "joint")
    assert len(frame) == 25 and set(frame["label"]) == {"support", "condemn", "skeptical", "fact"}


def test_hub_failure_is_one_clear_line(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.bin").write_bytes(b"\x00\x01")
    cfg = load_config(_config(tmp_path, '[dataset]\nsource = "hub"\nname = "./junk"\n'))
    with pytest.raises(DataError, match="could not be loaded"):
        source_frame(cfg.dataset, "joint")


@pytest.mark.parametrize("written", ["corpus", "./corpus"])
def test_a_local_hub_folder_is_relative_to_the_config_not_the_working_folder(
    tmp_path, derived_dir, monkeypatch, written
):
    shutil.copytree(derived_dir, tmp_path / "exp" / "corpus")
    config = _config(
        tmp_path / "exp",
        f'[dataset]\nsource = "hub"\nname = "{written}"\ncolumns = {{ text = "sentence" }}\n',
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    cfg = load_config(config)
    assert cfg.dataset.name == str(tmp_path / "exp" / "corpus")
    assert len(source_frame(cfg.dataset, "joint")[0]) == 25
    # the resolved config names it relative to the project, as a path, and reloads
    resolved = as_dict(cfg, root=tmp_path)
    assert resolved["dataset"]["name"] == "./exp/corpus"
    assert "name" not in as_dict(cfg, root=None)["dataset"]  # the hash holds no path


def test_a_missing_local_hub_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"names the local dataset .*nope, which does not exist"):
        load_config(_config(tmp_path, '[dataset]\nsource = "hub"\nname = "./nope"\n'))
    # a hub id is not a path: it stays as written for the hub to resolve
    cfg = load_config(_config(tmp_path, '[dataset]\nsource = "hub"\nname = "owner/nope"\n'))
    assert cfg.dataset.name == "owner/nope"


def test_a_save_to_disk_folder_is_read_with_load_from_disk(tmp_path):
    import datasets

    dd = datasets.DatasetDict(
        {"train": datasets.Dataset.from_pandas(ROWS), "dev": datasets.Dataset.from_pandas(ROWS[:2])}
    )
    dd.save_to_disk(str(tmp_path / "saved"))
    body = f'[dataset]\nsource = "hub"\nname = "saved"\nsplit = "train"\n{MAPPING}'
    cfg = load_config(_config(tmp_path, body))
    assert source_frame(cfg.dataset, "joint")[0]["id"].tolist() == ["a1", "a2", "a3", "a4"]
    cfg = load_config(_config(tmp_path, body.replace('"train"', '"test"')))
    with pytest.raises(DataError, match=r"has no split 'test'; its splits are \['dev', 'train'\]"):
        source_frame(cfg.dataset, "joint")


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda f: f.rename(columns={"body": "text2"}),
            "no column 'body' for the text (columns: 'tid', 'text2', 'about', 'y'); map it "
            "in [dataset.columns]",
        ),
        (
            lambda f: f.assign(y=["AGAINST", "favour", "NONE", "favour", "OTHER"]),
            "2 row(s) have labels with no mapping ('favour'; first: d.csv:3, d.csv:5)",
        ),
        (
            lambda f: f.assign(body=["x", " ", "y", "", "z"]),
            "2 row(s) with empty text (first: d.csv:3, d.csv:5)",
        ),
        (
            lambda f: f.assign(tid=["a1", "a1", "a3", "a4", "a5"]),
            "2 rows share an id (first: d.csv:2, d.csv:3)",
        ),
    ],
)
def test_bad_input_says_how_many_and_where(tmp_path, change, message):
    _write(tmp_path / "d.csv", change(ROWS.copy()))
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d.csv"\n{MAPPING}'))
    with pytest.raises(DataError) as err:
        source_frame(cfg.dataset, "joint")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_cell_longer_than_the_csv_modules_limit_is_read(tmp_path):
    """Python's csv reader refuses fields over 131,072 characters by default; pandas
    reads them, and the row-counting pass (run when a cell is empty) must too."""
    import csv

    frame = ROWS.assign(body=["x " * 100_000, "He backs the truce.", "", "Doubt.", "Chat."])
    _write(tmp_path / "d.csv", frame)
    limit = csv.field_size_limit()
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d.csv"\n{MAPPING}'))
    with pytest.raises(DataError, match=r"1 row\(s\) with empty text \(first: d.csv:4\)"):
        source_frame(cfg.dataset, "joint")
    assert csv.field_size_limit() == limit  # the module's limit is given back


def _jsonl(tmp_path: Path, lines: list[str]):
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(_config(tmp_path, f'[dataset]\npath = "d.jsonl"\n{MAPPING}'))


def _json_rows() -> list[str]:
    return [json.dumps(r) for r in ROWS.to_dict(orient="records")]


@pytest.mark.parametrize(
    "line, why",
    [("42", "holds a JSON int, not an object"), ('["a", "b"]', "holds a JSON list, not an object")],
)
def test_a_jsonl_line_that_is_not_an_object_names_its_line(tmp_path, line, why):
    rows = _json_rows()
    cfg = _jsonl(tmp_path, [*rows[:2], line, *rows[2:], line])
    with pytest.raises(DataError, match=re.escape(f"d.jsonl:3: {why} (2 such lines)")):
        source_frame(cfg.dataset, "joint")


def test_blank_jsonl_lines_do_not_shift_the_line_numbers(tmp_path):
    rows = _json_rows()
    rows[3] = json.dumps({**ROWS.iloc[3].to_dict(), "body": ""})
    cfg = _jsonl(tmp_path, [rows[0], "", rows[1], "   ", rows[2], rows[3], rows[4]])
    with pytest.raises(DataError, match=re.escape("1 row(s) with empty text (first: d.jsonl:6)")):
        source_frame(cfg.dataset, "joint")


def test_a_parquet_text_column_of_lists_is_named_not_crashed_on(tmp_path):
    frame = ROWS.assign(body=[["a", "b"], ["c"], ["d"], ["e"], ["f"]])
    _write(tmp_path / "d.parquet", frame)
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d.parquet"\n{MAPPING}'))
    with pytest.raises(DataError, match=r"the text 'body' is ndarray .*not text \(5 such row"):
        source_frame(cfg.dataset, "joint")


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_integer_ids_stay_integers_and_a_missing_id_is_an_error(tmp_path, suffix):
    """An integer id column with a null was read as floats: ids "0.0", "1.0", and tweet
    ids rounded into false duplicates."""
    big = [1234567890123456700 + i for i in range(5)]
    _write(tmp_path / f"d{suffix}", ROWS.assign(tid=pd.array(big, dtype="Int64")))
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d{suffix}"\n{MAPPING}'))
    assert source_frame(cfg.dataset, "joint")[0]["id"].tolist() == [str(i) for i in big[:4]]
    with_null = pd.array([*big[:2], None, *big[3:]], dtype="Int64")
    _write(tmp_path / f"d{suffix}", ROWS.assign(tid=with_null))
    where = "d.jsonl:3" if suffix == ".jsonl" else "d.parquet:row 2"
    with pytest.raises(DataError, match=re.escape(f"1 row(s) have no id (first: {where})")):
        source_frame(cfg.dataset, "joint")


def test_undecodable_bytes_name_the_line_and_the_fix(tmp_path):
    (tmp_path / "d.csv").write_bytes("body,y\nfine,NONE\ncaf\xe9 talks,NONE\n".encode("cp1252"))
    cfg = load_config(
        _config(
            tmp_path,
            '[dataset]\npath = "d.csv"\n'
            'columns = { text = "body", label = "y" }\n'
            'labels = { NONE = "fact" }\n',
        )
    )
    with pytest.raises(
        DataError,
        match=r"d.csv:3: cannot decode as utf-8 \(byte 0xe9\); "
        r'set encoding = "..."',
    ):
        source_frame(cfg.dataset, "joint")


def test_missing_file(tmp_path):
    cfg = load_config(_config(tmp_path, '[dataset]\npath = "nope.csv"\n'))
    with pytest.raises(DataError, match="nope.csv: dataset file not found"):
        source_frame(cfg.dataset, "joint")


# --- SemEval-2016 Task 6A in its original layout -----------------------------------------


def test_semeval_configs_need_the_data_folder(monkeypatch, capsys):
    monkeypatch.delenv("SEMEVAL2016_DIR", raising=False)
    code = main(["run", "-q", str(REPO / "configs" / "semeval2016")])
    err = capsys.readouterr().err
    assert code == 2 and "uses ${SEMEVAL2016_DIR}, which is not set" in err


def test_semeval_reference_baselines_end_to_end(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMEVAL2016_DIR", str(SEMEVAL))
    out = tmp_path / "runs"
    assert main(["run", "-q", str(REPO / "configs" / "semeval2016"), "--out", str(out)]) == 0
    svm = json.loads((out / "semeval2016_svm_ngrams_per_target" / "metrics.json").read_text())
    assert svm["labels"] == ["support", "condemn", "fact"]  # SemEval has no skeptical
    assert svm["primary"] == "f_avg" and svm["n_examples"] == 6
    assert set(svm["per_target"]) == {
        "Atheism",
        "Climate Change is a Real Concern",
        "Hillary Clinton",
    }
    preds = [
        json.loads(x)
        for x in (out / "semeval2016_svm_ngrams_per_target" / "predictions.jsonl")
        .read_text()
        .splitlines()
    ]
    assert [p["id"] for p in preds] == [str(i) for i in range(10001, 10007)]
    official = f1_score(
        [p["gold"] for p in preds],
        [p["predicted"] for p in preds],
        labels=["support", "condemn"],
        average="macro",
        zero_division=0,
    )
    assert svm["pooled"]["f_avg"] == pytest.approx(official)
    majority = json.loads((out / "semeval2016_majority_per_target" / "metrics.json").read_text())
    # per target, training majorities: climate FAVOR 3 of 6 -> support; Atheism AGAINST
    # 3 of 4 -> condemn; Hillary FAVOR 2 = AGAINST 2 -> the first in sorted order, condemn.
    # Test rows: C/FAVOR ok, C/AGAINST -> support, H/AGAINST ok, H/FAVOR -> condemn,
    # A/AGAINST ok, C/NONE -> support.
    assert majority["confusion_matrix"] == [[1, 1, 0], [1, 2, 0], [1, 0, 0]]
    cross = json.loads((out / "semeval2016_seed_to_semeval_svm" / "metrics.json").read_text())
    # scored over the test set's labels: the seed's skeptical items are not trained on
    assert cross["view"] == "test" and cross["labels"] == ["support", "condemn", "fact"]
    assert cross["protocol"]["dropped_train_labels"] == {"skeptical": 4}
    assert cross["n_examples"] == 6 and "f_avg" in cross["pooled"]
    back = json.loads((out / "semeval2016_semeval_to_seed_svm" / "metrics.json").read_text())
    assert back["view"] == "test" and back["labels"] == ["support", "condemn", "skeptical", "fact"]
    assert back["n_examples"] == 25 and back["views"]["contrast"]["capabilities"]


def _three_label_rows(n: int = 24) -> pd.DataFrame:
    words = {"support": "backs welcomes", "condemn": "condemns denounces", "fact": "was held"}
    labels = ["support", "condemn", "fact"] * (n // 3)
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "text": [f"Official {i} {words[lab]} the plan." for i, lab in enumerate(labels)],
            "target": ["plan"] * n,
            "label": labels,
        }
    )


def test_a_label_no_row_holds_is_left_out_of_the_macro_average(tmp_path):
    """Our own labels, no mapping, no ``skeptical`` row: the run is scored over the three
    labels the data holds (a fourth, empty label would pull macro F1 down by a quarter)."""
    _write(tmp_path / "d.csv", _three_label_rows())
    cfg = _config(
        tmp_path,
        '[dataset]\npath = "d.csv"\n[protocol]\nn_splits = 3\n'
        '[metrics]\nf_avg_labels = ["support", "condemn"]\n',
    )
    out = tmp_path / "runs"
    assert main(["run", "-q", str(cfg), "--out", str(out)]) == 0
    metrics = json.loads((out / "c" / "metrics.json").read_text())
    assert metrics["labels"] == ["support", "condemn", "fact"]
    preds = [json.loads(x) for x in (out / "c" / "predictions.jsonl").read_text().splitlines()]
    gold = [p["gold"] for p in preds]
    pred = [p["predicted"] for p in preds]
    expected = f1_score(
        gold, pred, labels=["support", "condemn", "fact"], average="macro", zero_division=0
    )
    assert metrics["pooled"]["macro_f1"] == pytest.approx(expected)


def test_f_avg_over_a_label_the_dataset_lacks_names_the_dataset(tmp_path, capsys):
    _write(tmp_path / "d.csv", _three_label_rows())
    cfg = _config(
        tmp_path,
        '[dataset]\npath = "d.csv"\n[metrics]\nf_avg_labels = ["support", "skeptical"]\n',
    )
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "the [dataset] data holds no 'skeptical'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "task, test_labels, message",
    [
        ("stance", ["fact", "fact"], "the [test] data holds no row of the task 'stance'"),
        ("joint", ["skeptical", "fact"], "[dataset] holds no training row of the labels"),
        ("fact", ["support", "condemn"], "the [test] data holds one label of the task 'fact'"),
    ],
)
def test_a_test_set_with_no_usable_rows_says_so(tmp_path, capsys, task, test_labels, message):
    """Once a misleading "group_by needs a group per row" (no rows: no groups), or, for a
    test set of one label, a perfect score that measured nothing."""
    train = _three_label_rows()
    _write(tmp_path / "d.csv", train[train["label"] != "fact"])  # support and condemn
    test = pd.DataFrame(
        {"id": ["t1", "t2"], "text": ["A.", "B."], "target": ["p", "q"], "label": test_labels}
    )
    _write(tmp_path / "t.csv", test)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'task = "{task}"\n[model]\nname = "majority"\n[dataset]\npath = "d.csv"\n'
        '[protocol]\nkind = "split"\n[test]\npath = "t.csv"\n'
    )
    assert main(["run", "-q", str(cfg), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_items_header_lists_the_labels_the_run_is_scored_over(tmp_path):
    """A system told it may answer ``skeptical`` on data without such rows had those
    answers scored as unknown labels."""
    _write(tmp_path / "d.csv", _three_label_rows())
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[model]\nname = "predictions"\npath = "p.jsonl"\n[dataset]\npath = "d.csv"\n'
        "[protocol]\nn_splits = 3\nn_repeats = 1\n"
    )
    assert main(["items", str(cfg), "--out", str(tmp_path / "items.jsonl")]) == 0
    header = json.loads((tmp_path / "items.jsonl").read_text().splitlines()[0])
    assert header["labels"] == ["support", "condemn", "fact"]


def test_a_csv_whose_rows_end_with_the_delimiter_is_read_column_by_column(tmp_path):
    """Some exporters end every data row with a comma: pandas took the first column as
    an index, and every label shifted into the wrong column ("no label")."""
    header = "tid,body,about,y\n"
    rows = "".join(f"{r.tid},{r.body},{r.about},{r.y},\n" for r in ROWS.itertuples())
    (tmp_path / "d.csv").write_text(header + rows)
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d.csv"\n{MAPPING}'))
    frame, _ = source_frame(cfg.dataset, "joint")
    assert frame["id"].tolist() == ["a1", "a2", "a3", "a4"]
    assert frame["label"].tolist() == ["condemn", "support", "fact", "skeptical"]
    # a row whose field past the header is not empty is an error, not silently cut
    (tmp_path / "d.csv").write_text(header + rows.replace("a3,Talks", "a3,Talks,extra", 1))
    with pytest.raises(
        DataError, match=re.escape("d.csv:4: row has 6 fields where the rows before it have 5")
    ):
        source_frame(cfg.dataset, "joint")


def test_r_row_names_still_read_as_an_index(tmp_path):
    """R's write.table(sep = ",") writes one field more per row than in the header: the
    row names, which pandas reads as the index (not a delimiter ending every row)."""
    header = "tid,body,about,y\n"
    rows = "".join(
        f"{i},{r.tid},{r.body},{r.about},{r.y}\n" for i, r in enumerate(ROWS.itertuples())
    )
    (tmp_path / "d.csv").write_text(header + rows)
    cfg = load_config(_config(tmp_path, f'[dataset]\npath = "d.csv"\n{MAPPING}'))
    frame, _ = source_frame(cfg.dataset, "joint")
    assert frame["id"].tolist() == ["a1", "a2", "a3", "a4"]
    assert frame["label"].tolist() == ["condemn", "support", "fact", "skeptical"]


def test_jsonl_lines_python_cannot_parse_name_their_line(tmp_path):
    rows = _json_rows()
    cfg = _jsonl(tmp_path, [rows[0], "[" * 100_000, *rows[1:]])
    with pytest.raises(DataError, match=re.escape("d.jsonl:2: not JSON this reader takes")):
        source_frame(cfg.dataset, "joint")
    cfg = _jsonl(tmp_path, ["{}", "{}"])
    with pytest.raises(DataError, match=re.escape("holds empty objects only")):
        source_frame(cfg.dataset, "joint")


def test_a_lone_surrogate_escape_names_its_line_and_a_pair_is_text(tmp_path):
    rows = _json_rows()
    emoji = rows[1].replace("He backs", "He \\ud83d\\ude00 backs")
    cfg = _jsonl(tmp_path, [rows[0], emoji, *rows[2:]])
    assert "\U0001f600" in source_frame(cfg.dataset, "joint")[0]["text"].iloc[1]
    lone = rows[2].replace("Talks", "Talks \\ud800")
    cfg = _jsonl(tmp_path, [rows[0], rows[1], lone, *rows[3:]])
    with pytest.raises(DataError, match=re.escape("d.jsonl:3: holds a lone surrogate escape")):
        source_frame(cfg.dataset, "joint")


def test_the_default_f_avg_takes_the_labels_the_data_holds(tmp_path):
    """Data without a condemn row: the default F_avg (support, condemn) is F1(support),
    not an error the user never asked for (primary is macro-F1)."""
    rows = _three_label_rows().replace({"label": {"condemn": "skeptical"}})
    _write(tmp_path / "d.csv", rows)
    cfg = _config(tmp_path, '[dataset]\npath = "d.csv"\n[protocol]\nn_splits = 3\n')
    out = tmp_path / "runs"
    assert main(["run", "-q", str(cfg), "--out", str(out)]) == 0
    metrics = json.loads((out / "c" / "metrics.json").read_text())
    assert metrics["labels"] == ["support", "skeptical", "fact"]
    assert metrics["f_avg_labels"] == ["support"]
    preds = [json.loads(x) for x in (out / "c" / "predictions.jsonl").read_text().splitlines()]
    expected = f1_score(
        [p["gold"] for p in preds],
        [p["predicted"] for p in preds],
        labels=["support"],
        average="macro",
        zero_division=0,
    )
    assert metrics["pooled"]["f_avg"] == pytest.approx(expected)
