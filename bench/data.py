"""Datasets as the experiments see them: the derived seed dataset (its items and its
contrast split) and task views of it, and any dataset a config names (files or the hub).

The Python API is ``bench.load_dataset(task="joint")``; the runner uses ``source_frame``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bench import specs
from bench.errors import DataError, shown
from bench.labels import DROP, LABELS, TASKS

DEFAULT_SEEDS = Path(specs.DEFAULT_SEEDS)
DEFAULT_DATA = Path(specs.DEFAULT_DATA)


# (seeds, out, the seed files' sizes and mtimes) of the derivations done in this process
_DERIVED: set[tuple] = set()


def _seed_state(seeds: Path, out: Path) -> tuple:
    files = sorted(p for p in seeds.rglob("*") if p.is_file())
    stats = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return (str(seeds.resolve()), str(out.resolve()), stats)


def ensure_derived(
    seeds: Path = DEFAULT_SEEDS, out: Path = DEFAULT_DATA, fix: str = "pass --seeds DIR"
) -> Path:
    """Derive the dataset into ``out`` when it is missing or stale; return the Parquet path.
    ``fix`` says how the caller names another seeds folder."""
    from bench.corpus import derive, store

    seeds, out = Path(seeds), Path(out)
    state = _seed_state(seeds, out) if seeds.is_dir() else None
    if state in _DERIVED and (out / store.PARQUET).is_file():
        return out / store.PARQUET  # unchanged since this process derived it

    derived = derive.derive(seeds, fix=fix)
    derive.write(derived, out)
    if state is not None:
        _DERIVED.add(state)
    return out / store.PARQUET


def task_view(frame, task: str):
    """Keep the rows of ``task`` and rename gold labels to the task's labels (strings)."""
    spec = TASKS[task]
    kept = frame[frame["label"].isin(list(spec.mapping))].copy()
    kept["label"] = kept["label"].map(spec.mapping)
    return kept.reset_index(drop=True)


def seed_frame(parquet: Path, task: str):
    """The derived dataset as a pandas frame with string labels, restricted to ``task``."""
    import pyarrow.parquet as pq

    frame = pq.read_table(parquet).to_pandas()
    frame["label"] = np.array(LABELS, dtype=object)[frame["label"].to_numpy()]
    return task_view(frame, task)


def load_dataset(
    task: str = "joint", seeds: Path | str | None = None, data_dir: Path | str | None = None
):
    """The derived dataset for ``task`` as a ``datasets.DatasetDict`` (derived when stale).

    ``seeds`` defaults to the packaged seed dataset, ``data_dir`` to ``data/derived``
    under the project root of the working folder (``bench.project``), so it works from any
    folder. Labels are a ``ClassLabel`` of the task's label names; ``.to_pandas()`` works
    on each split.
    """
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    import datasets

    from bench import project
    from bench.corpus import contrast, store
    from bench.corpus.store import features

    seeds = project.SEEDS if seeds is None else seeds
    if data_dir is None:
        data_dir = project.root_of(Path.cwd()) / specs.DEFAULT_DATA

    parquet = ensure_derived(
        Path(seeds), Path(data_dir), fix="pass bench.load_dataset(seeds=...) (and data_dir=...)"
    )
    spec = TASKS[task]
    splits = {store.SPLIT: (parquet, store.COLUMNS)}
    if (Path(data_dir) / store.CONTRAST_PARQUET).is_file():  # capability tests, when derived
        splits[store.CONTRAST_SPLIT] = (Path(data_dir) / store.CONTRAST_PARQUET, contrast.COLUMNS)
    out = {}
    for name, (path, columns) in splits.items():
        frame = seed_frame(path, task)
        label = datasets.ClassLabel(names=list(spec.labels))
        feats = datasets.Features({**features(columns), "label": label})
        frame["label"] = frame["label"].map(spec.labels.index)
        out[name] = datasets.Dataset.from_pandas(frame, features=feats, preserve_index=False)
    return datasets.DatasetDict(out)


