"""Gold items -> contrast cases: capability tests in the manner of CheckList (Ribeiro et al., 2020).

Rules and word lists are data, ``seeds/contrast/*.toml``; the label rule of each
capability is written in ``seeds/GUIDELINES.md`` ("Contrast cases"). Three test types:

- ``invariance``: the label must not change (``holder_swap``, ``entity_swap``,
  ``cue_synonym``, ``attribution``);
- ``directional``: the label changes as the rule says (``cue_negation``, ``cue_flip``,
  ``stance_to_report``);
- ``mft`` (minimum functionality): short templated cases per label, linked to no item.

A case made from an item keeps the item's group, so the two never straddle a fold
boundary. A rule that matches nothing in an item makes nothing for it. Generation is
deterministic: choices rotate through the lists from an offset hashed from the item id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.rules import RULES_DIR, CueRule, Entity, Rules, load_rules
from bench.errors import DataError
from bench.labels import LABELS

CAPABILITIES = {  # capability -> test type, in generation order
    "holder_swap": "invariance",
    "entity_swap": "invariance",
    "cue_synonym": "invariance",
    "attribution": "invariance",
    "cue_negation": "directional",
    "cue_flip": "directional",
    "stance_to_report": "directional",
}
COLUMNS = {  # name -> datasets feature dtype ("label" is a ClassLabel)
    "id": "string",
    "article": "string",
    "group": "string",
    "kind": "string",  # the unit kind, as in the items split: sentence | headline
    "sentence": "string",
    "evidence": "string",
    "holder": "string",
    "target": "string",
    "speaker": "string",
    "label": "label",
    "source_id": "string",
    "source_sentence": "string",
    "source_label": "string",
    "capability": "string",
    "test_type": "string",  # invariance | directional | mft
}
Made = tuple[str, str, str, dict[str, str]]  # sentence, evidence, label, renamed fields
_SMALL_WORDS = {"a", "an", "and", "about", "by", "for", "in", "of", "on", "the", "to", "with"}
_QUOTES = "“\"‘'"


# ------------------------------------------------------------------ text edits
@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def _apply(sentence: str, span: tuple[int, int], edits: list[Edit]) -> tuple[str, str]:
    """Apply non-overlapping edits; return the new sentence and the evidence span's new text.

    An edit inside the evidence stays inside it; an insertion at its start goes before it.
    """
    s0, e0 = span
    for ed in sorted(edits, key=lambda x: (x.start, x.end), reverse=True):
        delta = len(ed.text) - (ed.end - ed.start)
        sentence = sentence[: ed.start] + ed.text + sentence[ed.end :]
        if s0 > ed.start and s0 < ed.end:
            s0 = ed.start
        elif s0 >= ed.end:  # an insertion at the evidence start goes before it
            s0 += delta
        if e0 > ed.start and e0 < ed.end:
            e0 = ed.start + len(ed.text)
        elif e0 >= ed.end and e0 > ed.start:
            e0 += delta
    return sentence, sentence[s0:e0]


def _words(alternatives, *, flags=0) -> re.Pattern:
    alts = sorted({a for a in alternatives if a}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, alts)) + r")(?![\w-])", flags)


def _bounded(surface: str, flags=0) -> re.Pattern:
    """Whole-word match of ``surface`` (a hyphen is a boundary, as in "Putin-Xi")."""
    return re.compile(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", flags)


def _title_case(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        w if (i and w.lower() in _SMALL_WORDS) else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


def _like(original: str, replacement: str, headline: bool) -> str:
    """``replacement`` cased like ``original`` (title case in headlines)."""
    if headline:
        return _title_case(replacement)
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _offset(source_id: str, capability: str) -> int:
    return int(hashlib.sha256(f"{source_id}~{capability}".encode()).hexdigest()[:8], 16)


# ------------------------------------------------------------------ entity substitution
class _Swapper:
    """Finds entities in text and builds the edits that replace them."""

    def __init__(self, rules: Rules, corpus: str):
        self.rules = rules
        adjectives = [e.form("adjective") for e in rules.entities if e.kind == "country"]
        nat = "|".join(map(re.escape, sorted({*adjectives, *rules.nationalities}, key=len)[::-1]))
        titles = "|".join(map(re.escape, sorted(rules.titles, key=len, reverse=True)))
        self.title_re = rf"(?:(?:{nat}) )?(?:{titles}) " if titles else ""
        self.seen = {e for e in rules.entities if self._occurs(e, corpus)}

    def _occurs(self, entity: Entity, text: str) -> bool:
        flags = re.IGNORECASE if entity.kind == "group" else 0
        return any(_bounded(s, flags).search(text) for _, s in entity.forms)

    def pool(self, like: Entity, exclude: str) -> list[Entity]:
        """Unseen entities of ``like``'s kind with every form it has, absent from ``exclude``."""
        if like.kind == "group":
            cands = [Entity("group", (("name", g),)) for g in self.rules.groups]
        else:
            cands = [e for e in self.rules.entities if e.kind == like.kind and e not in self.seen]
        roles = {r for r, _ in like.forms}
        return [
            e
            for e in cands
            if roles <= {r for r, _ in e.forms}
            and (like.kind != "person" or e.gender == like.gender)
            and not self._occurs(e, exclude)
        ]

    def find(self, text: str) -> list[Entity]:
        return [e for e in self.rules.entities if self._occurs(e, text)]

    def holder_entities(self, holder: str) -> list[Entity]:
        """The holder split into its actors: listed people or countries, otherwise a group."""
        out = []
        for part in re.split(r",\s*|\s+and\s+", holder):
            if not part:
                continue
            known = [
                e
                for e in self.rules.entities
                if e.kind in ("person", "country") and e.form("name") == part
            ]
            out.append(known[0] if known else Entity("group", (("name", part),)))
        return out

    def edits(self, sentence: str, entity: Entity, rep: Entity, headline: bool) -> list[Edit]:
        """Replace every mention of ``entity`` in ``sentence`` by the same form of ``rep``."""
        out = []
        by_surface = {s: role for role, s in entity.forms}
        if entity.kind == "group":
            pattern = _words(by_surface, flags=re.IGNORECASE)
        elif entity.kind == "person" and self.title_re:
            alts = "|".join(map(re.escape, sorted(by_surface, key=len, reverse=True)))
            pattern = re.compile(rf"(?P<title>{self.title_re})?(?<!\w)(?P<name>{alts})(?!\w)")
        else:
            pattern = _words(by_surface)
        for m in pattern.finditer(sentence):
            if entity.kind == "group":
                new = rep.form("name")
                if all(w[:1].isupper() for w in m.group(0).split()) or headline:
                    new = _title_case(new)
                out.append(Edit(m.start(), m.end(), new))
                continue
            surface = m.group("name") if entity.kind == "person" and self.title_re else m.group(0)
            new = rep.form(by_surface[surface])
            if entity.kind == "person" and self.title_re and m.group("title"):
                new = f"{rep.title} {new}" if rep.title else new
            out.append(Edit(m.start(), m.end(), new))
        return out

    def rename(self, text: str, entity: Entity, rep: Entity) -> str:
        """``text`` (a holder, target or speaker) with ``entity``'s forms replaced, no titles."""
        flags = re.IGNORECASE if entity.kind == "group" else 0
        for role, surface in sorted(entity.forms, key=lambda f: -len(f[1])):
            text = _bounded(surface, flags).sub(rep.form(role) or rep.form("name"), text)
        return text


