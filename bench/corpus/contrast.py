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

from bench.corpus.rules import COMPLEMENTS, RULES_DIR, CueRule, Entity, Rules, load_rules
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


# ------------------------------------------------------------------ skips, and why
SKIPS = {  # why a rule that matched an item made no case (the card and `derive` say so)
    "same_target": "another stance item of the sentence has the same target",
    "reason": "the rest of the sentence gives a reason for the stance (a participial clause, "
    "a quotation, or a reason marker)",
    "several_cues": "the evidence holds more than one cue",
    "complement": "the replacement does not take the cue's complement (a to-infinitive, "
    "for + -ing, whether/if)",
    "not_named": "the holder is not named in the sentence",
    "entity_absent": "an entity of the target is not in the sentence (outside the holder)",
    "no_replacement": "no unseen replacement of the same kind is left",
    "untyped": "the target's names are of no known kind (list them in entities.toml)",
    "headline": "a headline gets no attribution frame",
    "opening": "the sentence opens with a quotation, a participle clause or an attribution",
    "attributed": "the sentence has its own attribution (a speaker or a reporting verb)",
}

# Closed-class English words: never a name, never a title's modifier; after a
# to-infinitive's verb they tell it from "to" + noun ("talks to resume before the autumn").
_CLOSED_CLASS = """a an the some any many most much more few several all both each every
either neither no this that these those it its they their them he his him she her we our
you your i my one two three in on at by for with from to of as into onto over under after
before amid among against despite during since until while when where if unless because
although though however meanwhile moreover nevertheless still yet but and or nor so then
also even only just not there here"""
_FUNCTION_WORDS = frozenset(_CLOSED_CLASS.split())
_HE, _SHE = {"he", "him", "his", "himself"}, {"she", "her", "hers", "herself"}
# words in -ing after a comma that do not open a participial clause
_NOT_PARTICIPLE_WORDS = "during according including following regarding concerning pending"
_NOT_PARTICIPLES = frozenset(_NOT_PARTICIPLE_WORDS.split())
_TOKEN = re.compile(r"[^\W\d_][\w’'.-]*")
_PARTICIPLE = re.compile(r"[,;:—–]\s*(?:and\s+)?([a-z]{2,}ing)\b")
_QUOTATION = re.compile(r"[“\"][^”\"]+[”\"]?")
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ic|i)$")  # Icelandic, Faroese, Irish, Israeli
_FW = "|".join(sorted(_FUNCTION_WORDS, key=len, reverse=True))
_OBJECT = r"\s+(?:[^\s,;:.!?“”\"]+\s+){1,4}?"  # the cue's object: up to four words, no stop
_COMPLEMENTS = {  # bench.corpus.rules.COMPLEMENTS -> how each shows right after the cue
    "whether": re.compile(r"\s+(?:whether|if|how|why)\b"),
    "for_gerund": re.compile(rf"{_OBJECT}for\s+[a-z]+ing\b"),
    "to_infinitive": re.compile(rf"{_OBJECT}to\s+[a-z]+\s+(?:{_FW})\b"),
}
assert tuple(_COMPLEMENTS) == COMPLEMENTS


@dataclass(frozen=True)
class Skip:
    """A rule that matched an item but made no case, and why (a key of ``SKIPS``)."""

    source_id: str
    article: str
    capability: str
    reason: str


@dataclass(frozen=True)
class Suite:
    cases: list[dict]
    skipped: list[Skip]