# ------------------------------------------------------------------ any dataset by config
ROLES = ("id", "text", "target", "label", "group", "article")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_one(path: Path, ds):
    """One local file as a frame of strings, with a ``_where`` column ("file:line")."""
    import csv

    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: dataset file not found; check 'path' in the config")
    encoding = _encoding(ds.encoding)
    quoting: Quoting = csv.QUOTE_MINIMAL
    long_rows = False
    try:
        quoting = _quoting(path, ds, encoding)
        _check_shape(path, ds, encoding, quoting)
        if ds.format != "parquet":
            _check_no_nul(path, encoding)
        if ds.format in ("csv", "tsv"):
            sep = ds.delimiter or ("\t" if ds.format == "tsv" else ",")
            frame, long_rows = _read_delimited(path, sep, encoding, quoting)
            first_line = 2  # after the header
        elif ds.format == "json":
            frame, json_lines = _read_jsonl(path, encoding)
            first_line = 1
        else:
            import pyarrow.parquet as pq

            # integers with nulls stay integers (not floats: 1 -> "1.0", big ids rounded)
            frame = pq.read_table(path).to_pandas(integer_object_nulls=True)
            first_line = 0
    except UnicodeDecodeError as exc:
        line = _line_of_byte(path, exc)
        raise DataError(
            f"{path}:{line}: cannot decode as {ds.encoding} (byte 0x{exc.object[exc.start]:02x}); "
            'set encoding = "..." in the config (e.g. "cp1252")'
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path}: the file is empty (no header row); give it a header and rows"
        ) from None
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        why = _first_line(exc)
        long_row = _LONG_ROW.search(why)
        unclosed = _UNCLOSED.search(why)
        if unclosed:  # pandas counts rows from 0, the header included: line = row + 1
            raise DataError(
                f"{path}:{int(unclosed.group(1)) + 1}: a quoted field starts here and is never "
                "closed (the file ends inside it); close the quote, or set quoting = "
                '"none" in the config if quotes are text'
            ) from None
        if long_row:
            want, line, got = long_row.groups()
            raise DataError(
                f"{path}:{line}: row has {got} fields where the rows before it have {want}; a "
                f"malformed row: quote text that holds the delimiter, or set 'delimiter' "
                f"or 'quoting' in the config"
            ) from None
        raise DataError(f"{path}: cannot read as {ds.format}: {why}") from None
    if len(frame) == 0:
        raise DataError(f"{path}: no data rows (a header only); add rows to the file")
    if ds.format in ("csv", "tsv") and len(frame.columns) == 1:
        _one_column(path, str(frame.columns[0]), ds)
    starts = (
        _csv_records(path, ds, frame, quoting, long_rows) if ds.format in ("csv", "tsv") else None
    )
    if ds.format == "json":
        starts = json_lines
    label = "row " if first_line == 0 else ""
    if starts is not None:  # records that span lines, or blank lines between them
        frame["_where"] = [f"{path.name}:{line}" for line in starts]
    else:
        frame["_where"] = _numbered(f"{path.name}:{label}", len(frame), first_line)
    return frame


def _read_delimited(path: Path, sep: str, encoding: str, quoting: Quoting):
    """A CSV/TSV file as a frame of strings, and whether pandas dropped fields past the
    header's. Rows of one field more than the header are either R's row names (pandas
    reads the first field as the index: kept so) or a delimiter ending every row (the
    last column then comes out empty: read again without an index column, the extra
    fields dropped and checked by ``_csv_records``)."""
    import pandas as pd

    def read(index_col):
        return pd.read_csv(
            path,
            sep=sep,
            encoding=encoding,
            quoting=quoting,
            dtype=str,
            keep_default_na=False,
            index_col=index_col,
            engine="c",
        )

    frame = read(None)
    shifted = not isinstance(frame.index, pd.RangeIndex) and len(frame.columns) > 0
    if not shifted or not (frame.iloc[:, -1] == "").all():
        return frame, False
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = read(False)
    return frame, any(issubclass(w.category, pd.errors.ParserWarning) for w in said)