def _non_overlapping(edits: list[Edit]) -> list[Edit]:
    out: list[Edit] = []
    for ed in sorted(edits, key=lambda x: (x.start, -x.end)):
        if not out or ed.start >= out[-1].end:
            out.append(ed)
    return out


# ------------------------------------------------------------------ generation
def generate(records: list[dict], rules: Rules) -> list[dict]:
    """The contrast cases of ``records`` (items of the derived dataset), then the MFT cases."""
    corpus = "\n".join(dict.fromkeys(r["sentence"] for r in records))
    gen = _Generator(rules, corpus, records)
    cases = []
    for r in records:
        cases += gen.item_cases(r)
    cases += mft_cases(rules)
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        raise DataError("contrast cases have duplicate ids; check seeds/contrast/*.toml")
    return cases


class _Generator:
    def __init__(self, rules: Rules, corpus: str, records: list[dict]):
        self.rules = rules
        self.swap = _Swapper(rules, corpus)
        # words capitalized inside a sentence somewhere in the articles are names
        inner = " ".join(
            r["sentence"].split(" ", 1)[-1] for r in records if r["kind"] != "headline"
        )
        self.names = set(re.findall(r"\b[A-Z][\w.]*", inner))

    def item_cases(self, r: dict) -> list[dict]:
        span = (r["start"] - r["sentence_start"], r["end"] - r["sentence_start"])
        out: list[dict] = []
        for capability in CAPABILITIES:
            made = getattr(self, capability)(r, span)
            for n, (sentence, evidence, label, changes) in enumerate(made, 1):
                out.append(
                    {
                        "id": f"{r['id']}~{capability}~{n}",
                        "article": r["article"],
                        "group": r["group"],
                        "kind": r["kind"],
                        "sentence": sentence,
                        "evidence": evidence,
                        "holder": changes.get("holder", r["holder"]) if label != "fact" else "",
                        "target": changes.get("target", r["target"]),
                        "speaker": changes.get("speaker", r["speaker"]),
                        "label": label,
                        "source_id": r["id"],
                        "source_sentence": r["sentence"],
                        "source_label": r["label"],
                        "capability": capability,
                        "test_type": CAPABILITIES[capability],
                    }
                )
        return out

    # --- invariance -----------------------------------------------------------------
    def _swap_cases(self, r, span, capability: str, entities: list[Entity]):
        """One case per rotation: each entity replaced by a distinct unseen one."""
        sentence, headline = r["sentence"], r["kind"] == "headline"
        found = [e for e in entities if self.swap.edits(sentence, e, e, headline)]
        if not found or len(found) < len(entities) and capability == "entity_swap":
            return []
        start = _offset(r["id"], capability)
        cases: list[Made] = []
        for n in range(self.rules.per_item.get(capability, 1)):
            edits: list[Edit] = []
            changes: dict[str, str] = {}
            used: list[Entity] = []
            for i, e in enumerate(found):
                pool = [p for p in self.swap.pool(e, sentence) if p not in used]
                if not pool:
                    return cases
                rep = pool[(start + n * len(found) + i) % len(pool)]
                used.append(rep)
                edits += self.swap.edits(sentence, e, rep, headline)
                for key in ("holder", "target", "speaker"):
                    changes[key] = self.swap.rename(changes.get(key, r[key]), e, rep)
            new, evidence = _apply(sentence, span, _non_overlapping(edits))
            cases.append((new, evidence, r["label"], changes))
        return cases

    def holder_swap(self, r, span):
        if not r["holder"]:
            return []
        return self._swap_cases(r, span, "holder_swap", self.swap.holder_entities(r["holder"]))

    def entity_swap(self, r, span):
        return self._swap_cases(r, span, "entity_swap", self.swap.find(r["target"]))

    def _cue(self, r, span) -> list[tuple[CueRule, int, int]]:
        """Cue rules of the item's label found inside its evidence (longest first, disjoint)."""
        s0, e0 = span
        hits: list[tuple[CueRule, int, int]] = []
        for rule in self.rules.cues:
            for m in _bounded(rule.phrase, re.IGNORECASE).finditer(r["sentence"], s0, e0):
                if all(m.end() <= a or m.start() >= b for _, a, b in hits):
                    hits.append((rule, m.start(), m.end()))
        return [(rule, a, b) for rule, a, b in hits if rule.label == r["label"]]

    def _replace_cue(self, r, span, hit, replacement: str):
        rule, a, b = hit
        text = _like(r["sentence"][a:b], replacement, r["kind"] == "headline")
        return _apply(r["sentence"], span, [Edit(a, b, text)])

    def cue_synonym(self, r, span):
        out = []
        for hit in self._cue(r, span):
            for syn in hit[0].synonyms:
                out.append((*self._replace_cue(r, span, hit, syn), r["label"], {}))
        return out

    def attribution(self, r, span):
        s = r["sentence"]
        first = s.split(" ", 1)[0]
        if (
            r["kind"] == "headline"
            or s[:1] in _QUOTES
            or first.endswith("ing")  # a participle clause would dangle after the frame
            or any(s.startswith(o) for o in self.rules.skip_openings)
        ):
            return []
        keep = first in self.names or not first[:1].isupper() or "." in first
        head = s[:1] if keep else s[:1].lower()
        start = _offset(r["id"], "attribution")
        frames = self.rules.frames
        out = []
        for n in range(min(self.rules.per_item.get("attribution", 1), len(frames))):
            frame = frames[(start + n) % len(frames)]
            edits = [Edit(0, 0, frame), Edit(0, 1, head)]
            out.append((*_apply(s, span, edits), r["label"], {}))
        return out

    # --- directional ----------------------------------------------------------------
    def _directional(self, r, span, field: str, label_of):
        hits = self._cue(r, span)
        if len(hits) != 1 or not getattr(hits[0][0], field):
            return []  # no cue, or several: changing one would not decide the label
        rule, _, end = hits[0]
        rest = r["sentence"][end:].lower()
        if any(_bounded(m.lower()).search(rest) for m in self.rules.reason_markers):
            return []  # a reason given for the stance would contradict the new cue
        return [(*self._replace_cue(r, span, hits[0], getattr(rule, field)), label_of(rule), {})]

    def cue_negation(self, r, span):
        return self._directional(r, span, "negated", lambda rule: self.rules.negated_label)

    def cue_flip(self, r, span):
        return self._directional(r, span, "opposite", lambda rule: rule.opposite_label)

    def stance_to_report(self, r, span):
        return self._directional(r, span, "report", lambda rule: self.rules.report_label)


