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

from bench.corpus.actors import FW, Cast, Edit, Swapper, bounded, parts, title_case
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
_QUOTES = "“\"‘'"


# ------------------------------------------------------------------ text edits
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


def _like(original: str, replacement: str, headline: bool) -> str:
    """``replacement`` cased like ``original`` (title case in headlines)."""
    if headline:
        return title_case(replacement)
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
    "untyped_holder": "the holder's kind cannot be decided from the article (a person needs "
    "a title phrase, an appositive, an honorific or the surname alone; an organisation an "
    "organisation noun or an acronym; a group a plural noun; or list it in entities.toml)",
    "untyped": "the target's names are of no kind the article shows (list them in entities.toml)",
    "headline": "a headline gets no attribution frame",
    "opening": "the sentence opens with a quotation, a participle clause or an attribution",
    "attributed": "the sentence has its own attribution (a speaker or a reporting verb)",
}

# words in -ing after a comma that do not open a participial clause
_NOT_PARTICIPLE_WORDS = "during according including following regarding concerning pending"
_NOT_PARTICIPLES = frozenset(_NOT_PARTICIPLE_WORDS.split())
_PARTICIPLE = re.compile(r"[,;:—–]\s*(?:and\s+)?([a-z]{2,}ing)\b")
_QUOTATION = re.compile(r"[“\"][^”\"]+[”\"]?")
_OBJECT = r"\s+(?:[^\s,;:.!?“”\"]+\s+){1,4}?"  # the cue's object: up to four words, no stop
_COMPLEMENTS = {  # bench.corpus.rules.COMPLEMENTS -> how each shows right after the cue
    "whether": re.compile(r"\s+(?:whether|if|how|why)\b"),
    "for_gerund": re.compile(rf"{_OBJECT}for\s+[a-z]+ing\b"),
    # a closed-class word after the verb tells a to-infinitive from "to" + noun
    # ("talks to resume before the autumn")
    "to_infinitive": re.compile(rf"{_OBJECT}to\s+[a-z]+\s+(?:{FW})\b"),
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
        self.cast = Cast(rules, records)
        self.swap = Swapper(rules, self.cast)
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
        """Where the holder is named in the sentence: its actors' mentions, or, for a holder
        of no known kind, its parts as written."""
        if not r["holder"]:
            return []
        headline = r["kind"] == "headline"
        actors = self.cast.holder(r["holder"])
        if not actors:
            return [
                m.span()
                for p in parts(r["holder"])
                for m in bounded(p, re.IGNORECASE).finditer(r["sentence"])
            ]
        return [
            (m.start, m.end) for e in actors for m in self.swap.mentions(r["sentence"], e, headline)
        ]

    def _swap_cases(self, r, span, capability: str, entities: list[Entity], keep_out=()):
        """One case per rotation: each entity replaced by a distinct unseen one, in the
        sentence and in the holder, target and speaker."""
        sentence, headline = r["sentence"], r["kind"] == "headline"
        found = []
        for e in entities:
            ms = [
                m
                for m in self.swap.mentions(sentence, e, headline)
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
                edits += self.swap.edits(sentence, ms, e, rep, headline)
                for key in ("holder", "target"):
                    if capability == "holder_swap" or key == "target":
                        changes[key] = self.swap.rename(changes.get(key, r[key]), e, rep)
                speaker = changes.get("speaker", r["speaker"])
                if speaker:
                    sm = self.swap.mentions(speaker, e)
                    changes["speaker"] = _apply(
                        speaker, (0, 0), self.swap.edits(speaker, sm, e, rep, False)
                    )[0]
            new, evidence = _apply(sentence, span, _non_overlapping(edits))
            cases.append((new, evidence, r["label"], changes))
        return cases, []

    def holder_swap(self, r, span):
        if not r["holder"]:
            return [], []
        actors = self.cast.holder(r["holder"])
        if not actors:
            return [], ["untyped_holder"]  # a swap of another kind or number would not read
        return self._swap_cases(r, span, "holder_swap", actors)

    def entity_swap(self, r, span):
        entities, untyped = self.cast.target_names(r["target"])
        if not entities:
            return [], ["untyped"] if untyped else []
        return self._swap_cases(r, span, "entity_swap", entities, self._holder_spans(r))

    def _cue(self, r, span) -> list[tuple[CueRule, int, int]]:
        """Cue rules of the item's label found inside its evidence (longest first, disjoint)."""
        s0, e0 = span
        hits: list[tuple[CueRule, int, int]] = []
        for rule in self.rules.cues:
            for m in bounded(rule.phrase, re.IGNORECASE).finditer(r["sentence"], s0, e0):
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
        head = s[:1] if self.cast.keeps_capital(s) else s[:1].lower()
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
        if any(bounded(m, re.IGNORECASE).search(rest) for m in self.rules.reason_markers):
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
    """Templates x phrases x targets; actors rotate. The cases of one (capability, phrase)
    share a group, ``mft-{capability}-p{phrase:02d}``: a phrase's targets are predicted
    (nearly) identically, so they are one unit of resampling, not independent cases (as
    one group each, the contrast row's type-I error was .14 instead of .05 at 19 sentence
    groups; perf/stats_sim.py --only mft)."""
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
                        "group": f"mft-{t.capability}-p{i:02d}",
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