def _lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a string no encoding can write (a lone UTF-16
    surrogate, which JSON's \\u escapes can spell)."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def _first_bad(path: Path, found: list[tuple[int, str]], noun: str, fix: str) -> DataError:
    """The error for the first of ``found`` (line, what is wrong), counting the others."""
    line, why = found[0]
    more = f" ({len(found)} such {noun})" if len(found) > 1 else ""
    return DataError(f"{path}:{line}: {why}{more}; {fix}")


def _read_jsonl(path: Path, encoding: str):
    """A JSON Lines file as a frame, and the line each row is on (blank lines are
    skipped, not counted as rows). Each line must be a JSON object: a scalar, an array or
    broken JSON is an error naming its line and how many such lines there are. Values
    are kept as JSON gives them (no dates guessed from column names, as pandas would)."""
    import json

    import pandas as pd

    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str]] = []
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line.rstrip("\r\n"))  # columns of the line itself
            except json.JSONDecodeError as exc:
                bad.append((number, f"not valid JSON ({exc.msg}, column {exc.colno})"))
                continue
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                bad.append((number, f"not JSON this reader takes ({shown(why, 80)[1:-1]})"))
                continue
            if not isinstance(value, dict):
                bad.append((number, f"holds a JSON {type(value).__name__}, not an object"))
                continue
            if "\\ud" in line.lower() and _lone_surrogate(value):  # "\ud800": no character
                bad.append((number, "holds a lone surrogate escape (\\ud800-\\udfff), no text"))
                continue
            records.append(value)
            lines.append(number)
    if bad:
        fix = 'write one JSON object per line, e.g. {"text": "...", "label": "..."}'
        raise _first_bad(path, bad, "lines", fix)
    if not records:
        raise DataError(f"{path}: holds blank lines only; add one JSON object per line")
    if not any(records):
        raise DataError(f"{path}: holds empty objects only ({{}}); add the rows' fields")
    # object columns: values as JSON gave them (an id column with a null stays integers)
    return pd.DataFrame(records, dtype=object), lines


def _encoding(name: str) -> str:
    """UTF-8 reads as "utf-8-sig": a byte order mark at the start is dropped, not data."""
    import codecs

    return "utf-8-sig" if codecs.lookup(name).name == "utf-8" else name


Quoting = Literal[0, 1, 2, 3]  # the csv module's QUOTE_* constants
_LONG_ROW = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_UNCLOSED = re.compile(r"EOF inside string starting at row (\d+)")


def _quoting(path: Path, ds, encoding: str) -> Quoting:
    """The csv module's quoting of a delimited file: the config's, else "minimal" for
    CSV. A TSV file without the setting must not hold a cell that starts with a quote:
    TSV has no quoting, but spreadsheets quote, and the two readings give different text."""
    import csv

    if ds.quoting is not None or ds.format != "tsv":
        return csv.QUOTE_NONE if ds.quoting == "none" else csv.QUOTE_MINIMAL
    text = path.read_bytes().decode(encoding, errors="replace")
    found = re.search(r'(?:^|\t)"', text, flags=re.MULTILINE)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise DataError(
            f'{path}:{line}: a cell starts with a quote ("); in TSV that is text or quoting: '
            'set quoting = "none" in the config to keep quotes as text, or quoting = '
            '"minimal" to read quoted cells as a spreadsheet writes them'
        )
    return csv.QUOTE_MINIMAL


def _check_no_nul(path: Path, encoding: str) -> None:
    """A text file holds no NUL character (a binary or mis-decoded file). Checked on the
    decoded text before pandas parses it: pandas' C parser treats a NUL as a line end in
    some versions (2.2: the row is silently lost), so the frame cannot be trusted to show it."""
    with open(path, encoding=encoding, newline="") as fh:
        for number, line in enumerate(fh, 1):
            if "\x00" in line:
                raise DataError(
                    f"{path}:{number}: holds a NUL character (\\x00); a binary or mis-decoded "
                    'file? remove it, or set encoding = "..." in the config'
                )


def _check_shape(path: Path, ds, encoding: str, quoting: Quoting) -> None:
    """What a file's first bytes tell before pandas reads it: a JSON Lines file that is
    empty or holds one JSON array; a header that names a column twice (pandas would keep
    the first and call the other "text.1")."""
    import csv

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if ds.format == "json":
        start = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
        if not start:
            raise DataError(f"{path}: the file is empty (no JSON Lines); add one object per line")
        if start.startswith("["):
            raise DataError(
                f"{path}: holds a JSON array, not JSON Lines (one object per line); write one "
                "object per line, e.g. jq -c '.[]' in.json > out.jsonl"
            )
    elif ds.format in ("csv", "tsv"):
        text = head.decode(encoding, errors="replace").lstrip("\ufeff")
        sep = ds.delimiter or ("\t" if ds.format == "tsv" else ",")
        header = next(csv.reader(text.splitlines()[:1], delimiter=sep, quoting=quoting), [])
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise DataError(
                    f"{path}:1: the header names the column {name!r} twice; rename one "
                    "(only one can be read as it)"
                )
            seen.add(name)


