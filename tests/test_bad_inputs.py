"""Bad input, table-driven (issue 9): every case runs the real CLI entry point on files
written into a temp folder and must give exit code 2 (or the code it names), exactly one
line on stderr, ``stance-bench: error: ...`` holding the case's substring, no traceback,
and leave every file that was there byte-identical (new files only where the case says).

A few behaviours that are not errors (a BOM is stripped, a derived folder is replaced, an
interrupted run keeps the completed ones) follow the table as plain tests.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.cli import main
from tests.conftest import ARTICLE, SEEDS, write_base_config
from tests.runs import noisy
from tests.runs import write_run as write_fake_run

ANN = f"{ARTICLE}.annotations.jsonl"
MAX_LINE = 400  # a message that quotes data caps the quote; none needs more than this


# ------------------------------------------------------------------------------ helpers
def _text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _seeds(tmp: Path) -> Path:
    dest = tmp / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


def _edit_ann(tmp: Path, index: int, **changes) -> Path:
    seeds = _seeds(tmp)
    path = seeds / ANN
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    rows[index].update(changes)
    rows[index] = {k: v for k, v in rows[index].items() if v is not None}
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return seeds


def _base(tmp: Path, data: Path, task: str = "joint") -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    write_base_config(tmp / "_base.toml", data, task=task)


def _config(tmp: Path, data: Path, body: str, name: str = "c.toml") -> Path:
    """A config extending the fast base, ``body`` added (model majority unless given)."""
    _base(tmp, data)
    model = "" if "[model]" in body else '[model]\nname = "majority"\n'
    return _text(tmp / name, f'extends = "_base.toml"\n{body}{model}')


def _file_config(tmp: Path, data_file: str, extra: str = "", labels: str = "") -> Path:
    """A config that trains on a file of ours (no base: no seed dataset)."""
    return _text(
        tmp / "c.toml",
        '[model]\nname = "majority"\n[protocol]\nn_splits = 2\nn_repeats = 1\n'
        f'[metrics]\nbootstrap = 0\n[dataset]\npath = "{data_file}"\n{extra}{labels or LABELS}',
    )


LABELS = '[dataset.labels]\nA = "condemn"\nF = "support"\nN = "fact"\n'


CSV_ROWS = "".join(f"{i},Row number {i} says something.,{'AFN'[i % 3]}\n" for i in range(1, 13))


def _fake_runs(folder: Path, n: int = 125, task: str = "joint", **kw) -> Path:
    gold = [i % 4 for i in range(n)]
    return write_fake_run(folder, "m", gold, noisy(gold, 0.7, 1), task=task, **kw)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root``: a file's bytes, or None for a folder."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = None if p.is_dir() else p.read_bytes()
    return out


# -------------------------------------------------------------------------------- setups
# Each takes (tmp, data) -- data is the session's derived seed dataset -- writes files in
# tmp and returns the argv for ``bench.cli.main`` (paths may be relative to tmp: the
# test runs from tmp).
Setup = Callable[[Path, Path], list[str]]


def derive_into_foreign_folder(tmp, data):
    _text(tmp / "imp" / "thesis.txt", "x\n")
    return ["derive", "--seeds", str(SEEDS), "--out", "imp"]


def derive_into_file(tmp, data):
    _text(tmp / "FILE", "x\n")
    return ["derive", "--seeds", str(SEEDS), "--out", "FILE"]


def derive_under_file(tmp, data):
    _text(tmp / "FILE", "x\n")
    return ["derive", "--seeds", str(SEEDS), "--out", "FILE/sub"]


def derive_into_folder_with_foreign_info(tmp, data):
    _text(tmp / "imp" / "dataset_info.json", '{"mine": true}\n')
    return ["derive", "--seeds", str(SEEDS), "--out", "imp"]


def derive_seeds(seeds_setup: Callable[[Path], Path]) -> Setup:
    def setup(tmp, data):
        return ["derive", "--seeds", str(seeds_setup(tmp)), "--out", "out"]

    return setup


def _empty_seeds(tmp):
    (tmp / "seeds").mkdir()
    return tmp / "seeds"


def _unannotated(tmp):
    seeds = _seeds(tmp)
    path = seeds / ANN
    rows = [r for r in path.read_text("utf-8").splitlines() if "The Path Ahead" not in r]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return seeds


def _long_evidence(tmp):
    return _edit_ann(tmp, 1, evidence="calling for peace " * 60_000)  # ~1 MB, not found


def _long_label(tmp):
    return _edit_ann(tmp, 0, label="x" * 100_000)


def _long_id_at_wrong_offset(tmp):
    return _edit_ann(tmp, 0, id="i" * 100_000, offset=5)


def _annotation_not_object(tmp):
    seeds = _seeds(tmp)
    with open(seeds / ANN, "a", encoding="utf-8") as fh:
        fh.write("[1, 2]\n")
    return seeds


def _orphan_annotations(tmp):
    seeds = _seeds(tmp)
    _text(seeds / f"lost{ANN[len(ARTICLE) :]}", "")
    return seeds


def _bad_contrast_rules(tmp):
    seeds = _seeds(tmp)
    _text(seeds / "contrast" / "mft.toml", "this is = not toml [\n")
    return seeds


def run(config: Callable[[Path, Path], Path | str], *extra: str) -> Setup:
    """``stance-bench run -q CONFIG --out runs EXTRA``."""

    def setup(tmp, data):
        return ["run", "-q", str(config(tmp, data)), "--out", "runs", *extra]

    return setup


def cfg(body: str) -> Callable[[Path, Path], Path]:
    return lambda tmp, data: _config(tmp, data, body)


def raw_config(text: str | bytes) -> Callable[[Path, Path], Path]:
    def write(tmp, data):
        path = tmp / "c.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            _text(path, text)
        return path

    return write


def plugin(source: str, factory: str = "build") -> Callable[[Path, Path], Path]:
    """A plug-in module beside the config (a fresh module name per test)."""

    def write(tmp, data):
        mod = f"plug_{tmp.name.replace('-', '_').replace('.', '_')}"
        _text(tmp / f"{mod}.py", source)
        return _config(tmp, data, f'[model]\nname = "{mod}:{factory}"\n')

    return write


def two_configs_one_name(tmp, data):
    _config(tmp / "cfgs", data, 'name = "same"\n', "a.toml")
    _config(tmp / "cfgs", data, 'name = "same"\n', "b.toml")
    return ["run", "-q", "cfgs", "--out", "runs"]


def no_configs_in_folder(tmp, data):
    _text(tmp / "cfgs" / "_base.toml", "seed = 1\n")
    _text(tmp / "cfgs" / "notes.txt", "no configs here\n")
    return ["run", "-q", "cfgs", "--out", "runs"]


def extends_folder(tmp, data):
    (tmp / "basedir").mkdir()
    return raw_config('extends = "basedir"\n[model]\nname = "majority"\n')(tmp, data)


def extends_cycle(tmp, data):
    _text(tmp / "a.toml", 'extends = "b.toml"\n[model]\nname = "majority"\n')
    _text(tmp / "b.toml", 'extends = "a.toml"\n')
    return tmp / "a.toml"


def file_data(name: str, content: str | bytes, extra: str = "", labels: str = ""):
    def write(tmp, data):
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            _text(path, content)
        return _file_config(tmp, name, extra, labels)

    return write


def parquet_wrong_columns(tmp, data):
    import pandas as pd

    pd.DataFrame({"body": ["a b", "c d"], "y": ["A", "F"]}).to_parquet(tmp / "d.parquet")
    return _file_config(tmp, "d.parquet")


def out_is_file(tmp, data):
    _text(tmp / "runs", "precious\n")
    return ["run", "-q", str(_config(tmp, data, "")), "--out", "runs"]


def out_under_file(tmp, data):
    _text(tmp / "runs", "precious\n")
    return ["run", "-q", str(_config(tmp, data, "")), "--out", "runs/sub"]


def out_run_name_taken(tmp, data):
    _text(tmp / "runs" / "c" / "thesis.txt", "precious\n")
    return ["run", "-q", str(_config(tmp, data, "")), "--out", "runs"]


def cut_candidate(tmp, data):
    _fake_runs(tmp / "base")
    cand = _fake_runs(tmp / "cand")
    lines = (cand / "predictions.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 125
    (cand / "predictions.jsonl").write_text("".join(lines[:60]))
    return ["compare", "base/m", "cand/m"]


def empty_metrics(command: str) -> Setup:
    def setup(tmp, data):
        _fake_runs(tmp / "base")
        run_dir = _fake_runs(tmp / "runs")
        (run_dir / "metrics.json").write_text("{}")
        argv = {
            "compare": ["compare", "base/m", "runs/m"],
            "leaderboard": ["leaderboard", "runs"],
            "report": ["report", "runs/m"],
        }
        return argv[command]

    return setup


def not_json_metrics(tmp, data):
    run_dir = _fake_runs(tmp / "runs")
    (run_dir / "metrics.json").write_text('{"config": ')
    return ["leaderboard", "runs"]


def compare_tasks(tmp, data):
    _fake_runs(tmp / "base")
    gold = [i % 2 for i in range(40)]
    cand = tmp / "cand"
    write_fake_run(cand, "m", gold, gold, task="fact")  # labels stance, fact
    return ["compare", "base/m", "cand/m"]


def runs_then(argv: list[str]) -> Setup:
    def setup(tmp, data):
        _fake_runs(tmp / "runs")
        return argv

    return setup


def report_non_run(tmp, data):
    _text(tmp / "notarun" / "notes.md", "hello\n")
    return ["report", "notarun"]


def leaderboard_sort_log_loss(tmp, data):
    _fake_runs(tmp / "runs")
    return ["leaderboard", "runs", "--sort", "log_loss"]


def leaderboard_out_folder(tmp, data):
    _fake_runs(tmp / "runs")
    (tmp / "board").mkdir()
    return ["leaderboard", "runs", "--out", "board"]


def leaderboard_empty(tmp, data):
    (tmp / "runs").mkdir()
    _text(tmp / "runs" / ".x.abc.partial" / "metrics.json", "{}")
    return ["leaderboard", "runs"]


def check_reference_missing(tmp, data):
    return ["check", str(_config(tmp, data, "")), "--reference", str(tmp / "nonexistent")]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup
    message: str
    code: int = 2
    new: tuple[str, ...] = ()  # fnmatch patterns (relative to tmp) of allowed new paths
    xfail: str = ""  # the fix needed, in a file this module's author does not own


RUNS = ("runs", "runs/.stance-bench.lock")

CASES = [
    # --- derive: --out -----------------------------------------------------------------
    Case("derive-out-foreign-folder", derive_into_foreign_folder, "imp: not a dataset folder"),
    Case("derive-out-foreign-info", derive_into_folder_with_foreign_info, "not a dataset folder"),
    Case("derive-out-file", derive_into_file, "FILE: is a file"),
    Case("derive-out-under-file", derive_under_file, "FILE is a file"),
    # --- derive: seeds ---------------------------------------------------------------------
    Case("seeds-missing", derive_seeds(lambda t: t / "nope"), "seeds folder not found"),
    Case("seeds-no-articles", derive_seeds(_empty_seeds), "no articles (*.txt)"),
    Case("annotation-sentence-missing", derive_seeds(_unannotated), "is not annotated"),
    Case(
        "evidence-not-found",
        derive_seeds(lambda t: _edit_ann(t, 1, evidence="calling for an immediate cease-fire")),
        f"{ANN}:2: evidence of 'putin-xi-002' not found verbatim",
    ),
    Case("evidence-1mb-fast-short", derive_seeds(_long_evidence), "not found verbatim"),
    Case("label-unknown", derive_seeds(lambda t: _edit_ann(t, 0, label="condem")), "'condemn'?"),
    Case("label-huge-capped", derive_seeds(_long_label), "'fact'; got 'xxxx"),
    Case("id-huge-capped", derive_seeds(_long_id_at_wrong_offset), "is not at offset 5"),
    Case("annotation-not-object", derive_seeds(_annotation_not_object), "expected a JSON object"),
    Case(
        "offset-negative",
        derive_seeds(lambda t: _edit_ann(t, 0, offset=-3)),
        "'offset' (a character offset) must be an integer >= 0; got -3",
    ),
    Case(
        "evidence-many-hits-capped",
        derive_seeds(lambda t: _edit_ann(t, 1, evidence="e")),
        ', …); add "offset"',
    ),
    Case("annotations-without-article", derive_seeds(_orphan_annotations), "has no article"),
    Case("contrast-rules-bad-toml", derive_seeds(_bad_contrast_rules), "mft.toml: not valid TOML"),
    # --- configs ---------------------------------------------------------------------------
    Case("config-empty", run(raw_config("")), "no [model] table"),
    Case("config-not-utf8", run(raw_config(b'description = "caf\xe9"\n')), "not UTF-8"),
    Case("config-bad-toml", run(raw_config("[model\n")), "not valid TOML"),
    Case("config-unknown-key", run(cfg("sede = 3\n")), "No such key 'sede'"),
    Case("config-unknown-table", run(cfg("[modle]\nname = 'x'\n")), "did you mean 'model'?"),
    Case("config-unknown-subkey", run(cfg("[protocol]\nn_split = 2\n")), "'n_splits'?"),
    Case("config-wrong-type", run(cfg('[protocol]\nn_splits = "3"\n')), "must be an integer"),
    Case("config-bad-choice", run(cfg('task = "jiont"\n')), "did you mean 'joint'?"),
    Case("config-table-not-table", run(cfg("metrics = 3\n")), "[metrics] of"),
    Case("config-duplicate-names", two_configs_one_name, "names must be unique"),
    Case("config-folder-without-configs", no_configs_in_folder, "no configs (*.toml) in cfgs"),
    Case("config-missing", run(lambda t, d: t / "nope.toml"), "nope.toml: no such config"),
    Case("extends-folder", run(extends_folder), "names a folder"),
    Case(
        "extends-missing",
        run(raw_config('extends = "nope.toml"\n')),
        "nope.toml, which does not exist",
    ),
    Case("extends-cycle", run(extends_cycle), "forms a cycle"),
    Case("name-traversal", run(cfg('name = "../victim"\n')), "not a safe folder name"),
    Case("name-absolute", run(cfg('name = "/tmp/victim"\n')), "not a safe folder name"),
    Case("env-var-unset", run(cfg('[dataset]\npath = "${NO_SUCH_VAR_X}/d.csv"\n')), "is not set"),
    Case(
        "dataset-path-without-source",
        run(cfg('[dataset]\npath = "missing.csv"\n')),
        "missing.csv: dataset file not found",
    ),
    Case("f-avg-unknown-label", run(cfg('[metrics]\nf_avg_labels = ["suport"]\n')), "'support'"),
    # --- models ----------------------------------------------------------------------------
    Case("model-unknown", run(cfg('[model]\nname = "svm"\n')), "unknown model 'svm'"),
    Case("model-C-negative", run(cfg('[model]\nname = "tfidf_svm"\nC = -1.0\n')), "'C'"),
    Case(
        "model-ngrams-reversed",
        run(cfg('[model]\nname = "tfidf_svm"\nword_ngrams = [2, 1]\n')),
        "word_ngrams",
    ),
    Case("model-unknown-param", run(cfg('[model]\nname = "majority"\nCC = 1\n')), "CC"),
    Case(
        "plugin-factory-raises",
        run(plugin("def build():\n    raise RuntimeError('no weights here')\n")),
        "no weights here",
        new=("__pycache__*",),
    ),
    Case(
        "plugin-returns-42",
        run(plugin("def build():\n    return 42\n")),
        "not an estimator",
        new=("__pycache__*",),
    ),
    Case(
        "plugin-import-raises",
        run(plugin("raise ImportError('broken plug-in')\n")),
        "broken plug-in",
        new=("__pycache__*",),
    ),
    Case(
        "plugin-no-factory",
        run(plugin("x = 1\n")),
        "has no callable 'build'",
        new=("__pycache__*",),
    ),
    # --- data files ------------------------------------------------------------------------
    Case(
        "column-mapped-absent",
        run(file_data("d.csv", "id,text,label\n" + CSV_ROWS, 'columns = { target = "Tgt" }\n')),
        "no column 'Tgt' for the target",
    ),
    Case(
        "jsonl-null-text",
        run(
            file_data(
                "d.jsonl",
                '{"Tweet": "a b", "label": "A"}\n{"Tweet": null, "label": "F"}\n',
                'columns = { text = "Tweet" }\n',
            )
        ),
        "d.jsonl:2",
    ),
    Case(
        "csv-short-row",
        run(file_data("d.csv", "id,text,label\n" + CSV_ROWS + "13,A short row\n")),
        "d.csv:14: row has 2 field(s) where the header has 3",
    ),
    Case(
        "csv-line-after-multiline-and-blank-rows",
        run(file_data("d.csv", 'id,text,label\n1,"two\nlines",A\n\n2," ",F\n' + CSV_ROWS)),
        "1 row(s) with empty text (first: d.csv:5)",
    ),
    Case(
        "jsonl-null-label",
        run(file_data("d.jsonl", '{"text": "a b", "label": "A"}\n{"text": "c", "label": null}\n')),
        "1 row(s) have no label (first: d.jsonl:2)",
    ),
    Case(
        "csv-long-row",
        run(file_data("d.csv", "id,text,label\n" + CSV_ROWS + "13,a,b,A\n")),
        "d.csv:14: row has 4 fields where the rows before it have 3",
    ),
    Case("csv-empty", run(file_data("d.csv", "")), "d.csv: the file is empty"),
    Case("csv-header-only", run(file_data("d.csv", "id,text,label\n")), "d.csv: no data rows"),
    Case(
        "csv-one-label",
        run(file_data("d.csv", "id,text,label\n" + "".join(f"{i},t {i},A\n" for i in range(9)))),
        "has the label 'condemn'",
    ),
    Case(
        "csv-label-unmapped",
        run(
            file_data(
                "d.csv", "id,text,label\n" + CSV_ROWS, labels='[dataset.labels]\nA = "condemn"\n'
            )
        ),
        "no mapping ('F', 'N'",
    ),
    Case(
        "csv-not-utf8",
        run(file_data("d.csv", b"id,text,label\n1,caf\xe9,A\n")),
        "d.csv:2: cannot decode as utf-8",
    ),
    Case(
        "parquet-wrong-columns",
        run(parquet_wrong_columns),
        "no column 'text' for the text",
    ),
    Case("format-unknown", run(file_data("d.xlsx", "x")), "cannot tell the format"),
    # --- run: output -----------------------------------------------------------------------
    Case("out-is-file", out_is_file, "is a file"),
    Case("out-under-file", out_under_file, "is a file"),
    Case("out-run-name-taken", out_run_name_taken, "not a run folder", new=RUNS),
    Case("n-jobs-0", run(cfg(""), "--n-jobs", "0"), "--n-jobs"),
    Case("threads-0", run(cfg(""), "--threads", "0"), "--threads"),
    Case("seed-out-of-range", run(cfg("seed = -1\n")), "'seed'"),
    Case(
        "test-size-out-of-range",
        run(cfg('[protocol]\nkind = "split"\ntest_size = 1.5\n')),
        "'test_size'",
    ),
    # --- compare, leaderboard, report, check ------------------------------------------------
    Case("compare-cut-predictions", cut_candidate, "cut"),
    Case("compare-empty-metrics", empty_metrics("compare"), "metrics.json lacks"),
    Case("leaderboard-empty-metrics", empty_metrics("leaderboard"), "metrics.json lacks"),
    Case("report-empty-metrics", empty_metrics("report"), "metrics.json lacks"),
    Case("leaderboard-metrics-not-json", not_json_metrics, "not valid JSON"),
    Case("compare-different-tasks", compare_tasks, "compare runs of the same task"),
    Case("compare-missing", runs_then(["compare", "runs/m", "nope"]), "nope: no such run"),
    Case(
        "compare-unknown-metric",
        runs_then(["compare", "runs/m", "runs/m", "--metric", "f1"]),
        "--metric",
    ),
    Case(
        "compare-unknown-test",
        runs_then(["compare", "runs/m", "runs/m", "--test", "ttest"]),
        "--test",
    ),
    Case("report-non-run", report_non_run, "not a complete run folder"),
    Case("leaderboard-sort-log-loss", leaderboard_sort_log_loss, "--no-tiers"),
    Case("leaderboard-out-folder", leaderboard_out_folder, "is a folder"),
    Case("leaderboard-only-staging", leaderboard_empty, "no run folders"),
    Case("check-reference-missing", check_reference_missing, "nonexistent"),
    Case(
        "leaderboard-unknown-sort",
        runs_then(["leaderboard", "runs", "--sort", "f1"]),
        "--sort",
    ),
    Case("report-missing", lambda t, d: ["report", "nope"], "nope"),
    Case("unknown-command", lambda t, d: ["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)])
        if c.xfail
        else pytest.param(c, id=c.id)
        for c in CASES
    ],
)
def test_bad_input(case: Case, tmp_path, derived_dir, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    argv = case.setup(tmp_path, derived_dir)
    before, data_before = _snapshot(tmp_path), _snapshot(derived_dir)
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("stance-bench: error: "), err
    assert case.message in lines[0]
    assert len(lines[0]) <= MAX_LINE, f"{len(lines[0])} characters"
    assert code == case.code
    after = _snapshot(tmp_path)
    for rel, content in before.items():
        assert rel in after, f"{rel} was removed"
        assert after[rel] == content, f"{rel} was changed"
    new = [rel for rel in after if rel not in before]
    unexpected = [r for r in new if not any(fnmatch.fnmatch(r, p) for p in case.new)]
    assert not unexpected, f"new paths: {unexpected}"
    assert _snapshot(derived_dir) == data_before


# ------------------------------------------------------------ not errors, but the same issue
def test_a_bom_in_the_article_and_the_annotations_is_stripped(tmp_path):
    from bench.corpus import derive

    seeds = _seeds(tmp_path)
    for name in (f"{ARTICLE}.txt", ANN):
        (seeds / name).write_bytes(b"\xef\xbb\xbf" + (seeds / name).read_bytes())
    got, want = derive.derive(seeds), derive.derive(SEEDS)
    assert got.content_hash == want.content_hash  # same offsets, same text
    text = (SEEDS / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    assert all(text[r["start"] : r["end"]] == r["evidence"] for r in got.records)


def test_a_long_paragraph_is_segmented_in_pieces_with_exact_offsets():
    from bench.corpus import segment

    line = "The minister said the talks went well. Dr. Lee (of the U.N.) agreed. " * 700
    units = segment.segment(line + "\n")  # ~50 KB: pysbd sees it in pieces of ~2,000
    assert len(units) == 1400
    assert all(line[u.start : u.end] == u.text for u in units)
    assert units[1].text == "Dr. Lee (of the U.N.) agreed."


def test_derive_replaces_its_own_folder_and_fills_an_empty_one(tmp_path, seeds, capsys):
    out = tmp_path / "ds"
    out.mkdir()
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 0
    rows = (seeds / ANN).read_text(encoding="utf-8").replace('"support"', '"condemn"', 1)
    (seeds / ANN).write_text(rows, encoding="utf-8")
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ds")]
    (out / "notes.txt").write_text("mine\n")  # now it holds a file derive did not write
    (seeds / ANN).write_text(rows.replace('"condemn"', '"support"', 1), encoding="utf-8")
    assert main(["derive", "--seeds", str(seeds), "--out", str(out)]) == 2
    assert "derive replaces only its own folders" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine\n"


def test_python_api_names_its_own_argument(tmp_path, monkeypatch):
    import bench
    from bench.errors import DataError

    monkeypatch.chdir(tmp_path)  # (without seeds, the packaged ones: tests/test_project.py)
    with pytest.raises(DataError, match=r"bench\.load_dataset\(seeds=\.\.\.\)") as err:
        bench.load_dataset(seeds=tmp_path / "no-seeds")
    assert "--seeds" not in str(err.value)


def test_null_cells_are_empty_not_nan(tmp_path):
    from bench.config import load_config
    from bench.data import source_frame

    rows = [
        {"Tweet": "They condemned it.", "Target": None, "Stance": "AGAINST", "ID": 1},
        {"Tweet": "He backs it.", "Target": "truce", "Stance": "FAVOR", "ID": 2},
    ]
    _text(tmp_path / "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    cfg = load_config(
        _text(
            tmp_path / "c.toml",
            '[model]\nname = "majority"\n[dataset]\npath = "d.jsonl"\n'
            'columns = { text = "Tweet", target = "Target", label = "Stance", id = "ID" }\n'
            'labels = { AGAINST = "condemn", FAVOR = "support" }\n',
        )
    )
    frame, _ = source_frame(cfg.dataset, "joint")
    assert frame["target"].tolist() == ["", "truce"] and frame["id"].tolist() == ["1", "2"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("d.csv", "id,text,label\n1,a b,A\n2,c d,F\n"),
        (
            "d.jsonl",
            '{"id": 1, "text": "a b", "label": "A"}\n{"id": 2, "text": "c", "label": "F"}\n',
        ),
    ],
)
def test_a_bom_in_a_data_file_is_stripped(tmp_path, name, content):
    from bench.config import load_config
    from bench.data import source_frame

    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    frame, _ = source_frame(load_config(_file_config(tmp_path, name)).dataset, "joint")
    assert frame["id"].tolist() == ["1", "2"] and frame["label"].tolist() == ["condemn", "support"]


def test_a_corrupt_run_is_rerun_not_reused(tmp_path, derived_dir, capsys):
    config = _config(tmp_path, derived_dir, "")
    assert main(["run", "-q", str(config), "--out", str(tmp_path / "runs")]) == 0
    (tmp_path / "runs" / "c" / "metrics.json").write_text('{"config": ')
    capsys.readouterr()
    assert main(["run", "-q", str(config), "--out", str(tmp_path / "runs")]) == 0
    assert "(0 unchanged, reused)" in capsys.readouterr().out
    assert json.loads((tmp_path / "runs" / "c" / "metrics.json").read_text())["config"] == "c"


def test_interrupt_keeps_completed_runs(tmp_path, derived_dir, capsys, monkeypatch, recwarn):
    """Ctrl-C: exit 130, one line, the runs already written kept; no library warning
    either (outside pytest a warning reaches stderr beside the line; here it is recorded)."""
    import bench.report.html as html

    first = _config(tmp_path, derived_dir, "", "a.toml")
    second = _config(tmp_path, derived_dir, "", "b.toml")
    out = tmp_path / "runs"
    assert main(["run", "-q", str(first), "--out", str(out)]) == 0
    kept = (out / "a" / "metrics.json").read_bytes()

    def interrupted(data):
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render", interrupted)
    capsys.readouterr()
    assert main(["run", "-q", str(first), str(second), "--out", str(out), "--force"]) == 130
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert [str(w.message) for w in recwarn] == []
    assert (out / "a" / "metrics.json").read_bytes() == kept
    assert not (out / "b").exists() and not list(out.glob(".b.*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_out_folder_fails_before_any_fitting(tmp_path, derived_dir, capsys):
    out = tmp_path / "runs"
    out.mkdir()
    out.chmod(0o555)
    try:
        code = main(["run", "-q", str(_config(tmp_path, derived_dir, "")), "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert code == 2 and "is not writable" in capsys.readouterr().err


def test_markdown_and_html_escape_description_and_target_text(tmp_path, capsys):
    evil = "x | `y` <img src=x onerror=alert(1)>\n# heading"
    import pandas as pd

    pd.DataFrame(
        {
            "id": range(12),
            "text": [f"Row {i} says something." for i in range(12)],
            "target": [evil if i % 2 else "calm" for i in range(12)],
            "label": ["AF"[i % 2] for i in range(12)],
        }
    ).to_csv(tmp_path / "d.csv", index=False)
    config = _file_config(tmp_path, "d.csv")
    text = config.read_text(encoding="utf-8")
    config.write_text(f"description = {json.dumps(evil)}\n" + text, encoding="utf-8")
    out = tmp_path / "runs"
    assert main(["run", "-q", str(config), "--out", str(out)]) == 0
    capsys.readouterr()
    for path in (out / "c" / "report.md", out / "c" / "report.html", out / "leaderboard.md"):
        body = path.read_text(encoding="utf-8")
        assert "<img" not in body, path.name
    assert "&lt;img" in (out / "c" / "report.md").read_text(encoding="utf-8")
    for argv in (
        ["leaderboard", str(out), "--format", "html"],
        ["compare", str(out / "c"), str(out / "c"), "--format", "markdown", "--n-boot", "100"],
    ):
        assert main(argv) == 0
        assert "<img" not in capsys.readouterr().out
    assert main(["leaderboard", str(out), "--format", "markdown"]) == 0
    board = capsys.readouterr().out
    assert "<img" not in board
    rows = [line for line in board.splitlines() if line.startswith("|")]
    assert rows and all(line.count("|") == rows[0].count("|") for line in rows)
