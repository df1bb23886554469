"""File helpers (bench.io): atomic writes, atomic folder swaps, canonical JSON, hashes."""

from __future__ import annotations

import math

import pytest

from bench.io import (
    dumps_json,
    replace_dir_atomic,
    sha256_bytes,
    staging_dir,
    write_text_atomic,
)


def test_atomic_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a" / "f.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_folder_swap_is_never_missing_the_folder(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "old.txt").write_text("old")
    stage = staging_dir(final)
    assert stage.parent == tmp_path and stage.name.startswith(".out.")
    (stage / "new.txt").write_text("new")
    replace_dir_atomic(stage, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert not stage.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_canonical_json_sorts_keys_and_refuses_nan():
    assert (
        dumps_json({"b": 1, "a": [1.5, "é"]})
        == '{\n  "a": [\n    1.5,\n    "é"\n  ],\n  "b": 1\n}\n'
    )
    with pytest.raises(ValueError):
        dumps_json({"x": math.nan})


def test_hash_separates_chunks():
    assert sha256_bytes(b"ab", b"c") != sha256_bytes(b"a", b"bc")