def _one_column(path: Path, header: str, ds) -> None:
    """A delimited file read as one column: say which delimiter its header seems to use."""
    sep = ds.delimiter or ("\t" if ds.format == "tsv" else ",")
    for other, name in ((";", "';'"), ("\t", "a tab"), ("|", "'|'"), (",", "','")):
        if other != sep and other in header:
            raise DataError(
                f"{path}: the header {shown(header, 60)} is one column: the file looks "
                f"delimited by {name}, not {sep!r}; set delimiter = {other!r} in the config"
            )


def _csv_records(
    path: Path, ds, frame, quoting: Quoting, long_rows: bool = False
) -> list[int] | None:
    """The line each record starts on, when records are not simply lines 2, 3, ... (a
    quoted field spans lines, or blank lines are skipped); None when they are. pandas
    fills the missing fields of a short row with "", so when any cell is empty the fields
    of each record are counted too, and the first short record is an error; with
    ``long_rows`` (pandas dropped fields past the header's), a row whose extra fields are
    not all empty is one too (a row that merely ends with the delimiter is fine). The
    second pass (Python's csv reader) runs only in those cases."""
    import csv

    with open(path, "rb") as raw:
        data = raw.read()
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines == len(frame) + 1 and not long_rows and not (frame.to_numpy() == "").any():
        return None
    sep = ds.delimiter or ("\t" if ds.format == "tsv" else ",")
    limit = csv.field_size_limit(2**31 - 1)  # pandas reads cells of any size; so must this
    try:
        width, starts, odd = _record_starts(path, ds, sep, quoting)
    finally:
        csv.field_size_limit(limit)
    if odd:
        found = [
            (line, f"row has {got} field(s) where the header has {width}") for line, got in odd
        ]
        fix = (
            "a short or malformed row: complete it, quote text that holds the delimiter, "
            "or check 'delimiter' and 'quoting'"
        )
        raise _first_bad(path, found, "rows", fix)
    return starts if len(starts) == len(frame) else None


def _record_starts(
    path: Path, ds, sep: str, quoting: Quoting
) -> tuple[int, list[int], list[tuple[int, int]]]:
    """The header's width, the line each record starts on, and the (line, width) of each
    record shorter than the header or longer with a non-empty field past it."""
    import csv

    starts: list[int] = []
    short: list[tuple[int, int]] = []
    with open(path, encoding=_encoding(ds.encoding), newline="") as fh:
        reader = csv.reader(fh, delimiter=sep, quoting=quoting)
        width = len(next(reader, []))
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row:  # a blank line: pandas skips it
                continue
            starts.append(start)
            if len(row) < width or any(x.strip() for x in row[width:]):
                short.append((start, len(row)))
    return width, starts, short


def _strings(column):
    """A column as strings, missing values (JSON null, NaN) as "" (never "nan")."""
    return column.astype(object).where(column.notna(), "").astype(str)


def _numbered(prefix: str, n: int, start: int = 0):
    """``prefix + str(i)`` for i in start..start+n-1, built column-wise."""
    import pandas as pd

    return prefix + pd.Series(np.arange(start, start + n)).astype(str)


def _line_of_byte(path: Path, exc: UnicodeDecodeError) -> int | str:
    """The line holding the undecodable byte: pandas decodes in chunks, so search the file."""
    data = path.read_bytes()
    try:
        data.decode(exc.encoding)
    except UnicodeDecodeError as full:
        return data.count(b"\n", 0, full.start) + 1
    return "?"


def _read_hub(ds):
    import datasets

    try:
        loaded = _load_hub(datasets, ds.name, ds.split)
    except Exception as exc:  # the hub raises many types: network, missing, auth
        raise DataError(
            f"hub dataset {ds.name!r} (split {ds.split!r}) could not be loaded: {_first_line(exc)}"
        ) from None
    frame = loaded.to_pandas()
    for name, feature in loaded.features.items():  # ClassLabel ints -> their names
        if isinstance(feature, datasets.ClassLabel):
            names = np.array([*feature.names, ""], dtype=object)  # -1 (missing) -> ""
            frame[name] = names[frame[name].to_numpy()]
    frame["_where"] = _numbered(f"{ds.name}[{ds.split}]:row ", len(frame))
    return frame


