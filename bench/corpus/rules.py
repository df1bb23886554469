"""The contrast rules: word lists and rules of ``seeds/contrast/*.toml``, read and checked
(``load_rules``) into typed ``Rules``. What they generate is ``bench.corpus.contrast``."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from bench.constraints import OneOf, check, check_keys
from bench.errors import DataError
from bench.io import tomllib
from bench.labels import LABELS

RULES_DIR = "contrast"  # beside the articles: seeds/contrast/
# what may follow a cue's object (cue_rules.toml [complements]; detected in contrast.py)
COMPLEMENTS = ("whether", "for_gerund", "to_infinitive")


@dataclass(frozen=True)
class Entity:
    """A person, country, organisation or group, with its surface forms by role."""

    kind: str  # person | country | organisation | group
    forms: tuple[tuple[str, str], ...]  # (role, surface), e.g. ("surname", "Putin")
    gender: str = ""
    title: str = ""
    invented: bool = False  # made up for the replacements (never a real person or body)
    with_the: bool = False  # an organisation written with "the" ("the Commission")

    def form(self, role: str) -> str:
        return dict(self.forms).get(role, "")


@dataclass(frozen=True)
class CueRule:
    phrase: str
    label: str
    synonyms: tuple[str, ...] = ()
    negated: str = ""
    opposite: str = ""
    opposite_label: str = ""
    report: str = ""


@dataclass(frozen=True)
class Template:
    capability: str
    label: str
    template: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    entities: tuple[Entity, ...]
    groups: tuple[str, ...]
    titles: tuple[str, ...]
    organisation_nouns: tuple[str, ...]  # the head nouns that make a name an organisation
    per_item: dict[str, int]
    cues: tuple[CueRule, ...]
    complements: dict[str, tuple[str, ...]]  # complement -> the replacements that take it
    negated_label: str
    report_label: str
    reason_markers: tuple[str, ...]
    frames: tuple[str, ...]
    skip_openings: tuple[str, ...]
    attributed_by: tuple[str, ...]  # words that give a sentence its own attribution
    actors: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]  # (text in the sentence, target)
    templates: tuple[Template, ...]

    def inserted(self) -> list[str]:
        """Every string the rules may put into a sentence (checked against the cue lexicon)."""
        out = [surface for e in self.entities for _, surface in e.forms]
        out += [e.title for e in self.entities if e.title]
        out += list(self.groups) + list(self.frames) + list(self.actors)
        out += [text for text, _ in self.targets]
        for c in self.cues:
            out += [*c.synonyms, c.negated, c.opposite, c.report]
        for t in self.templates:
            out += [re.sub(r"\{\w+\}", " ", t.template), *t.phrases]
        return [s for s in out if s]


def _load(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the contrast rules ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None


def _check_keys(path: Path, where: str, table: dict, allowed: set[str], required: set[str]):
    check_keys(
        table, sorted(allowed), f"{where} of {path}", required=sorted(required), error=DataError
    )


def _label(path: Path, where: str, value: str) -> str:
    check(value, OneOf(LABELS), f"the label of {where} in {path}", error=DataError)
    return value


def load_rules(folder: Path) -> Rules:
    """Read and check ``entities``, ``cue_rules``, ``attribution`` and ``mft`` .toml files."""
    folder = Path(folder)
    ent_path, cue_path = folder / "entities.toml", folder / "cue_rules.toml"
    att_path, mft_path = folder / "attribution.toml", folder / "mft.toml"
    ent, cue, att, mft = (_load(p) for p in (ent_path, cue_path, att_path, mft_path))

    _check_keys(
        ent_path,
        "the file",
        ent,
        {"titles", "organisation_nouns", "per_item", "country", "person", "organisation", "groups"},
        {"country", "person", "groups"},
    )
    entities: list[Entity] = []
    for row in ent.get("country", []):
        _check_keys(ent_path, "[[country]]", row, {"name", "adjective", "capital"}, {"name"})
        forms = tuple((k, row[k]) for k in ("name", "adjective", "capital") if row.get(k))
        entities.append(Entity("country", forms))
    for row in ent.get("person", []):
        _check_keys(
            ent_path,
            "[[person]]",
            row,
            {"name", "surname", "gender", "title", "invented"},
            {"name", "surname", "gender"},
        )
        forms = (("name", row["name"]), ("surname", row["surname"]))
        invented = bool(row.get("invented", False))
        entities.append(Entity("person", forms, row["gender"], row.get("title", ""), invented))
    for row in ent.get("organisation", []):
        _check_keys(
            ent_path, "[[organisation]]", row, {"name", "short", "invented", "with_the"}, {"name"}
        )
        forms = tuple((k, row[k]) for k in ("name", "short") if row.get(k))
        entities.append(
            Entity(
                "organisation",
                forms,
                invented=bool(row.get("invented", False)),
                with_the=bool(row.get("with_the", False)),
            )
        )
    per_item = {k: int(v) for k, v in ent.get("per_item", {}).items()}
    per_item["attribution"] = int(att.get("per_item", 1))

    _check_keys(
        cue_path,
        "the file",
        cue,
        {"labels", "directional", "complements", "rule"},
        {"labels", "rule"},
    )
    directional = cue.get("directional", {})
    _check_keys(cue_path, "[directional]", directional, {"reason_markers"}, set())
    _check_keys(cue_path, "[labels]", cue["labels"], {"negated", "report"}, {"negated", "report"})
    cues = []
    for i, row in enumerate(cue["rule"], 1):
        where = f"[[rule]] {i} ({row.get('phrase', '?')!r})"
        _check_keys(
            cue_path, where, row, {f.name for f in dataclasses.fields(CueRule)}, {"phrase", "label"}
        )
        _label(cue_path, where, row["label"])
        if row.get("opposite"):
            _label(cue_path, where + " opposite_label", row.get("opposite_label", ""))
        cues.append(CueRule(**{**row, "synonyms": tuple(row.get("synonyms", ()))}))
    cues.sort(key=lambda c: -len(c.phrase))  # the longest phrase wins an overlap
    table = cue.get("complements", {})
    _check_keys(cue_path, "[complements]", table, set(COMPLEMENTS), set())
    replacements = {w for c in cues for w in (*c.synonyms, c.negated, c.opposite, c.report) if w}
    complements = {}
    for kind, words in table.items():
        unknown = [w for w in words if w not in replacements]
        if unknown:
            raise DataError(
                f"{cue_path}: [complements] {kind} lists {', '.join(map(repr, unknown))}, which "
                "no [[rule]] uses as a replacement; list them as the rules write them"
            )
        complements[kind] = tuple(words)

    _check_keys(
        att_path,
        "the file",
        att,
        {"per_item", "frames", "skip_openings", "attributed_by"},
        {"frames"},
    )
    _check_keys(mft_path, "the file", mft, {"actors", "target", "template"}, set(mft))
    templates = []
    for row in mft.get("template", []):
        where = f"[[template]] {row.get('capability', '?')!r}"
        _check_keys(mft_path, where, row, {"capability", "label", "template", "phrases"}, set(row))
        templates.append(
            Template(
                row["capability"],
                _label(mft_path, where, row["label"]),
                row["template"],
                tuple(row["phrases"]),
            )
        )
    return Rules(
        entities=tuple(entities),
        groups=tuple(ent["groups"]),
        titles=tuple(ent.get("titles", ())),
        organisation_nouns=tuple(ent.get("organisation_nouns", ())),
        per_item=per_item,
        cues=tuple(cues),
        complements=complements,
        negated_label=_label(cue_path, "[labels] negated", cue["labels"]["negated"]),
        report_label=_label(cue_path, "[labels] report", cue["labels"]["report"]),
        reason_markers=tuple(directional.get("reason_markers", ())),
        frames=tuple(att["frames"]),
        skip_openings=tuple(att.get("skip_openings", ())),
        attributed_by=tuple(att.get("attributed_by", ())),
        actors=tuple(mft.get("actors", ())),
        targets=tuple((t["text"], t["target"]) for t in mft.get("target", [])),
        templates=tuple(templates),
    )
