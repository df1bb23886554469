from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

NUMPY_FIRST = "numpy" in sys.modules  # imported by a plugin before this file: too late to pin
import bench  # noqa: E402,F401  (pins the BLAS kernels before numpy loads: bench.kernels)

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
ARTICLE = "putin-xi-call-on-israel-iran"
# Fixture articles written and annotated outside the project (tests/data/articles/README.md)
ARTICLES = REPO / "tests" / "data" / "articles"
TRAM = "aldermoor-tram-extension"
MACKEREL = "north-atlantic-mackerel-dispute"
PRO_CON = REPO / "tests" / "data" / "pro_con" / "pro_con.csv"


def fixture_seeds(dest: Path, *articles: str) -> Path:
    """A seeds folder at ``dest`` with the fixture ``articles`` and the project's contrast
    rules and guidelines (the rules are general: never tuned to one article)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SEEDS / "contrast", dest / "contrast")
    shutil.copy2(SEEDS / "GUIDELINES.md", dest / "GUIDELINES.md")
    for name in articles:
        for suffix in (".txt", ".annotations.jsonl"):
            shutil.copy2(ARTICLES / f"{name}{suffix}", dest / f"{name}{suffix}")
    return dest


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A writable copy of the project's seeds folder."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture(scope="session")
def derived_dir(tmp_path_factory) -> Path:
    """The seed dataset derived once per session into a temp folder."""
    from bench.corpus import derive

    out = tmp_path_factory.mktemp("derived") / "data"
    derive.write(derive.derive(SEEDS), out)
    return out


def write_base_config(path: Path, data_dir: Path, *, task: str = "joint", seed: int = 7) -> Path:
    """A small, fast base config on the seed dataset: 3 folds x 2 repeats, 200 resamples."""
    path.write_text(
        f'seed = {seed}\ntask = "{task}"\n'
        f'[dataset]\nseeds = "{SEEDS}"\ndata_dir = "{data_dir}"\n'
        "[protocol]\nn_splits = 3\nn_repeats = 2\n[metrics]\nbootstrap = 200\n",
        encoding="utf-8",
    )
    return path


def copy_examples(dest: Path, data_dir: Path) -> Path:
    """configs/examples/ and the defaults it extends, copied to ``dest`` with the seed
    dataset's folders made absolute (the session's derived dataset): dest/examples."""
    (dest / "examples").mkdir(parents=True)
    for path in (REPO / "configs" / "examples").iterdir():
        shutil.copy(path, dest / "examples" / path.name)
    defaults = (REPO / "configs" / "_defaults.toml").read_text(encoding="utf-8")
    defaults = defaults.replace('seeds = "../seeds"', f'seeds = "{SEEDS}"')
    defaults = defaults.replace('data_dir = "../data/derived"', f'data_dir = "{data_dir}"')
    assert str(SEEDS) in defaults and str(data_dir) in defaults
    (dest / "_defaults.toml").write_text(defaults, encoding="utf-8")
    return dest / "examples"


def pytest_report_header(config):
    core = os.environ.get("OPENBLAS_CORETYPE")
    late = " (numpy was imported before tests/conftest.py: not pinned here)" if NUMPY_FIRST else ""
    return f"OPENBLAS_CORETYPE: {core}{late}"
