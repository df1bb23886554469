"""``predictions``: a model that answers with the predictions of a file made elsewhere (a
GPU job, a paid API, a system the benchmark cannot run).

The file is JSON Lines, one prediction per line::

    {"id": "a1-s3-t0", "predicted": "condemn"}
    {"id": "a1-s4-t0", "predicted": null, "raw": "I cannot tell"}

``id`` and ``predicted`` (a label of the task, or null: the system abstained) are
required; optional keys are ``view``, ``repeat``, ``fold`` (all three: a system trained
per fold, whose prediction of an item depends on where it is tested; without them the
prediction is the item's whatever the fold: zero-shot), ``raw`` (the system's raw
output), ``scores`` (per label), ``prompt_sha256``, ``model``, ``usage``: kept in the run's
``responses.jsonl``. The first line may be the header of ``stance-bench items`` (its
``digest``): the run is then refused when the config's items have changed since export.

Coverage is strict: an item without a line is an error listing the first ones, unless
``abstain`` is set: ``"wrong"`` (a missing item is an abstention scored as an error) or
``"drop"`` (abstentions are left out of the scores, and the report says so). An answer
outside the task's labels is an abstention (``unknown_label``), counted and shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.constraints import FilePath, OneOf, check_keys
from bench.errors import ConfigError, DataError, ModelError, shown
from bench.items import HEADER, KEYS, Items
from bench.labels import ABSTAIN_POLICIES
from bench.models.answering import Answers
from bench.models.registry import FitContext, register

LINE_KEYS = ("id", "predicted", *KEYS, "raw", "scores", "prompt_sha256", "model", "usage")
KEPT = ("raw", "scores", "prompt_sha256", "model", "usage")  # copied to responses.jsonl
MAX_SHOWN = 5  # ids an error message lists


@dataclass(frozen=True)
class Line:
    number: int
    predicted: str | None
    kept: dict[str, Any]


@dataclass(frozen=True)
class PredictionsTable:
    """A parsed predictions file: its lines by key ((id,) or (view, repeat, fold, id)),
    whether they are per fold, and the items digest of its header (None without one)."""

    path: Path
    per_fold: bool
    lines: dict[tuple, Line]
    digest: str | None


def _fail(path: Path, number: int, why: str) -> DataError:
    return DataError(f"{path}:{number}: {why}")


def _parse_line(path: Path, number: int, obj: Any) -> tuple[tuple, Line]:
    if not isinstance(obj, dict):
        raise _fail(path, number, f"not a JSON object: {shown(obj)}")
    where = f"{path}:{number}"
    check_keys(obj, LINE_KEYS, where, required=("id", "predicted"), error=DataError, located=True)
    ident = obj["id"]
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        raise _fail(path, number, f"'id' must be a string; got {shown(ident)}")
    predicted = obj["predicted"]
    if predicted is not None and not isinstance(predicted, str):
        raise _fail(path, number, f"'predicted' must be a label or null; got {shown(predicted)}")
    present = [k for k in KEYS if k in obj]
    if present and len(present) != len(KEYS):
        lacking = ", ".join(k for k in KEYS if k not in obj)
        raise _fail(path, number, f"has {', '.join(present)} but not {lacking}: give all three")
    key: tuple = (str(ident),)
    if present:
        view, repeat, fold = obj["view"], obj["repeat"], obj["fold"]
        if not isinstance(view, str):
            raise _fail(path, number, f"'view' must be a view name; got {shown(view)}")
        for name, value in (("repeat", repeat), ("fold", fold)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _fail(path, number, f"{name!r} must be an integer; got {shown(value)}")
        key = (view, repeat, fold, str(ident))
    scores = obj.get("scores")
    if scores is not None and not (
        isinstance(scores, dict)
        and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in scores.values()
        )
    ):
        raise _fail(
            path, number, f"'scores' must map labels to numbers (or null); got {shown(scores)}"
        )
    return key, Line(number, predicted, {k: obj[k] for k in KEPT if k in obj})


def read_predictions(path: Path) -> PredictionsTable:
    """Parse and check a predictions file (see the module docstring); read once per
    process while the file is unchanged."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(
            f"{path}: predictions file not found; list what to predict with `stance-bench "
            "items CONFIG --out items.jsonl`, have your system predict each item, and write "
            'one line per item: {"id": ..., "predicted": ...}'
        ) from None
    return _read(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: Path, mtime_ns: int, size: int) -> PredictionsTable:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8; write the predictions as UTF-8") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; name the predictions file") from None
    lines: dict[tuple, Line] = {}
    digest = None
    per_fold: bool | None = None
    first = True
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise _fail(path, number, f"not valid JSON ({exc})") from None
        if isinstance(obj, dict) and HEADER in obj:
            if not first:
                raise _fail(path, number, "an items header after the first line")
            digest = obj.get("digest")
            first = False
            continue
        first = False
        key, line = _parse_line(path, number, obj)
        this = len(key) > 1
        if per_fold is None:
            per_fold = this
        elif per_fold != this:
            raise _fail(
                path,
                number,
                "some lines have view/repeat/fold and others not; a file is either per fold "
                "(every line has them) or zero-shot (none has)",
            )
        if key in lines:
            raise _fail(
                path,
                number,
                f"a second prediction for {shown(key[-1])} (the first at line "
                f"{lines[key].number}{' in the same fold' if this else ''})",
            )
        lines[key] = line
    return PredictionsTable(path, bool(per_fold), lines, digest)


