from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.config import as_dict, discover, load_config, load_configs, to_toml
from bench.errors import BenchError, ConfigError, ModelError
from bench.provenance import config_hash
from tests.conftest import REPO


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_config_loads():
    configs = load_configs([REPO / "configs"])
    names = {c.name for c in configs}
    assert {
        "majority",
        "stratified",
        "cue_lexicon",
        "tfidf_logreg",
        "tfidf_svm",
        "tfidf_cnb",
        "tfidf_logreg_target",
        "tfidf_svm_target",
    } <= names
    assert all(c.dataset.seeds == REPO / "seeds" for c in configs)
    assert "_defaults" not in names


def test_extends_merges_tables_and_resolves_paths_against_each_file(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    write(base / "_b.toml", 'seed = 3\n[dataset]\nseeds = "s"\n[protocol]\nn_splits = 4\n')
    cfg = load_config(
        write(
            tmp_path / "x.toml",
            'extends = "base/_b.toml"\n[protocol]\nn_repeats = 2\n'
            '[model]\nname = "tfidf_svm"\nC = 0.5\n',
        )
    )
    assert cfg.seed == 3 and cfg.protocol.n_splits == 4 and cfg.protocol.n_repeats == 2
    assert cfg.dataset.seeds == base / "s"
    assert dict(cfg.model.params) == {"C": 0.5}
    assert cfg.name == "x" and cfg.task == "joint"


@pytest.mark.parametrize(
    "body, message",
    [
        (
            '[model]\nname = "majority"\n[protocol]\nn_split = 3\n',
            "No such key 'n_split' in [protocol] of {p}; did you mean 'n_splits'?",
        ),
        (
            '[model]\nname = "tfidf_logreg"\nc = 1.0\n',
            "No such key 'c' in [model] of {p}; did you mean 'C'?",
        ),
        (
            '[model]\nname = "tfidf_logreg"\nC = "high"\n',
            "'C' in [model] of {p} must be float like the default 10.0; got 'high'",
        ),
        (
            'task = "stances"\n[model]\nname = "majority"\n',
            "'task' in {p} must be one of 'joint', 'stance', 'fact'; got 'stances'; "
            "did you mean 'stance'?",
        ),
        (
            '[model]\nname = "majority"\n[protocol]\nn_splits = 1\n',
            "'n_splits' in [protocol] of {p} must be an integer in [2, 1000]; got 1",
        ),
        (
            '[model]\nname = "majority"\n[protocol]\nn_splits = "3"\n',
            "'n_splits' in [protocol] of {p} must be an integer, got '3'",
        ),
        (
            '[model]\nname = "majority"\n[metrics]\nprimary = "f1"\n',
            "'primary' in [metrics] of {p} must be one of 'macro_f1', 'accuracy', 'f_avg', 'kappa'",
        ),
        ("seed = 1\n", "{p}: no [model] table"),
        (
            '[model]\nname = "majority"\n[dataset]\npath = "d.csv"\nlabels = {FAVOR = "suport"}\n',
            "must map to one of support, condemn, skeptical, fact or 'drop'; got 'suport'",
        ),
        ('[model]\nname = "majority"\n[dataset]\npath = "x.xlsx"\n', "cannot tell the format of"),
        ("[model\n", "{p}: not valid TOML"),
        (
            '[model]\nname = "majority"\n[dataset]\npath = "d.csv"\nencoding = "rot13"\n',
            "'encoding' in [dataset] of {p} is not a known text encoding: 'rot13'",
        ),
        (
            '[model]\nname = "majority"\n[dataset]\npath = "d.csv"\nencoding = "utf-9"\n',
            "'encoding' in [dataset] of {p} is not a known text encoding: 'utf-9'",
        ),
    ],
)
def test_bad_configs_name_file_key_and_allowed_values(tmp_path, body, message):
    p = write(tmp_path / "bad.toml", body)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert message.format(p=p) in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_model_suggests_the_nearest(tmp_path):
    p = write(tmp_path / "m.toml", '[model]\nname = "tfidf_logrg"\n')
    with pytest.raises(ModelError, match="did you mean 'tfidf_logreg'"):
        load_config(p)


def test_module_factory_model(tmp_path):
    cfg = load_config(
        write(
            tmp_path / "f.toml", '[model]\nname = "bench.models.baselines:tfidf_cnb"\nalpha = 1.0\n'
        )
    )
    assert cfg.model.name == "bench.models.baselines:tfidf_cnb"


def test_env_vars_in_paths(tmp_path, monkeypatch):
    body = '[model]\nname = "majority"\n[dataset]\npath = "${STANCE_DIR}/d.csv"\n'
    p = write(tmp_path / "e.toml", body)
    with pytest.raises(ConfigError, match=r"uses \$\{STANCE_DIR\}, which is not set"):
        load_config(p)
    monkeypatch.setenv("STANCE_DIR", str(tmp_path))
    cfg = load_config(p)
    assert cfg.dataset.path == (tmp_path / "d.csv",) and cfg.dataset.format == "csv"
    assert cfg.dataset.source == "file"


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ConfigError, match="forms a cycle"):
        load_config(tmp_path / "a.toml")


def test_resolved_config_reruns_as_is(tmp_path, monkeypatch):
    cfg = load_config(REPO / "configs" / "tfidf_svm_target.toml")
    run_dir = tmp_path / "runs" / cfg.name
    run_dir.mkdir(parents=True)
    saved = write(run_dir / "config.toml", to_toml(cfg))
    monkeypatch.chdir(REPO)  # a run folder outside any project: paths from the working folder
    again = load_config(saved)
    assert "extends" not in saved.read_text()
    assert (again.model, again.protocol, again.metrics, again.seed, again.task) == (
        cfg.model,
        cfg.protocol,
        cfg.metrics,
        cfg.seed,
        cfg.task,
    )
    assert again.dataset.seeds.resolve() == cfg.dataset.seeds.resolve()
    assert again.dataset == cfg.dataset
    assert config_hash(as_dict(again, None)) == config_hash(as_dict(cfg, None))


