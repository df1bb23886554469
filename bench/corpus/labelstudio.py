"""Label Studio round trip: an article -> tasks (one per sentence unit, with a baseline's
suggestions as predictions) and the labeling config; Label Studio's JSON export -> one
annotator's ``NAME.annotations.ANNOTATOR.jsonl``, checked against the article.

The labeling config (``label_config``): the unit's text (whitespace preserved), the
evidence as a span (``Labels`` on ``Text``), and per span a ``Choices`` of the category
(the labels, or ``exclude``) and text areas for the holder, the target and a note (for an
exclusion: its reason). In Label Studio's export every per-span control reuses the span's
region ``id``: a region is the ``labels`` result and the ``choices`` and ``textarea``
results of the same id (``value.start``/``end`` are offsets in the task's text, which is
the unit: ``data.start`` is the unit's offset in the article). A task skipped in Label
Studio (``was_cancelled``) carries no annotation. The export schema this reads is
``Task`` below; the golden files in ``tests/data/annotation/`` come from a real server.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict
from xml.sax.saxutils import quoteattr

from bench.agreement import CATEGORIES, EXCLUDE
from bench.corpus.annotations import Item, read_annotations
from bench.corpus.articles import check_annotator, rater_path, read_article
from bench.corpus.segment import Unit, segment
from bench.errors import DataError, shown
from bench.io import write_text_atomic
from bench.labels import LABELS

# the names of the labeling config's controls: what an export's from_name/to_name say
TEXT, EVIDENCE, LABEL, HOLDER, TARGET, NOTE = (
    "text",
    "evidence",
    "label",
    "holder",
    "target",
    "note",
)
SPAN = "evidence"  # the one value of the Labels control
TEXT_AREAS = (HOLDER, TARGET, NOTE)
SUGGESTION = "suggestion"  # model_version prefix: a prediction is a suggestion to review


# ------------------------------------------------------------------ the export schema
class ResultValue(TypedDict, total=False):
    start: int
    end: int
    text: str | list[str]  # a span's text (labels, choices); a text area's lines
    labels: list[str]
    choices: list[str]


class Result(TypedDict):
    id: str
    from_name: str
    to_name: str
    type: str  # "labels" | "choices" | "textarea"
    value: ResultValue
    origin: NotRequired[str]


class Annotation(TypedDict):
    id: int
    completed_by: int | dict  # a user id (an object with id and email in some versions)
    result: list[Result]
    was_cancelled: bool
    ground_truth: NotRequired[bool]
    lead_time: NotRequired[float]


class TaskData(TypedDict):
    text: str  # the unit
    article: str
    unit: int
    start: int  # the unit's offsets in the article
    end: int
    kind: str
    digest: str  # sha256 of the article's text: which version the offsets refer to


class Prediction(TypedDict):
    model_version: str
    score: NotRequired[float]
    result: list[Result]


class Task(TypedDict):
    data: TaskData
    id: NotRequired[int]
    annotations: NotRequired[list[Annotation]]
    predictions: NotRequired[list[Prediction] | list[int]]


HINT = (
    "Label of the selected evidence (see seeds/GUIDELINES.md); pre-filled regions are a "
    "baseline's suggestions: review each"
)


def label_config() -> str:
    """The labeling config to paste into Label Studio (Settings > Labeling Interface)."""
    choices = "\n".join(
        f"      <Choice value={quoteattr(c)}/>" for c in CATEGORIES
    )  # the labels and exclude
    areas = "\n".join(
        f'      <TextArea name="{name}" toName="{TEXT}" perRegion="true" editable="true" '
        f'maxSubmissions="1" rows="1" placeholder={quoteattr(hint)}/>'
        for name, hint in (
            (HOLDER, "holder: who takes the stance (empty for a fact)"),
            (TARGET, "target: a short canonical noun phrase"),
            (NOTE, "note for reviewers; for exclude: the reason"),
        )
    )
    return f"""<View>
  <Style>.htx-text {{ white-space: pre-wrap; }}</Style>
  <Header value="$article, unit $unit ($kind)"/>
  <Text name="{TEXT}" value="$text" granularity="symbol"/>
  <Labels name="{EVIDENCE}" toName="{TEXT}">
    <Label value="{SPAN}"/>
  </Labels>
  <View visibleWhen="region-selected">
    <Header value="{HINT}"/>
    <Choices name="{LABEL}" toName="{TEXT}" perRegion="true" choice="single" required="true">
{choices}
    </Choices>
{areas}
  </View>