def _located(params: Mapping[str, Any]) -> Path | None:
    return Path(params["path"]) if params.get("path") else None


def _trained(params: Mapping[str, Any]) -> bool:
    """Explicit ``trained``, else what the file says: lines with view/repeat/fold come
    from a system trained per fold; without them, or without the file yet, zero-shot."""
    if params.get("trained") is not None:
        return bool(params["trained"])
    path = _located(params)
    if path is None or not path.is_file():
        return False
    return read_predictions(path).per_fold


def _validate(params: Mapping[str, Any], where: str) -> None:
    if not params.get("path"):
        raise ConfigError(
            f'[model] of {where}: model predictions needs path = "preds.jsonl" (the file of '
            "predictions; relative to the config's folder)"
        )


@register(
    "predictions",
    "the predictions of a file made elsewhere (one line per item: id, predicted)",
    constraints={
        "path": FilePath(must_exist=False),
        "abstain": OneOf(("", *ABSTAIN_POLICIES)),
    },
    trained=_trained,
    validate=_validate,
)
def predictions(
    *,
    path: str = "",
    abstain: str = "",
    trained: bool | None = None,
    labels: tuple[str, ...] | None = None,
    context: FitContext | None = None,
):
    return PredictionsFile(path=path, abstain=abstain, labels=labels, context=context)


class PredictionsFile:
    """The estimator of ``predictions``: ``fit`` reads the file (nothing is learned),
    ``answer`` looks each test item up, by id or by (view, repeat, fold, id)."""

    def __init__(
        self,
        *,
        path: str,
        abstain: str = "",
        labels: Sequence[str] | None = None,
        context: FitContext | None = None,
    ):
        self.path = path
        self.abstain = abstain
        self.labels = labels
        self.context = context

    @property
    def policy(self) -> str:
        return self.abstain or "wrong"

    def check_items(self, items: Items) -> None:
        """Before any fold runs: the file is for these items (digest), per fold when the
        model trains, and answers every item unless an abstention policy is set."""
        table = read_predictions(Path(self.path))
        if table.lines and table.per_fold != items.trained:
            raise DataError(
                f"{table.path}: its lines have view/repeat/fold (a system trained per fold) "
                "but the model is zero-shot (trained = false); drop trained = false"
                if table.per_fold
                else f"{table.path}: its lines have no view/repeat/fold, but the model is "
                "trained per fold (trained = true): give each line the view, repeat and fold "
                "it was predicted in (stance-bench items lists them), or drop trained = true"
            )
        if table.digest is not None and table.digest != items.digest:
            raise DataError(
                f"{table.path}: made for items with digest {str(table.digest)[:12]}, but the "
                f"config's items now have {items.digest[:12]}: the items changed since they "
                "were exported; export them again (stance-bench items) and predict them anew"
            )
        missing = [k for k in items.lookup_keys() if k not in table.lines]
        if missing and not self.abstain:
            first = ", ".join(
                "/".join(map(str, k)) if len(k) > 1 else str(k[0]) for k in missing[:MAX_SHOWN]
            )
            raise DataError(
                f"{table.path}: {len(missing)} of {len(items.rows)} predictions the config "
                f"needs are missing (first: {first}); predict them (stance-bench items "
                'CONFIG lists every one), or set abstain = "wrong" (count them as errors) '
                'or "drop" (score the rest) in [model]'
            )

    def fit(self, X, y):
        self.table_ = read_predictions(Path(self.path))
        return self

    def predict(self, X):
        """The answers' labels (None where the system abstained)."""
        import numpy as np

        return np.array(self.answer(X).labels, dtype=object)

    def answer(self, X) -> Answers:
        import numpy as np

        ctx = self.context or FitContext()
        labels = list(self.labels or ())
        known = set(labels)
        column = {lab: i for i, lab in enumerate(labels)}
        ids = X["id"].astype(str).tolist()
        out: list[str | None] = []
        reasons: list[str] = []
        records: list[dict[str, Any]] = []
        scores = np.full((len(ids), len(labels)), np.nan)
        any_scores = False
        for row, ident in enumerate(ids):
            key = (ctx.view, ctx.repeat, ctx.fold, ident) if self.table_.per_fold else (ident,)
            line = self.table_.lines.get(key)
            if line is None:
                if not self.abstain:
                    raise ModelError(f"{self.path}: no prediction for {ident!r}")
                out.append(None)
                reasons.append("missing")
                records.append({"predicted": None, "no_answer": "missing"})
                continue
            label = line.predicted
            reason = "" if label in known else "abstained" if label is None else "unknown_label"
            out.append(label if not reason else None)
            reasons.append(reason)
            record: dict[str, Any] = {"line": line.number, "predicted": out[-1]}
            if reason:
                record["no_answer"] = reason
            if reason == "unknown_label":
                record["answered"] = label
            record.update(line.kept)
            records.append(record)
            for lab, value in (line.kept.get("scores") or {}).items():
                if lab in column and value is not None:
                    scores[row, column[lab]] = float(value)
                    any_scores = True
        return Answers(out, reasons, self.policy, records, scores if any_scores else None)
