from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
ARTICLE = "putin-xi-call-on-israel-iran"


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