def _load_hub(datasets, name: str, split: str):
    """``name`` read the way its owner wrote it: a folder from ``save_to_disk`` (it holds
    ``dataset_dict.json`` or ``state.json``) with ``load_from_disk``, anything else (a hub
    id, a folder of data files, a loading script) with ``load_dataset``."""
    folder = Path(name)
    if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
        loaded = datasets.load_from_disk(str(folder))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ValueError(f"it has no split {split!r}; its splits are {sorted(loaded)}")
            loaded = loaded[split]
        return loaded
    return datasets.load_dataset(name, split=split)


def _examples(frame, mask, limit: int = 3) -> str:
    return ", ".join(frame.loc[mask, "_where"].head(limit).tolist())


def source_frame(ds, task: str, where: str = "dataset", split: str = "train"):
    """Any configured dataset as a frame with the columns id, text, target, label, group
    (labels mapped to ours and restricted to ``task``), plus extra columns for reports.
    ``split`` is ``train`` (the items) or, for the seed dataset, ``contrast``."""
    import pandas as pd

    if ds.source == "seed":
        parquet = ensure_derived(ds.seeds, ds.data_dir, fix=f"set 'seeds' in [{where}]")
        if split != "train":
            from bench.corpus import store

            parquet = Path(ds.data_dir) / store.CONTRAST_PARQUET
        frame = seed_frame(parquet, task)
        out = pd.DataFrame(
            {
                "id": frame["id"],
                "text": frame[ds.text],
                "target": frame["target"],
                "label": frame["label"],
                "group": frame["group"],
            }
        )
        extras = {
            name: frame[name]
            for name in ("article", "evidence", "capability", "test_type", "source_id")
            if name in frame
        }
        return out, extras
    if ds.source == "file":
        parts = [_read_one(p, ds) for p in ds.path]
        raw = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        origin = ", ".join(str(p) for p in ds.path)
    else:
        raw = _read_hub(ds)
        origin = ds.name
    columns = {role: ds.column(role) for role in ROLES}
    mapped_roles = dict(ds.columns)
    required = ("text", "label", *(r for r in ROLES if r in mapped_roles))
    for role in dict.fromkeys(required):
        if columns[role] not in raw.columns:
            names = [str(c) for c in raw.columns if c != "_where"]
            present = ", ".join(map(repr, names))
            spaced = [c for c in names if c != c.strip() and c.strip() == columns[role]]
            hint = (
                f"; the header has {spaced[0]!r}: remove the spaces around it"
                if spaced
                else f'; map it in [{where}.columns], e.g. {role} = "..."'
            )
            raise DataError(
                f"{origin}: no column {columns[role]!r} for the {role} (columns: "
                f"{shown(present, 120)[1:-1]}){hint}"
            )
    for role in ("text", "target"):
        if columns[role] in raw.columns:
            _check_text_cells(raw, columns[role], role, origin)
    text = _strings(raw[columns["text"]])
    empty = text.str.strip() == ""
    if empty.any():
        raise DataError(
            f"{origin}: {int(empty.sum())} row(s) with empty text (first: "
            f"{_examples(raw, empty)}); remove them or fix the text column"
        )
    gold = _strings(raw[columns["label"]])
    mapping = dict(ds.labels)
    # with a mapping, it is the whole inventory; without one, labels must be ours already
    known = {v: mapping.get(v) if mapping else (v if v in LABELS else None) for v in gold.unique()}
    mapped = gold.map(known)
    unmapped = mapped.isna()
    if unmapped.any():
        values = sorted(v for v, m in known.items() if m is None)
        blank = (gold == "") & unmapped
        if blank.any():
            raise DataError(
                f"{origin}: {int(blank.sum())} row(s) have no label (first: "
                f"{_examples(raw, blank)}); fill them in, or map them with "
                f'"" = "drop" in [{where}.labels]'
            )
        raise DataError(
            f"{origin}: {int(unmapped.sum())} row(s) have labels with no mapping "
            f"({', '.join(map(shown, values[:5]))}; first: {_examples(raw, unmapped)}); add them "
            f'to [{where}.labels] as "X" = one of {", ".join(LABELS)} or "drop"'
        )
    if columns["id"] in raw.columns:
        ids = _strings(raw[columns["id"]])
        no_id = ids.str.strip() == ""
        if no_id.any():
            raise DataError(
                f"{origin}: {int(no_id.sum())} row(s) have no id (first: "
                f"{_examples(raw, no_id)}); fill them in, or unmap 'id' to number the rows"
            )
        dup = ids.duplicated(keep=False)
        if dup.any():
            raise DataError(
                f"{origin}: {int(dup.sum())} rows share an id (first: "
                f"{_examples(raw, dup)}); ids must be unique, or unmap 'id'"
            )
    else:
        stem = Path(str(ds.path[0] if ds.source == "file" else ds.name)).stem
        ids = _numbered(f"{stem}-", len(raw))
    target = (
        _strings(raw[columns["target"]])
        if columns["target"] in raw.columns
        else pd.Series([""] * len(raw))
    )
    group = _strings(raw[columns["group"]]) if columns["group"] in raw.columns else ids
    if columns["group"] in raw.columns:
        no_group = group.str.strip() == ""
        if no_group.any():
            raise DataError(
                f"{_examples(raw, no_group, 1)}: {int(no_group.sum())} row(s) have an empty "
                f"group (first: {_examples(raw, no_group)}); fill them in (rows with no group "
                "would all count as one sentence group), or unmap 'group'"
            )
    frame = pd.DataFrame(
        {
            "id": ids.values,
            "text": text.values,
            "target": target.values,
            "label": mapped.values,
            "group": group.values,
        }
    )
    if columns["article"] in raw.columns:  # the rows' source documents (cross_article)
        frame["article"] = _strings(raw[columns["article"]]).values
    frame = frame[frame["label"] != DROP]
    view = task_view(frame, task)
    if where == "dataset":
        _check_learnable(view, origin, columns["group"] in raw.columns)
    extras = {"article": view.pop("article")} if "article" in view else {}
    return view, extras


