"""bench.project: the packaged seed dataset and configs, project roots, and resolved
configs whose paths are the same wherever the project is checked out."""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import pytest

from bench import project
from bench.config import as_dict, load_config, to_toml
from bench.errors import ConfigError
from bench.io import tomllib
from bench.provenance import config_hash
from tests.conftest import REPO, SEEDS


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_packaged_seeds_are_a_byte_copy_of_seeds():
    packaged, own = _tree(project.SEEDS), _tree(SEEDS)
    assert sorted(packaged) == sorted(own), (
        "run: rm -r bench/resources/seeds && cp -r seeds bench/resources/"
    )
    for name, data in own.items():
        assert packaged[name] == data, (
            f"{name} differs: cp seeds/{name} bench/resources/seeds/{name}"
        )
    assert "putin-xi-call-on-israel-iran.txt" in packaged and "GUIDELINES.md" in packaged


def test_the_packaged_configs_are_the_repositorys_configs():
    """Every experiment of configs/ is packaged byte for byte; the shared base differs
    only in where the seeds are (this checkout's seeds/ against the packaged copy), so each
    pair resolves to the same experiment (the same config hash)."""
    own = {p.name: p for p in (REPO / "configs").glob("*.toml") if p.name != "_defaults.toml"}
    packaged = {p.name: p for p in project.CONFIGS.glob("*.toml") if p.name != "_defaults.toml"}
    assert sorted(packaged) == sorted(own)
    for name, path in own.items():
        assert packaged[name].read_bytes() == path.read_bytes(), (
            f"cp configs/{name} {project.CONFIGS}"
        )
        mine, theirs = load_config(path), load_config(packaged[name])
        assert config_hash(as_dict(mine, None)) == config_hash(as_dict(theirs, None)), name
        assert mine.dataset.seeds == SEEDS and theirs.dataset.seeds == project.SEEDS


def test_the_wheel_globs_cover_every_packaged_file():
    with open(REPO / "pyproject.toml", "rb") as fh:
        globs = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["bench"]
    files = [f"resources/{name}" for name in _tree(project.RESOURCES)]
    assert files
    for name in files:
        assert any(fnmatch.fnmatch(name, g) and name.count("/") == g.count("/") for g in globs), (
            name
        )


def test_project_root_is_the_nearest_marker_else_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("")
    assert project.root_of(tmp_path / "a" / "b" / "c" / "x.toml") == tmp_path / "a"
    (tmp_path / "a" / "b" / ".git").mkdir()
    assert project.root_of(tmp_path / "a" / "b" / "c") == tmp_path / "a" / "b"
    monkeypatch.chdir(tmp_path)
    lone = tmp_path / "lone"
    lone.mkdir()
    if project.root_of(tmp_path) == tmp_path:  # no marker above the temp folder
        assert project.root_of(lone / "x.toml") == tmp_path


def test_a_seed_config_without_seeds_uses_the_packaged_dataset(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "m.toml"
    path.write_text('extends = "stance-bench:defaults"\n[model]\nname = "majority"\n')
    cfg = load_config(path)
    assert cfg.dataset.seeds == project.SEEDS
    assert cfg.dataset.data_dir == tmp_path / "data" / "derived"  # under the project root
    assert cfg.protocol.n_repeats == 5 and cfg.views.on("contrast")
    assert 'seeds = "stance-bench:seeds"' in to_toml(cfg)


def test_packaged_names_are_checked(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('extends = "stance-bench:defalts"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match="did you mean 'defaults'"):
        load_config(path)
    path.write_text('[dataset]\ndata_dir = "stance-bench:seeds"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match="only 'seeds'"):
        load_config(path)
    path.write_text('[dataset]\nseeds = "stance-bench:configs"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match="the packaged seed dataset is 'stance-bench:seeds'"):
        load_config(path)
    path.write_text('relative_to = "repo"\n[model]\nname = "majority"\n')
    with pytest.raises(ConfigError, match="relative_to"):
        load_config(path)


PLUGIN = """\
from sklearn.dummy import DummyClassifier


def build(*, strategy: str = "prior"):
    return DummyClassifier(strategy=strategy)
"""


def _project(root: Path) -> Path:
    """A project with its own seeds, a CSV dataset and a plug-in model."""
    (root / "configs").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.stance-bench]\n")
    shutil.copytree(SEEDS, root / "seeds")
    (root / "data").mkdir()
    (root / "data" / "items.csv").write_text("text,label\na,support\nb,fact\n")
    (root / "configs" / "prior_plugin_x.py").write_text(PLUGIN)
    (root / "configs" / "seed.toml").write_text(
        'seed = 3\n[dataset]\nseeds = "../seeds"\n[model]\nname = "prior_plugin_x:build"\n'
    )
    (root / "configs" / "csv.toml").write_text(
        '[dataset]\nsource = "file"\npath = "../data/items.csv"\n[model]\nname = "majority"\n'
    )
    return root


@pytest.mark.parametrize("name", ["seed", "csv"])
def test_a_resolved_config_is_the_same_wherever_the_project_is(tmp_path, name):
    """The issue's case: a reference config.toml held `../../../../<checkout>/seeds`.
    Now its paths are relative to the project root: the same bytes from two checkouts,
    and the file loads back (from a reference entry, as `stance-bench run` would) to the
    same experiment, plug-in included."""
    one, two = _project(tmp_path / "one"), _project(tmp_path / "elsewhere" / "two")
    text = to_toml(load_config(one / "configs" / f"{name}.toml"))
    assert to_toml(load_config(two / "configs" / f"{name}.toml")) == text
    assert str(tmp_path) not in text and ".." not in text and "relative_to" in text
    entry = two / "results" / "reference" / name
    entry.mkdir(parents=True)
    (entry / "config.toml").write_text(text)
    again = load_config(entry / "config.toml")
    original = load_config(two / "configs" / f"{name}.toml")
    assert as_dict(again, two) == as_dict(original, two)
    assert again.depends_on == original.depends_on  # the plug-in, found through plugin_dir
    assert to_toml(again) == text


def test_the_committed_reference_holds_no_machine_dependent_path():
    for path in sorted((REPO / "results" / "reference").glob("*/config.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        assert data["relative_to"] == "project", path
        values = [data.get("plugin_dir"), *data["dataset"].values()]
        for value in (v for v in values if isinstance(v, str) and "/" in v):
            assert not value.startswith("/") and ".." not in Path(value).parts, (path, value)
        assert load_config(path).dataset.seeds == SEEDS


@pytest.mark.slow
def test_load_dataset_works_from_any_folder(tmp_path, monkeypatch):
    import bench

    monkeypatch.chdir(tmp_path)
    data = bench.load_dataset("stance")
    assert set(data) == {"train", "contrast"} and data["train"].num_rows > 0
    labels = data["train"].features["label"].names
    assert labels == ["support", "condemn", "skeptical"]
    if project.root_of(tmp_path) == tmp_path:
        assert (tmp_path / "data" / "derived").is_dir()