class _Skipped(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _tokens(text: str) -> list[str]:
    return [t.rstrip(".") if t.count(".") == 1 else t for t in _TOKEN.findall(text)]


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


# ------------------------------------------------------------------ the articles' names
class _Corpus:
    """What the articles and their annotations say about names: which capitalised words
    are names, who is a person (and of which gender), how each is written."""

    def __init__(self, rules: Rules, records: list[dict]):
        self.rules = rules
        sentences = list(dict.fromkeys(r["sentence"] for r in records))
        self.text = "\n".join(sentences)
        strings = sorted({s for r in records for s in (r["holder"], r["target"]) if s})
        self.annotated_caps = {w for s in strings for w in _tokens(s) if _capitalised(w)}
        self.lower = {w for s in [*sentences, *strings] for w in _tokens(s) if w[:1].islower()}
        heads = sorted(rules.titles, key=len, reverse=True)
        head = r"(?i:" + "|".join(map(re.escape, heads)) + r")(?![\w-])" if heads else r"(?!x)x"
        modifier = rf"(?!(?i:{_FW})\b)[A-Z][\w’'.-]*"
        self.title = rf"(?:(?:{modifier}|{head})\s+)*{head}\s+"
        self.title_re = re.compile(self.title)
        self.persons = self._persons(records, sentences)
        # a group holder written as a name ("European Commission", "Chamber of Commerce"):
        # it and its head word name an organisation
        self.organisations = {
            n
            for h in {r["holder"] for r in records if r["holder"]}
            if h not in self.persons and _is_a_name(h)
            for n in (h, h.split()[-1])
        }

    def _persons(self, records: list[dict], sentences: list[str]) -> dict[str, Entity]:
        """Holders (or parts of joint holders) that are people: listed in entities.toml, or
        written as a name that the articles give a title or name by its surname alone."""
        out = {e.form("name"): e for e in self.rules.entities if e.kind == "person"}
        for r in records:
            for part in _parts(r["holder"]):
                if part in out or not self._looks_like_a_person(part):
                    continue
                surname = part.split()[-1]
                gender = self._gender(surname, sentences)
                out[part] = Entity("person", (("name", part), ("surname", surname)), gender)
        return out

    def _looks_like_a_person(self, name: str) -> bool:
        words = name.split()
        if not 2 <= len(words) <= 4 or not all(_capitalised(w) for w in words):
            return False
        if any(w.lower() in _FUNCTION_WORDS for w in words):
            return False
        titled = re.search(rf"{self.title}{re.escape(name)}(?!\w)", self.text)
        alone = re.search(
            rf"(?<!\b[Tt]he )(?<!{re.escape(words[-2])} ){re.escape(words[-1])}(?![\w’'-]| [A-Z])",
            self.text,
        )
        return bool(titled or alone)

    def _gender(self, surname: str, sentences: list[str]) -> str:
        """ "m" or "f" from the pronouns of the sentences that name the person, else ""."""
        he = she = 0
        for s in sentences:
            if _bounded(surname).search(s):
                words = {w.lower() for w in _tokens(s)}
                he += bool(words & _HE)
                she += bool(words & _SHE)
        return "m" if he > she else "f" if she > he else ""

    def keeps_capital(self, sentence: str) -> bool:
        """Whether the first word of ``sentence`` is a name (kept capitalised after a frame)."""
        words = _tokens(sentence)
        if not words:
            return True
        first = words[0]
        if first.lower() in _FUNCTION_WORDS:
            return False
        if "." in first or first.isupper() or first in self.annotated_caps:
            return True  # "U.S.", "EU", or written so in a holder or target
        if first.lower() in self.lower:
            return False  # the articles write it in lower case elsewhere
        return len(words) > 1 and _capitalised(words[1])  # "German Chancellor ..."


def _is_a_name(text: str) -> bool:
    """Capitalised words, with closed-class words between them ("Bank of England")."""
    words = text.split()
    return (
        _capitalised(words[0])
        and _capitalised(words[-1])
        and all(_capitalised(w) or w.lower() in _FUNCTION_WORDS for w in words)
    )


def _parts(holder: str) -> list[str]:
    return [p for p in re.split(r",\s*|\s+and\s+", holder) if p]


# ------------------------------------------------------------------ entity substitution
@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    role: str  # the form found: name, surname, adjective, capital, short
    titled: bool = False


class _Swapper:
    """Finds actors and entities in text and builds the edits that replace them."""

    def __init__(self, rules: Rules, corpus: _Corpus):
        self.rules = rules
        self.corpus = corpus
        self.seen = {e for e in rules.entities if self._occurs(e, corpus.text)}

    def _occurs(self, entity: Entity, text: str) -> bool:
        flags = re.IGNORECASE if entity.kind == "group" else 0
        return any(_bounded(s, flags).search(text) for _, s in entity.forms)

    def pool(self, like: Entity, exclude: str) -> list[Entity]:
        """Unseen entities of ``like``'s kind with every form it has, absent from ``exclude``."""
        if like.kind == "group":
            cands = [Entity("group", (("name", g),)) for g in self.rules.groups]
        else:
            cands = [
                e
                for e in self.rules.entities
                if e.kind == like.kind and e not in self.seen and (e.kind != "person" or e.invented)
            ]
        roles = {r for r, _ in like.forms}
        return [
            e
            for e in cands
            if roles <= {r for r, _ in e.forms}
            and (like.kind != "person" or not like.gender or e.gender == like.gender)
            and not self._occurs(e, exclude)
        ]

    # --- who the holder is, what the target names
    def holder_actors(self, holder: str) -> list[Entity]:
        """The holder's actors: each part of a joint holder ("Vladimir Putin and Xi
        Jinping", "Russia and China") when every part is a person or a listed country;
        otherwise the holder is one actor ("Aldermoor and District Transport Workers’
        Union", "Iceland and the Faroe Islands"), a group."""
        countries = {e.form("name"): e for e in self.rules.entities if e.kind == "country"}
        parts = _parts(holder)
        known = [self.corpus.persons.get(p) or countries.get(p) for p in parts]
        if parts and all(known):
            return [e for e in known if e is not None]
        return [Entity("group", (("name", holder),))]

    def target_entities(self, target: str) -> tuple[list[Entity], list[str]]:
        """Every country, person or organisation the target names, and the names it holds
        of no known kind. The listed entities first; then each other run of capitalised
        words is a person when the articles make it one (a holder), a country adjective
        when it looks like one and modifies the next word ("Icelandic and Faroese
        mackerel"), an organisation when a holder is written as that name or ends with it
        ("Commission" of "European Commission"); any other name (a street, a product, an
        acronym) is left as it is unless entities.toml lists it."""
        found = [e for e in self.rules.entities if self._occurs(e, target)]
        taken = [m.span() for e in found for _, s in e.forms for m in _bounded(s).finditer(target)]
        people = {
            p.form(role): p for p in self.corpus.persons.values() for role in ("name", "surname")
        }
        words = list(re.finditer(r"[^\W\d_][\w’'.-]*", target))
        runs: list[list[re.Match]] = []
        for w in words:
            if not _capitalised(w.group()) or any(a <= w.start() < b for a, b in taken):
                continue
            if runs and target[runs[-1][-1].end() : w.start()] == " ":
                runs[-1].append(w)
            else:
                runs.append([w])
        untyped = []
        for run in runs:
            name = target[run[0].start() : run[-1].end()].removesuffix("’s").removesuffix("'s")
            after = target[run[-1].end() :]
            if name in people:
                person = people[name]
                role = "name" if person.form("name") == name else "surname"
                found.append(Entity("person", ((role, name),), person.gender))
            elif (
                len(run) == 1
                and _DEMONYM.fullmatch(name)
                and re.match(r"\s+(?:[a-z]|(?:and|or)\s+[A-Z]|,)", after)
            ):
                found.append(Entity("country", (("adjective", name),)))
            elif name in self.corpus.organisations:
                found.append(Entity("organisation", (("name", name),)))
            else:
                untyped.append(name)
        return list(dict.fromkeys(found)), untyped

    # --- where they are named
    def mentions(self, text: str, entity: Entity) -> list[_Mention]:
        """The mentions of ``entity`` in ``text``: a person's full name or surname with the
        title phrase before it ("German Chancellor Katrin Albers"); a group's name or its
        last words ("member states" for "EU member states"), with "the" before it; a
        country's name, adjective or capital; an organisation's name, with "the"."""
        by_surface = {s: role for role, s in entity.forms}
        alts = "|".join(map(re.escape, sorted(by_surface, key=len, reverse=True)))
        if entity.kind == "group":
            words = entity.form("name").split()
            tails = [" ".join(words[i:]) for i in range(len(words) - 1)] or words
            alts = "|".join(map(re.escape, tails))
            pattern = re.compile(rf"(?:\b[Tt]he\s+)?(?<![\w-])(?P<name>{alts})(?![\w-])", re.I)
        elif entity.kind == "person":
            pattern = re.compile(rf"(?P<title>{self.corpus.title})?(?<!\w)(?P<name>{alts})(?!\w)")
        elif entity.kind == "organisation":
            pattern = re.compile(rf"(?:\b[Tt]he\s+)?(?<![\w-])(?P<name>{alts})(?![\w-])")
        else:
            pattern = re.compile(rf"(?<![\w-])(?P<name>{alts})(?![\w-])")
        out = []
        for m in pattern.finditer(text):
            role = by_surface.get(m.group("name"), "name")
            titled = entity.kind == "person" and bool(m.group("title"))
            out.append(_Mention(m.start(), m.end(), role, titled))
        return out

    def edits(self, text: str, mentions: list[_Mention], rep: Entity, headline: bool) -> list[Edit]:
        """Each mention replaced by the same form of ``rep`` (a titled mention by the
        replacement's title and name), in the replacement's own casing, capitalised at the
        start of the text and title-cased in a headline."""
        out = []
        for m in mentions:
            new = rep.form(m.role) or rep.form("name")
            if m.titled and rep.title:
                new = f"{rep.title} {new}"
            if headline:
                new = _title_case(new)
            elif m.start == 0 or text[: m.start].rstrip()[-1:] in '“"':
                new = new[:1].upper() + new[1:]
            out.append(Edit(m.start, m.end, new))
        return out

    def rename(self, text: str, entity: Entity, rep: Entity) -> str:
        """``text`` (a holder, target or speaker) with ``entity``'s forms replaced, no titles."""
        if entity.kind == "group" and text.strip().lower() == entity.form("name").lower():
            return rep.form("name")
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


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


# ------------------------------------------------------------------ generation
def generate(records: list[dict], rules: Rules) -> list[dict]:
    """The contrast cases of ``records`` (items of the derived dataset), then the MFT cases."""
    return generate_suite(records, rules).cases


def generate_suite(records: list[dict], rules: Rules) -> Suite:
    """The contrast cases of ``records`` and the MFT cases, with every skip and its reason."""
    gen = _Generator(rules, records)
    cases: list[dict] = []
    for r in records:
        cases += gen.item_cases(r)
    cases += mft_cases(rules)
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        raise DataError("contrast cases have duplicate ids; check seeds/contrast/*.toml")
    return Suite(cases, gen.skipped)


class _Generator:
    def __init__(self, rules: Rules, records: list[dict]):
        self.rules = rules
        self.corpus = _Corpus(rules, records)
        self.swap = _Swapper(rules, self.corpus)
        self.by_group: dict[str, list[dict]] = {}
        for r in records:
            self.by_group.setdefault(r["group"], []).append(r)
        self.attributed = (
            re.compile(
                r"(?<![\w-])(?:"
                + "|".join(map(re.escape, sorted(rules.attributed_by, key=len, reverse=True)))
                + r")(?![\w-])",
                re.IGNORECASE,
            )
            if rules.attributed_by
            else None
        )
        self.skipped: list[Skip] = []

    def item_cases(self, r: dict) -> list[dict]:
        span = (r["start"] - r["sentence_start"], r["end"] - r["sentence_start"])
        out: list[dict] = []
        for capability in CAPABILITIES:
            made, skips = getattr(self, capability)(r, span)
            self.skipped += [Skip(r["id"], r["article"], capability, why) for why in skips]
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
    def _holder_spans(self, r) -> list[tuple[int, int]]:
        if not r["holder"]:
            return []
        return [
            (m.start, m.end)
            for e in self.swap.holder_actors(r["holder"])
            for m in self.swap.mentions(r["sentence"], e)
        ]

    def _swap_cases(self, r, span, capability: str, entities: list[Entity], keep_out=()):
        """One case per rotation: each entity replaced by a distinct unseen one, in the
        sentence and in the holder, target and speaker."""
        sentence, headline = r["sentence"], r["kind"] == "headline"
        found = []
        for e in entities:
            ms = [
                m
                for m in self.swap.mentions(sentence, e)
                if not _overlaps((m.start, m.end), keep_out)
            ]
            found.append((e, ms))
        missing = [e for e, ms in found if not ms]
        if missing:
            return [], ["entity_absent" if capability == "entity_swap" else "not_named"]
        start = _offset(r["id"], capability)
        cases: list[Made] = []
        for n in range(self.rules.per_item.get(capability, 1)):
            edits: list[Edit] = []
            changes: dict[str, str] = {}
            used: list[Entity] = []
            for i, (e, ms) in enumerate(found):
                pool = [p for p in self.swap.pool(e, sentence) if p not in used]
                if not pool:
                    return cases, ([] if cases else ["no_replacement"])
                rep = pool[(start + n * len(found) + i) % len(pool)]
                used.append(rep)
                edits += self.swap.edits(sentence, ms, rep, headline)
                for key in ("holder", "target"):
                    if capability == "holder_swap" or key == "target":
                        changes[key] = self.swap.rename(changes.get(key, r[key]), e, rep)
                speaker = changes.get("speaker", r["speaker"])
                if speaker:
                    sm = self.swap.mentions(speaker, e)
                    changes["speaker"] = _apply(
                        speaker, (0, 0), self.swap.edits(speaker, sm, rep, False)
                    )[0]
            new, evidence = _apply(sentence, span, _non_overlapping(edits))
            cases.append((new, evidence, r["label"], changes))
        return cases, []

    def holder_swap(self, r, span):
        if not r["holder"]:
            return [], []
        return self._swap_cases(r, span, "holder_swap", self.swap.holder_actors(r["holder"]))

    def entity_swap(self, r, span):
        entities, untyped = self.swap.target_entities(r["target"])
        if not entities:
            return [], ["untyped"] if untyped else []
        return self._swap_cases(r, span, "entity_swap", entities, self._holder_spans(r))

    def _cue(self, r, span) -> list[tuple[CueRule, int, int]]:
        """Cue rules of the item's label found inside its evidence (longest first, disjoint)."""
        s0, e0 = span
        hits: list[tuple[CueRule, int, int]] = []
        for rule in self.rules.cues:
            for m in _bounded(rule.phrase, re.IGNORECASE).finditer(r["sentence"], s0, e0):
                if all(m.end() <= a or m.start() >= b for _, a, b in hits):
                    hits.append((rule, m.start(), m.end()))
        return [(rule, a, b) for rule, a, b in hits if rule.label == r["label"]]

    def _complement(self, r, hit) -> str | None:
        """What follows the cue's object, when its verb licenses it (``_COMPLEMENTS``)."""
        after = r["sentence"][hit[2] :]
        for name, pattern in _COMPLEMENTS.items():
            if pattern.match(after):
                return name
        return None

    def _fits(self, r, hit, replacement: str) -> bool:
        """A replacement fills the cue's slot only when it takes the cue's complement."""
        kind = self._complement(r, hit)
        return kind is None or replacement in self.rules.complements.get(kind, ())

    def _replace_cue(self, r, span, hit, replacement: str):
        rule, a, b = hit
        text = _like(r["sentence"][a:b], replacement, r["kind"] == "headline")
        return _apply(r["sentence"], span, [Edit(a, b, text)])

    def cue_synonym(self, r, span):
        out, skips = [], []
        for hit in self._cue(r, span):
            for syn in hit[0].synonyms:
                if self._fits(r, hit, syn):
                    out.append((*self._replace_cue(r, span, hit, syn), r["label"], {}))
                else:
                    skips.append("complement")
        return out, skips

    def attribution(self, r, span):
        s = r["sentence"]
        first = s.split(" ", 1)[0]
        if r["kind"] == "headline":
            return [], ["headline"]
        if r["speaker"] or (self.attributed is not None and self.attributed.search(s)):
            return [], ["attributed"]  # a second source would garble who says what
        if (
            s[:1] in _QUOTES
            or first.endswith("ing")  # a participle clause would dangle after the frame
            or any(s.startswith(o) for o in self.rules.skip_openings)
        ):
            return [], ["opening"]
        head = s[:1] if self.corpus.keeps_capital(s) else s[:1].lower()
        start = _offset(r["id"], "attribution")
        frames = self.rules.frames
        out = []
        for n in range(min(self.rules.per_item.get("attribution", 1), len(frames))):
            frame = frames[(start + n) % len(frames)]
            edits = [Edit(0, 0, frame), Edit(0, 1, head)]
            out.append((*_apply(s, span, edits), r["label"], {}))
        return out, []

    # --- directional ----------------------------------------------------------------
    def _reason(self, r, hit) -> str | None:
        """Why the sentence would keep the item's stance whatever its cue becomes, or None.

        The annotations first: another stance item of the sentence on the same target.
        Then the rest of the sentence, less the cue and the evidence of the sentence's
        items on other targets (they speak of something else): a reason marker ("because",
        "believing"), a participial clause (", calling it …", ", saying it would …"), or a
        quotation that does not hold the cue (the holder's own words about the target)."""
        others = [o for o in self.by_group.get(r["group"], []) if o["id"] != r["id"]]
        if any(o["label"] != "fact" and o["target"].lower() == r["target"].lower() for o in others):
            return "same_target"
        s, base = r["sentence"], r["sentence_start"]
        spans = [(o["start"] - base, o["end"] - base) for o in others]
        cue = (hit[1], hit[2])
        chars = list(s)
        for a, b in [*spans, cue]:
            chars[a:b] = " " * (b - a)
        rest = "".join(chars)
        if any(_bounded(m, re.IGNORECASE).search(rest) for m in self.rules.reason_markers):
            return "reason"
        if any(m.group(1) not in _NOT_PARTICIPLES for m in _PARTICIPLE.finditer(rest)):
            return "reason"
        for q in _QUOTATION.finditer(s):
            if not _overlaps(q.span(), [cue, *spans]):
                return "reason"
        return None

    def _directional(self, r, span, field: str, label_of):
        hits = self._cue(r, span)
        if not any(getattr(h[0], field) for h in hits):
            return [], []  # no cue that this rule changes
        if len(hits) != 1:
            return [], ["several_cues"]  # changing one would not decide the label
        rule = hits[0][0]
        why = self._reason(r, hits[0])
        if why:
            return [], [why]  # the sentence would still carry the old stance
        replacement = getattr(rule, field)
        if not self._fits(r, hits[0], replacement):
            return [], ["complement"]
        return [(*self._replace_cue(r, span, hits[0], replacement), label_of(rule), {})], []

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


def counts(cases: list[dict], skipped: list[Skip] | None = None) -> dict:
    """Cases per capability (with its test type, labels and the items a rule matched but
    skipped, by reason), per test type and per label."""
    from collections import Counter

    per: dict[str, dict] = {}
    for c in cases:
        entry = per.setdefault(
            c["capability"], {"test_type": c["test_type"], "cases": 0, "label": Counter()}
        )
        entry["cases"] += 1
        entry["label"][c["label"]] += 1
    for s in skipped or []:
        entry = per.setdefault(
            s.capability, {"test_type": CAPABILITIES[s.capability], "cases": 0, "label": Counter()}
        )
        entry.setdefault("skipped", Counter())[s.reason] += 1
    order = [*CAPABILITIES, *sorted(set(per) - set(CAPABILITIES))]
    return {
        "cases": len(cases),
        "capability": {
            k: {
                **per[k],
                "label": dict(sorted(per[k]["label"].items())),
                "skipped": dict(sorted(per[k].get("skipped", {}).items())),
            }
            for k in order
            if k in per
        },
        "test_type": dict(Counter(c["test_type"] for c in cases)),
        "label": {lab: sum(c["label"] == lab for c in cases) for lab in LABELS},
        "skipped": len(skipped or []),
    }


def load_and_generate(seeds: Path, records: list[dict]) -> Suite:
    """The suite for ``records`` from ``seeds/contrast/``; empty when that folder is absent."""
    folder = Path(seeds) / RULES_DIR
    if not folder.is_dir():
        return Suite([], [])
    return generate_suite(records, load_rules(folder))
