"""The derived dataset's folder: its files (``PARQUET``, ``CONTRAST_PARQUET``, ``INFO``, the
card ``README.md``), their columns and ``datasets`` features, and writing it atomically.
A folder is replaced only when this module wrote it (``check_out``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bench.corpus.contrast import COLUMNS as CONTRAST_COLUMNS
from bench.corpus.contrast import counts as contrast_counts
from bench.errors import DataError
from bench.io import (
    dumps_json,
    refuse_link,
    replace_dir_atomic,
    sha256_bytes,
    staging_dir,
    write_text_atomic,
    writing_into,
)
from bench.labels import LABELS

if TYPE_CHECKING:
    from bench.corpus.derive import Derived

SCHEMA_VERSION = 1
SPLIT = "train"
PARQUET = f"data/{SPLIT}.parquet"
CONTRAST_SPLIT = "contrast"  # capability tests made from the items (bench/corpus/contrast.py)
CONTRAST_PARQUET = f"data/{CONTRAST_SPLIT}.parquet"
INFO = "dataset_info.json"
COLUMNS = {  # name -> datasets feature dtype ("label" is a ClassLabel)
    "id": "string",
    "article": "string",
    "group": "string",
    "unit": "int32",
    "kind": "string",
    "sentence": "string",
    "sentence_start": "int32",
    "sentence_end": "int32",
    "evidence": "string",
    "start": "int32",
    "end": "int32",
    "holder": "string",
    "target": "string",
    "speaker": "string",
    "label": "label",
}


def features(columns: dict[str, str] = COLUMNS):
    """The datasets features of a split (the items' by default; ``contrast.COLUMNS``)."""
    import datasets

    return datasets.Features(
        {
            name: datasets.ClassLabel(names=list(LABELS))
            if dtype == "label"
            else datasets.Value(dtype)
            for name, dtype in columns.items()
        }
    )


def _file_digest(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def stored_hash(out: Path) -> str | None:
    """The content hash of the dataset in ``out``, or None when it is missing, incomplete,
    or a data file differs from the digest dataset_info.json records for it (a corrupt or
    truncated Parquet file is rewritten, not read)."""
    import json

    info = Path(out) / INFO
    if not info.is_file() or not (Path(out) / PARQUET).is_file():
        return None
    try:
        doc = json.loads(info.read_text(encoding="utf-8"))
        files = doc.get("files")
        if not isinstance(files, dict) or PARQUET not in files:
            return None  # written before files were digested: derive again
        if any(_file_digest(Path(out) / name) != digest for name, digest in files.items()):
            return None
        return doc.get("content_hash")
    except (ValueError, OSError, AttributeError):
        return None


def _table(records: list[dict], columns: dict[str, str] = COLUMNS):
    import datasets

    rows = [{**r, "label": LABELS.index(r["label"])} for r in records]
    return datasets.Dataset.from_list(rows, features=features(columns)).data.table


def _written_by_us(out: Path) -> bool:
    """A dataset folder that ``write`` made: our dataset_info.json, and nothing but the
    files ``write`` puts there."""
    import json

    try:
        info = json.loads((out / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or not {"content_hash", "schema_version", "splits"} <= set(info):
        return False
    ours = {INFO, "README.md", "data", PARQUET, CONTRAST_PARQUET}
    return all(p.relative_to(out).as_posix() in ours for p in out.rglob("*"))


def check_out(out: Path) -> None:
    """Fail before any work unless ``out`` may receive a dataset: missing, an empty
    folder, or a dataset folder this tool wrote (nothing else is replaced)."""
    out = Path(out)
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError(f"{out}: {parent} is a file, not a folder; choose another output")
            break
    refuse_link(out, "give the real folder as --out, or remove the link")
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(f"{out}: is a file, not a dataset folder; choose another output folder")
    if any(out.iterdir()) and not _written_by_us(out):
        raise DataError(
            f"{out}: not a dataset folder that stance-bench derive wrote (it holds other "
            f"files, or no {INFO} of ours); derive replaces only its own folders: move it "
            "away, or choose another output folder"
        )


def write(derived: Derived, out: Path, card: str) -> bool:
    """Write the dataset and its ``card`` to ``out`` atomically; returns False when it was
    already up to date. ``out`` must be missing, empty, or a dataset folder written here
    (see ``check_out``)."""
    out = Path(out)
    check_out(out)
    if stored_hash(out) == derived.content_hash:
        readme = out / "README.md"
        if readme.is_file() and readme.read_text(encoding="utf-8") == card:
            return False
        with writing_into(out, fix="free space, or choose another output folder"):
            write_text_atomic(readme, card)  # the guidelines changed, the data did not
        return True
    with writing_into(out, fix="free space, or choose another output folder"):
        stage = staging_dir(out)
        try:
            _write_stage(derived, stage, card)
            replace_dir_atomic(stage, out)
        except BaseException:
            import shutil

            shutil.rmtree(stage, ignore_errors=True)
            raise
    return True


def _write_stage(derived: Derived, stage: Path, card: str) -> None:
    import pyarrow.parquet as pq

    (stage / "data").mkdir()
    pq.write_table(_table(derived.records), stage / PARQUET)
    splits = {SPLIT: PARQUET}
    if derived.contrast:
        pq.write_table(_table(derived.contrast, CONTRAST_COLUMNS), stage / CONTRAST_PARQUET)
        splits[CONTRAST_SPLIT] = CONTRAST_PARQUET
    write_text_atomic(stage / "README.md", card)
    write_text_atomic(
        stage / INFO,
        dumps_json(
            {
                "content_hash": derived.content_hash,
                "schema_version": SCHEMA_VERSION,
                "splits": splits,
                "files": {name: _file_digest(stage / name) for name in splits.values()},
                "counts": derived.counts,
                "contrast_counts": contrast_counts(derived.contrast, derived.skipped),
                "excluded": derived.excluded,
            }
        ),
    )