def _check_text_cells(raw, column: str, role: str, origin: str) -> None:
    """Text and target cells are text: not numbers or JSON objects (which would be read
    as their repr), and no NUL character (a binary or mis-decoded file)."""
    import pandas as pd

    values = raw[column]
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        raise DataError(
            f"{_examples(raw, values.notna(), 1)}: the {role} column {column!r} holds "
            f"{values.dtype} values, not text; map {role} to a text column in [dataset.columns]"
        )

    def missing(v) -> bool:  # no == on the cell: a list or array cell would not give a bool
        return v is None or v is pd.NA or (isinstance(v, float) and v != v)

    odd = values.map(lambda v: not isinstance(v, str) and not missing(v))
    if odd.any():
        first = values[odd].iloc[0]
        raise DataError(
            f"{_examples(raw, odd, 1)}: the {role} {column!r} is {type(first).__name__} "
            f"{shown(first, 40)}, not text ({int(odd.sum())} such row(s)); make it a string"
        )
    nul = values.astype(str).str.contains("\x00", regex=False) & values.notna()
    if nul.any():
        raise DataError(
            f"{_examples(raw, nul, 1)}: the {role} holds a NUL character (\\x00) "
            f"({int(nul.sum())} row(s)); a binary or mis-decoded file? remove it"
        )


def _check_learnable(frame, origin: str, grouped: bool) -> None:
    """A dataset cross-validation can learn from: two rows or more, two labels or more,
    and, when groups are given, two groups or more (folds never split a group)."""
    if len(frame) < 2:
        raise DataError(
            f"{origin}: only {len(frame)} data row(s) for this task; a classifier needs rows "
            "of at least two labels"
        )
    labels = frame["label"].unique()
    if len(labels) < 2:
        raise DataError(
            f"{origin}: every row ({len(frame)}) has the label {labels[0]!r} for this task; a "
            "classifier needs two labels: check the label column and [dataset.labels]"
        )
    groups = frame["group"].unique()
    if grouped and len(groups) < 2:
        raise DataError(
            f"{origin}: all {len(frame)} rows are in one group ({groups[0]!r}); folds keep a "
            "group together, so they need two groups or more: map 'group' to a column with "
            "more groups, or unmap it (each row its own group)"
        )