def test_duplicate_names_and_empty_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a" / "x.toml", '[model]\nname = "majority"\n')
    write(tmp_path / "b" / "x.toml", '[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match="config name 'x' is also used"):
        load_configs([tmp_path / "a", tmp_path / "b"])
    assert discover([tmp_path / "a"]) == [tmp_path / "a" / "x.toml"]
    with pytest.raises(ConfigError, match="no configs"):
        discover([tmp_path])  # subfolders are not searched
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no configs"):
        discover([tmp_path / "empty"])


def test_test_set_needs_split_protocol(tmp_path):
    p = write(tmp_path / "t.toml", '[model]\nname = "majority"\n[test]\npath = "t.csv"\n')
    with pytest.raises(ConfigError, match='needs kind = "split"'):
        load_config(p)


@pytest.mark.parametrize(
    "body, key",
    [
        ('[model]\nname = "tfidf_logreg"\nC = inf\n', "model.C"),
        ('timeout = inf\n[model]\nname = "majority"\n', "timeout"),
        ('[model]\nname = "tfidf_logreg"\n[sweep]\n"model.C" = [1.0, nan]\n', "sweep.model.C[1]"),
    ],
)
def test_inf_and_nan_are_refused_with_their_key(tmp_path, body, key):
    """TOML writes inf and nan; JSON (metrics.json, the config hash) does not."""
    with pytest.raises(ConfigError, match=re.escape(f"{key} is inf or nan")):
        load_config(write(tmp_path / "c.toml", body))


def test_every_error_of_a_file_and_of_a_folder_is_told_at_once(tmp_path, capsys):
    from bench.cli import main

    folder = tmp_path / "configs"
    folder.mkdir()
    a = write(
        folder / "a.toml",
        'sed = 1\n[model]\nname = "majority"\n[protocol]\nn_splits = 1\nkind = "nope"\n',
    )
    b = write(folder / "b.toml", '[model]\nname = "majority"\n[metrics]\nprimary = "f1"\n')
    write(folder / "c.toml", '[model]\nname = "majority"\n')
    with pytest.raises(ConfigError) as err:
        load_configs([folder])
    head, *lines = str(err.value).splitlines()
    assert head == "4 config errors; fix them all, then run again:"
    assert len(lines) == 4 and all(line.startswith("  ") for line in lines)
    assert f"No such key 'sed' in {a}; did you mean 'seed'?" in lines[0]
    assert lines[1].startswith(f"  'n_splits' in [protocol] of {a}")
    assert lines[2].startswith(f"  'kind' in [protocol] of {a}")
    assert lines[3].startswith(f"  'primary' in [metrics] of {b}")
    assert main(["run", "-q", str(folder), "--out", str(tmp_path / "runs")]) == 2
    printed = capsys.readouterr().err.splitlines()
    assert printed[0] == f"stance-bench: error: {head}" and printed[1:] == lines
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_a_missing_file_inside_an_extends_chain_names_who_extends_it(tmp_path):
    write(tmp_path / "top.toml", 'extends = "mid.toml"\n')
    mid = write(tmp_path / "mid.toml", 'extends = "gone.toml"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match=re.escape(f"'extends' in {mid} names {tmp_path}")):
        load_config(tmp_path / "top.toml")


def test_sweep_values_that_give_one_run_name_say_so(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,target,label\na,x,t,fact\nb,y,t,support\n")
    path = write(
        tmp_path / "s.toml",
        '[model]\nname = "majority"\n[dataset]\npath = "d.csv"\n'
        '[sweep]\n"dataset.encoding" = ["utf 8", "utf_8"]\n',
    )
    with pytest.raises(ConfigError, match=r"two settings give the run name 's.encoding-utf_8'"):
        load_configs([path])


def test_model_errors_are_gathered_with_the_others(tmp_path):
    """An unknown model stopped the folder's list; a table's and the model's parameter
    errors were told one at a time."""
    folder = tmp_path / "configs"
    folder.mkdir()
    write(folder / "a.toml", '[model]\nname = "tfidf_logregg"\n')
    b = write(
        folder / "b.toml",
        '[model]\nname = "tfidf_logreg"\nC = "x"\nnope = 3\n'
        '[dataset]\npath = "d.csv"\ncolumns = { txt = "text" }\ndelimiter = ";;"\n',
    )
    with pytest.raises(BenchError) as err:  # of two classes: their common one
        load_configs([folder])
    head, *lines = str(err.value).splitlines()
    assert head == "5 config errors; fix them all, then run again:"
    assert "unknown model 'tfidf_logregg'; did you mean 'tfidf_logreg'?" in lines[0]
    assert f"No such key 'txt' in [dataset.columns] of {b}" in lines[1]
    assert f"'delimiter' in [dataset] of {b} must be one character" in lines[2]
    assert "'C' in [model]" in lines[3] and "No such key 'nope' in [model]" in lines[4]


def test_files_that_extend_one_broken_base_tell_its_errors_once(tmp_path):
    base = write(tmp_path / "_base.toml", "seed = -1\n[protocol]\nn_splits = 1\n")
    for name in "abc":
        write(tmp_path / f"{name}.toml", 'extends = "_base.toml"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError) as err:
        load_configs([tmp_path])
    head, *lines = str(err.value).splitlines()
    assert head == "2 config errors; fix them all, then run again:"
    assert all(str(base) in line for line in lines)