</View>
"""


def digest(text: str) -> str:
    """The SHA-256 of the article's text (UTF-8, without a BOM)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -------------------------------------------------------------------- suggestions
@dataclass(frozen=True)
class Suggestion:
    """A baseline's guess for one unit: a label (with its probability when the model
    gives one), a holder and a target; to be reviewed."""

    label: str
    score: float | None
    holder: str
    target: str


_NAME = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:of|and|de|van|von)?\s*[A-Z][\w’'.-]*)*")
_WORD = re.compile(r"[a-z]{5,}")
_DETERMINER = re.compile(r"^(?:The|A|An|Some)\s+")


def name_of(unit: Unit) -> str:
    """A subject-like name: the unit's quoted speaker, else its first run of capitalised
    words (a lone capitalised first word is taken for an ordinary word, not a name); none
    in a headline, whose words are all capitalised."""
    if unit.speaker:
        return unit.speaker
    if unit.kind == "headline":
        return ""
    for m in _NAME.finditer(unit.text):
        if m.start() == 0 and " " not in m.group():
            continue
        return _DETERMINER.sub("", m.group().strip())
    return ""


def nearest_target(text: str, targets: Sequence[str]) -> str:
    """The known target sharing the most words of five letters or more with ``text`` (the
    more frequent first on a tie, as ``targets`` is ordered); "" when none shares one."""
    words = set(_WORD.findall(text.lower()))
    best, shared = "", 0
    for target in targets:
        n = len(words & set(_WORD.findall(target.lower())))
        if n > shared:
            best, shared = target, n
    return best


def suggest(
    units: Sequence[Unit], model: str, seeds: Path, *, leave_out: str, random_state: int = 0
) -> tuple[list[Suggestion], str]:
    """Suggestions for ``units`` from ``model`` (a registered name or module:factory)
    trained on every gold item of ``seeds`` except the article ``leave_out``; and the
    content hash of that training data."""
    from collections import Counter

    import numpy as np
    import pandas as pd

    from bench.corpus.derive import derive
    from bench.runner import fit_predict

    nothing = (
        f"{seeds}: no gold item besides {leave_out}'s to train {model!r} on; export without "
        "--model, or pass --seeds with annotated articles"
    )
    if not any(t.stem != leave_out for t in Path(seeds).glob("*.txt")):
        raise DataError(nothing)
    derived = derive(seeds, leave_out=(leave_out,))
    if not derived.records:
        raise DataError(nothing)
    targets = [t for t, _ in Counter(r["target"] for r in derived.records).most_common()]
    guessed = [nearest_target(u.text, targets) for u in units]
    rows = [(r["sentence"], r["target"]) for r in derived.records]
    rows += [(u.text, t) for u, t in zip(units, guessed, strict=True)]
    X = pd.DataFrame(rows, columns=["text", "target"])
    X["group"] = np.arange(len(X))
    y = np.array([r["label"] for r in derived.records] + [LABELS[0]] * len(units), dtype=object)
    n = len(derived.records)
    fold = fit_predict(
        model,
        {},
        X,
        y,
        np.arange(n),
        np.arange(n, len(X)),
        LABELS,
        random_state,
        1,
        f"--model {model}",
        Path.cwd(),
    )
    out = []
    for k, unit in enumerate(units):
        label = str(fold.pred[k])
        score = None if fold.proba is None else float(fold.proba[k, LABELS.index(label)])
        holder = "" if label == "fact" else name_of(unit)
        out.append(Suggestion(label, score, holder, guessed[k]))
    return out, derived.content_hash


# --------------------------------------------------------------------------- export
def region(
    region_id: str,
    unit_text: str,
    start: int,
    end: int,
    category: str,
    *,
    holder: str = "",
    target: str = "",
    note: str = "",
    origin: str | None = None,
) -> list[Result]:
    """The results of one region, as Label Studio exports them: the span, its category
    and its text areas, all with the region's id (``start``/``end`` in the unit)."""
    span = unit_text[start:end]

    def result(from_name: str, kind: str, value: ResultValue) -> Result:
        out: Result = {
            "id": region_id,
            "from_name": from_name,
            "to_name": TEXT,
            "type": kind,
            "value": value,
        }
        if origin is not None:
            out["origin"] = origin
        return out

    results = [
        result(EVIDENCE, "labels", {"start": start, "end": end, "text": span, "labels": [SPAN]}),
        result(LABEL, "choices", {"start": start, "end": end, "text": span, "choices": [category]}),
    ]
    for name, value in ((HOLDER, holder), (TARGET, target), (NOTE, note)):
        if value:
            results.append(result(name, "textarea", {"start": start, "end": end, "text": [value]}))
    return results


def results(unit: Unit, items: Iterable[Item]) -> list[Result]:
    """Label Studio results of aligned items of one unit (an annotation as a person would
    have made it: to upload existing annotations, or to simulate one)."""
    out: list[Result] = []
    for k, item in enumerate(sorted(items, key=lambda i: (i.start, i.end))):
        start, end = item.start - unit.start, item.end - unit.start
        if item.exclude is not None:
            out += region(
                f"r{k}", unit.text, start, end, EXCLUDE, note=item.exclude, origin="manual"
            )
        else:
            out += region(
                f"r{k}",
                unit.text,
                start,
                end,
                str(item.label),
                holder=item.holder,
                target=item.target,
                origin="manual",
            )
    return out


def tasks(
    article: Path, suggestions: Sequence[Suggestion] | None = None, model_version: str = ""
) -> list[Task]:
    """One task per unit of the article; with ``suggestions`` (one per unit), each task
    carries its suggestion as a prediction covering the whole unit."""
    text = read_article(article)
    units = segment(text)
    stem, sha = Path(article).stem, digest(text)
    out: list[Task] = []
    for k, unit in enumerate(units):
        task: Task = {
            "data": {
                "text": unit.text,
                "article": stem,
                "unit": unit.index,
                "start": unit.start,
                "end": unit.end,
                "kind": unit.kind,
                "digest": sha,
            }
        }
        if suggestions is not None:
            s = suggestions[k]
            prediction: Prediction = {
                "model_version": model_version,
                "result": region(
                    f"u{unit.index}",
                    unit.text,
                    0,
                    len(unit.text),
                    s.label,
                    holder=s.holder,
                    target=s.target,
                ),
            }
            if s.score is not None:
                prediction["score"] = round(s.score, 4)
            task["predictions"] = [prediction]
        out.append(task)
    return out


def export_tasks(
    article: Path, out: Path, *, model: str | None = None, seeds: Path | None = None
) -> list[Task]:
    """Write the article's tasks (with ``model``'s suggestions) to ``out`` as JSON."""
    text = read_article(article)
    suggestions, version = None, ""
    if model is not None:
        if seeds is None:
            raise DataError("suggestions need the seeds folder to train on; pass --seeds DIR")
        suggestions, data_hash = suggest(segment(text), model, seeds, leave_out=Path(article).stem)
        version = f"{SUGGESTION}:{model}@{data_hash[:12]}"
    made = tasks(article, suggestions, version)
    write_text_atomic(out, json.dumps(made, ensure_ascii=False, indent=1) + "\n")
    return made


# --------------------------------------------------------------------------- import
@dataclass(frozen=True)
class Imported:
    path: Path
    rows: list[dict]
    user: str
    n_tasks: int
    skipped: int  # cancelled annotations left out


def _user(annotation: Mapping) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    return str(who)


def read_export(path: Path) -> list[dict]:
    """Label Studio's JSON export (a list of tasks); any other shape is an error."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(
            f"{path}: no such file; export the project as JSON from Label Studio"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path}: not Label Studio's JSON export ({exc}); export with the 'JSON' format "
            "(not JSON_MIN, CSV or CONLL)"
        ) from None
    if not isinstance(doc, list) or not all(
        isinstance(t, dict) and isinstance(t.get("data"), dict) for t in doc
    ):
        raise DataError(
            f"{path}: expected a list of tasks, each with 'data' and 'annotations' (Label "
            "Studio's 'JSON' export; JSON_MIN keeps no span of its choices)"
        )
    return doc


def _region_rows(
    where: str, results: list, unit_text: str, problems: list[str]
) -> list[dict[str, Any]]:
    """The regions of one annotation: span (offsets in the unit), category, text areas."""
    regions: dict[str, dict[str, Any]] = {}
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("value"), dict):
            problems.append(f"{where}: a result is not an object with a 'value'")
            continue
        rid, name, value = str(r.get("id")), r.get("from_name"), r["value"]
        if name == EVIDENCE:
            regions.setdefault(rid, {"id": rid})["span"] = value
        elif name == LABEL:
            regions.setdefault(rid, {"id": rid})["choices"] = value.get("choices") or []
        elif name in TEXT_AREAS:
            lines = value.get("text") or []
            lines = [lines] if isinstance(lines, str) else lines
            text = " ".join(str(x).strip() for x in lines).strip()
            regions.setdefault(rid, {"id": rid})[str(name)] = text
        else:
            problems.append(
                f"{where}: result {shown(rid)} is from an unknown control {shown(name)} (known: "
                f"{', '.join((EVIDENCE, LABEL, *TEXT_AREAS))}); label with the config that "
                "`stance-bench annotate export --config-out` writes"
            )
    out = []
    for rid, reg in regions.items():
        at = f"{where}, region {shown(rid)}"
        span = reg.get("span")
        if span is None:
            problems.append(f"{at}: has a label or text but no evidence span; select the span")
            continue
        start, end, quoted = span.get("start"), span.get("end"), span.get("text")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            problems.append(f"{at}: span offsets {start!r}-{end!r} are not a span")
            continue
        if unit_text[start:end] != quoted:
            found = unit_text.find(quoted) if isinstance(quoted, str) and quoted else -1
            problems.append(
                f"{at}: the text at {start}-{end} is {shown(unit_text[start:end])}, not the "
                f"span's text {shown(quoted)}"
                + (f" (that text is at {found}-{found + len(quoted)})" if found >= 0 else "")
                + "; re-select the span in Label Studio"
            )
            continue
        choices = reg.get("choices") or []
        if len(choices) != 1 or choices[0] not in CATEGORIES:
            problems.append(
                f"{at} ({shown(quoted, 40)}): label {choices!r} is not one of "
                f"{', '.join(CATEGORIES)}; pick one"
            )
            continue
        out.append({**reg, "start": start, "end": end, "category": choices[0]})
    return out


def _chosen_user(export: Sequence[Mapping], user: str | None, source: str) -> tuple[str, int]:
    """Whose annotations to take (``user``, or the only one), and how many annotations
    were cancelled (skipped in Label Studio)."""
    users: dict[str, int] = {}
    cancelled = 0
    for task in export:
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                cancelled += 1
            else:
                users[_user(ann)] = users.get(_user(ann), 0) + 1
    if user is None and len(users) > 1:
        listed = ", ".join(f"{u} ({n} annotations)" for u, n in sorted(users.items()))
        raise DataError(
            f"{source}: annotations by {len(users)} users ({listed}); pass --user ID for the "
            "one to import"
        )
    if user is not None and user not in users:
        raise DataError(
            f"{source}: no submitted annotation by user {shown(user)}; users: "
            + (", ".join(sorted(users)) or "none")
        )
    return (user if user is not None else next(iter(users), "")), cancelled


def _task_regions(
    export: Sequence[Mapping], text: str, stem: str, chosen: str, source: str, problems: list
) -> tuple[list[tuple[Unit, dict]], set[int]]:
    """The regions of the chosen user's annotation of each task, with their unit; and the
    units that have an annotation."""
    units = {u.index: u for u in segment(text)}
    regions: list[tuple[Unit, dict]] = []
    annotated: set[int] = set()
    for n, task in enumerate(export):
        data = task["data"]
        where = f"{source}: task {task.get('id', n + 1)}"
        if data.get("article") != stem:
            problems.append(
                f"{where}: is a task of article {shown(data.get('article'))}, not {stem!r}; "
                "pass the article the tasks were exported from"
            )
            continue
        unit = units.get(data.get("unit"))  # type: ignore[arg-type]
        if unit is None or unit.start != data.get("start") or unit.text != data.get("text"):
            changed = data.get("digest") != digest(text)
            problems.append(
                f"{where} (unit {data.get('unit')}): its text is not the article's unit at "
                f"offsets {data.get('start')}-{data.get('end')}"
                + (
                    " (the article changed since the export: restore it, or export again)"
                    if changed
                    else ""
                )
            )
            continue
        where = f"{where} (unit {unit.index}, {shown(unit.text, 40)})"
        mine = [
            a
            for a in task.get("annotations") or []
            if not a.get("was_cancelled") and _user(a) == chosen
        ]
        if len(mine) > 1:
            problems.append(
                f"{where}: {len(mine)} submitted annotations by user {chosen}; keep one in "
                "Label Studio"
            )
        elif mine:
            annotated.add(unit.index)
            for reg in _region_rows(where, mine[0].get("result") or [], unit.text, problems):
                regions.append((unit, reg))
    for index, u in sorted(units.items()):
        if index not in annotated:
            problems.append(
                f"{source}: unit {index} ({shown(u.text, 50)}) has no submitted annotation by "
                f"user {chosen or '?'}; annotate it (an exclusion with a reason for a unit "
                "with no item)"
            )
    return regions, annotated


def _row(unit: Unit, reg: dict, text: str, source: str, problems: list) -> tuple[int, dict]:
    """One region as an annotation row (the span's surrounding spaces dropped), with its
    offset in the article."""
    raw = unit.text[reg["start"] : reg["end"]]
    evidence = raw.strip()
    start = unit.start + reg["start"] + len(raw) - len(raw.lstrip())
    category = reg["category"]
    holder, target, note = (reg.get(k, "") for k in (HOLDER, TARGET, NOTE))
    at = f"{source}: unit {unit.index}, evidence {shown(evidence, 50)}"
    row: dict[str, Any] = {"evidence": evidence}
    if category == EXCLUDE:
        if not note:
            problems.append(f"{at}: an exclusion needs its reason in the note")
        row["exclude"] = note
    elif category == "fact":
        if holder:
            problems.append(
                f"{at}: a fact has no holder (here {shown(holder)}): clear it, or give the "
                "stance label it expresses"
            )
        if not target:
            problems.append(f"{at}: a fact needs a target too (what the event is about)")
    elif not (holder and target):
        missing = " and ".join(k for k, v in ((HOLDER, holder), (TARGET, target)) if not v)
        problems.append(
            f"{at}: a {category} item needs a holder and a target (no {missing}); "
            "use label fact if nobody takes a stance"
        )
    if category != EXCLUDE:
        row["label"] = category
        row.update({k: v for k, v in ((HOLDER, holder), (TARGET, target), (NOTE, note)) if v})
    if text.count(evidence) > 1:
        row["offset"] = start
    return start, row


def rows_from_export(
    export: Sequence[Mapping],
    article: Path,
    annotator: str,
    *,
    user: str | None = None,
    source: str = "export",
) -> tuple[list[dict], str, int]:
    """The annotation rows of one annotator (the export's ``user``, or its only one), in
    the project's format and text order; every problem of the export is collected and
    raised at once. Returns (rows, user, cancelled annotations left out)."""
    text = read_article(article)
    stem = Path(article).stem
    chosen, cancelled = _chosen_user(export, user, source)
    problems: list[str] = []
    regions, _ = _task_regions(export, text, stem, chosen, source, problems)
    located = []
    for unit, reg in regions:
        start, row = _row(unit, reg, text, source, problems)
        located.append((start, start + len(row["evidence"]), reg["category"], unit.index, row))
    located.sort(key=lambda r: (r[0], r[1], r[2]))
    excluded = {index for *_, category, index, _ in located if category == EXCLUDE}
    for index in sorted(excluded):
        if any(i == index and c != EXCLUDE for *_, c, i, _ in located):
            problems.append(
                f"{source}: unit {index} is excluded and has items; an excluded unit carries "
                "no item: remove the exclusion or the items"
            )
    labels_of: dict[tuple[int, str], str] = {}
    for *_, category, index, row in located:  # one target, one label per sentence
        if "label" in row and row.get(TARGET):
            first = labels_of.setdefault((index, row[TARGET].lower()), category)
            if first != category:
                problems.append(
                    f"{source}: unit {index}: target {shown(row[TARGET])} has two labels "
                    f"({first}, {category}) in one sentence; name the targets apart"
                )
    if problems:
        raise DataError(
            f"{source}: {len(problems)} problem(s), nothing written:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    rows = [{"id": f"{stem}-{annotator}-{k:03d}", **r[-1]} for k, r in enumerate(located, 1)]
    return rows, chosen, cancelled


def dumps_rows(rows: Iterable[dict]) -> str:
    """Annotation rows as the project's JSONL (one object a line, keys in file order)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def write_validated(path: Path, rows: list[dict], article: Path) -> None:
    """Write annotation rows to ``path`` atomically, after they pass the same validation
    as a hand-written file (``bench.corpus.annotations.read_annotations``)."""
    text = read_article(article)
    staged = path.with_name(f".{path.name}.check")
    staged.write_text(dumps_rows(rows), encoding="utf-8")
    try:
        read_annotations(staged, text, segment(text))
    finally:
        staged.unlink(missing_ok=True)
    write_text_atomic(path, dumps_rows(rows))


def import_export(
    export: Path,
    article: Path,
    annotator: str,
    *,
    user: str | None = None,
    out: Path | None = None,
    force: bool = False,
) -> Imported:
    """Read a Label Studio export and write the annotator's file beside the article."""
    check_annotator(annotator)
    target = Path(out) if out is not None else rater_path(article, annotator)
    if target.exists() and not force:
        raise DataError(f"{target}: exists; pass --force to replace it, or --out another file")
    doc = read_export(export)
    rows, chosen, cancelled = rows_from_export(
        doc, article, annotator, user=user, source=str(export)
    )
    write_validated(target, rows, article)
    return Imported(target, rows, chosen, len(doc), cancelled)