def mft_cases(rules: Rules) -> list[dict]:
    """Templates x phrases x targets; actors rotate. Each case is its own group."""
    out = []
    for t in rules.templates:
        n = 0
        for i, phrase in enumerate(t.phrases):
            for j, (text, target) in enumerate(rules.targets):
                n += 1
                actor = rules.actors[(i + j) % len(rules.actors)]
                sentence = t.template.format(actor=actor, phrase=phrase, target=text)
                sentence = sentence[:1].upper() + sentence[1:]
                holder = "" if t.label == "fact" else re.sub(r"^The ", "the ", actor)
                out.append(
                    {
                        "id": f"mft~{t.capability}~{n}",
                        "article": "",
                        "group": f"mft-{t.capability}-{n:03d}",
                        "kind": "sentence",
                        "sentence": sentence,
                        "evidence": sentence,
                        "holder": holder,
                        "target": target,
                        "speaker": "",
                        "label": t.label,
                        "source_id": "",
                        "source_sentence": "",
                        "source_label": "",
                        "capability": t.capability,
                        "test_type": "mft",
                    }
                )
    return out


def counts(cases: list[dict]) -> dict:
    """Cases per capability (with its test type and labels), per test type and per label."""
    from collections import Counter

    per: dict[str, dict] = {}
    for c in cases:
        entry = per.setdefault(
            c["capability"], {"test_type": c["test_type"], "cases": 0, "label": Counter()}
        )
        entry["cases"] += 1
        entry["label"][c["label"]] += 1
    return {
        "cases": len(cases),
        "capability": {k: {**v, "label": dict(sorted(v["label"].items()))} for k, v in per.items()},
        "test_type": dict(Counter(c["test_type"] for c in cases)),
        "label": {lab: sum(c["label"] == lab for c in cases) for lab in LABELS},
    }


def load_and_generate(seeds: Path, records: list[dict]) -> list[dict]:
    """The cases for ``records`` from ``seeds/contrast/``; none when that folder is absent."""
    folder = Path(seeds) / RULES_DIR
    if not folder.is_dir():
        return []
    return generate(records, load_rules(folder))
