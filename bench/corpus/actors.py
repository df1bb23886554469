"""The actors of the articles and their kinds, typed from the articles themselves.

A swap may put in an actor's place only another actor of the same kind and grammatical
number: a person for an invented person, a singular organisation for an invented
singular organisation, a country for a country, a plural group for a plural group, so
that agreement ("…, which represents", "… are skeptical") and reference stay
right. ``Cast`` types every holder (and the names of every target) from the annotations'
strings and the sentences; ``seeds/contrast/entities.toml`` types what it lists first and
holds the replacements. An actor of no kind the article shows is not typed, and the rule
that needed it makes no case (the caller counts it as skipped). ``Swapper`` finds each
actor's mentions in a sentence (a person's whole title phrase, an organisation's or
group's "the") and writes the edits that replace them.

The kinds, in the order they are tried (the rules are written in ``seeds/GUIDELINES.md``,
"Contrast cases"):

- listed: an entry of ``entities.toml`` (a person, country or organisation) by its name;
- group: a plural common-noun phrase ("opposition lawmakers", "Spey anglers’ groups");
- organisation: a name holding an organisation noun (``organisation_nouns``: "Union",
  "Society", "ministry"), led by an acronym ("NFU Scotland"), or set off by commas after a
  noun phrase headed by an organisation noun ("the regional transport authority,
  Metrolink North,");
- person: two to four capitalised words that the articles give a title phrase (the run
  of capitalised words, acronyms and title words directly before the name: "Labour MSP",
  "Icelandic Fisheries Minister", "Chamber president"), set off as an appositive ("its
  vice-president, Callum Reid,", "Tomasz Wren, who …"), write with an honorific ("Ms
  Chen"), or name by the surname alone ("Lennox said");
- a joint holder ("Vladimir Putin and Xi Jinping") is its parts when every part has a kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench.corpus.rules import Entity, Rules

# Closed-class English words: never a name, never a title's modifier.
_CLOSED_CLASS = """a an the some any many most much more few several all both each every
either neither no this that these those it its they their them he his him she her we our
you your i my one two three in on at by for with from to of as into onto over under after
before amid among against despite during since until while when where if unless because
although though however meanwhile moreover nevertheless still yet but and or nor so then
also even only just not there here"""
FUNCTION_WORDS = frozenset(_CLOSED_CLASS.split())
FW = "|".join(sorted(FUNCTION_WORDS, key=len, reverse=True))  # as a regex alternation
# days and months: capitalised, yet never a name or a title ("On Monday Anna Berg said")
_CALENDAR_WORDS = """monday tuesday wednesday thursday friday saturday sunday january february
march april may june july august september october november december"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
_SMALL_WORDS = {"a", "an", "and", "about", "by", "for", "in", "of", "on", "the", "to", "with"}
_HE, _SHE = {"he", "him", "his", "himself"}, {"she", "her", "hers", "herself"}
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof"})
_HONORIFIC = "|".join(w.capitalize() for w in sorted(_HONORIFICS))
_IRREGULAR_PLURALS = frozenset({"people", "men", "women", "children", "police"})
# words that end the head of a noun phrase ("chief executive of Halcyon": "executive")
_PHRASE_ENDS = frozenset({"of", "for", "at", "in", "on", "with", "from", "to", "and"})
_CONNECTORS = frozenset({"of", "for", "and", "the"})  # inside a name ("Bank of England")
_DETERMINERS = frozenset({"its", "their", "his", "her", "our", "my", "your", "a", "an", "this"})
# prepositions of place: a name after one is no surname ("hunted to extinction in Scotland")
_LOCATIVE_WORDS = frozenset({"in", "from", "near", "across", "throughout", "around", "outside"})
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ese|ish|ic|i)$")  # Icelandic, Faroese, Irish, Israeli
_TOKEN = re.compile(r"[^\W\d_][\w’'.-]*")
_WORD = re.compile(r"[^\W\d_][\w’'.&-]*")  # a token that may be part of a title phrase
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z][A-Z&]+")  # U.S., EU, NFU, AT&T
_QUOTES = "“\"‘'("


# ------------------------------------------------------------------ words
def tokens(text: str) -> list[str]:
    return [t.rstrip(".") if t.count(".") == 1 else t for t in _TOKEN.findall(text)]


def capitalised(word: str) -> bool:
    return word[:1].isupper()


def bounded(surface: str, flags=0) -> re.Pattern:
    """Whole-word match of ``surface`` (a hyphen is a boundary, as in "Putin-Xi")."""
    return re.compile(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", flags)


def title_case(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        w if (i and w.lower() in _SMALL_WORDS) else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


def parts(holder: str) -> list[str]:
    """The parts of a joint holder ("Russia and China", "Iceland and the Faroe Islands")."""
    return [p for p in re.split(r",\s*|\s+and\s+", holder) if p]


def _bare(word: str) -> str:
    """``word`` without its possessive ending ("anglers’" -> "anglers", "Scotland’s")."""
    return re.sub(r"(?:[’']s|[’'])$", "", word)


def _plural(word: str) -> bool:
    word = word.lower()
    if word in _IRREGULAR_PLURALS:
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous"))


def _acronym(word: str) -> bool:
    return bool(_ACRONYM.fullmatch(_bare(word)))


def plural_phrase(text: str) -> bool:
    """A plural common-noun phrase: its last word is a plural in lower case."""
    words = text.split()
    last = _bare(words[-1]) if words else ""
    return last[:1].islower() and _plural(last)


def _honorific(surname: str) -> re.Pattern:
    """An honorific before ``surname``, with or without the given name ("Ms Laura Chen")."""
    return re.compile(rf"\b({_HONORIFIC})\.? (?:[A-Z][\w’'-]* )?{re.escape(surname)}(?!\w)")


def _before(text: str, end: int) -> tuple[str, int] | None:
    """The word just before ``text[end:]``, one space apart, and where it starts."""
    m = re.search(r"(\S+) $", text[:end])
    if not m or not _WORD.fullmatch(m.group(1)):
        return None
    return m.group(1), m.start(1)


# ------------------------------------------------------------------ edits
@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    role: str  # the form found: name, surname, adjective, capital, short, acronym
    titled: bool = False  # a person's title phrase is part of the mention
    article: bool = False  # a "the" before the name is part of the mention


# ------------------------------------------------------------------ the cast
class Cast:
    """What the articles and their annotations say about their actors: the kind of every
    holder and name, each person's gender, how each is written."""

    def __init__(self, rules: Rules, records: list[dict]):
        self.rules = rules
        self.sentences = list(dict.fromkeys(r["sentence"] for r in records))
        self.headlines = {r["sentence"] for r in records if r["kind"] == "headline"}
        self.text = "\n".join(self.sentences)
        strings = sorted({s for r in records for s in (r["holder"], r["target"]) if s})
        self.annotated_caps = {w for s in strings for w in tokens(s) if capitalised(w)}
        self.lower = {w for s in [*self.sentences, *strings] for w in tokens(s) if w[:1].islower()}
        self.title_words = {w.lower() for t in rules.titles for w in t.split()}
        self.org_nouns = {w.lower() for w in rules.organisation_nouns}
        self.listed = {e.form("name"): e for e in rules.entities}
        self._typed: dict[str, list[Entity]] = {}
        holders = sorted({r["holder"] for r in records if r["holder"]})
        typed = [e for h in holders for e in self.holder(h)]
        self.persons = {e.form("name"): e for e in rules.entities if e.kind == "person"}
        self.persons |= {e.form("name"): e for e in typed if e.kind == "person"}
        self.organisations = {
            s: e for e in [*rules.entities, *typed] if e.kind == "organisation" for _, s in e.forms
        }

    # --- holders
    def holder(self, holder: str) -> list[Entity]:
        """The actors of ``holder``, each with its kind; [] when a kind cannot be decided."""
        if holder not in self._typed:
            one = self._actor(holder, whole=True)
            if one is not None:
                self._typed[holder] = [one]
            else:
                each = [self._actor(p, whole=False) for p in parts(holder)]
                ok = len(each) > 1 and all(e is not None for e in each)
                self._typed[holder] = [e for e in each if e is not None] if ok else []
        return self._typed[holder]

    def _actor(self, name: str, whole: bool) -> Entity | None:
        bare = re.sub(r"^[Tt]he\s+", "", name)
        if bare in self.listed:
            return self.listed[bare]
        if whole and plural_phrase(bare):
            return Entity("group", (("name", name),))
        return self.organisation(bare) or self.person(bare) or self.organisation(bare, True)

    def organisation(self, name: str, appositive: bool = False) -> Entity | None:
        """``name`` as an organisation: it holds an organisation noun or an acronym leads
        it, or (``appositive``: tried after a person) an appositive headed by an
        organisation noun names it ("the regional transport authority, Metrolink North,").
        Its short form is its organisation noun when the articles write "the" + that noun
        ("the Commission")."""
        words = name.split()
        if not words or plural_phrase(name):
            return None
        nouns = [w for w in words if _bare(w).lower() in self.org_nouns]
        if appositive:
            if self._appositive(name) != "organisation":
                return None
        elif not (nouns or _acronym(words[0])):
            return None
        forms: tuple[tuple[str, str], ...] = (("name", name),)
        head = _bare(nouns[-1]) if nouns else ""
        if head and head != name and capitalised(head) and re.search(rf"\bthe {head}\b", self.text):
            forms += (("short", head),)
        acronym = re.search(rf"(?<!\w){re.escape(name)} \((?P<a>{_ACRONYM.pattern})\)", self.text)
        if acronym:  # "the Competition and Markets Authority (CMA)"
            forms += (("acronym", acronym.group("a")),)
        the = re.compile(rf"\b[Tt]he {re.escape(name)}(?!\w)", self.flags(name))
        with_the = bool(the.search(self.text))
        return Entity("organisation", forms, with_the=with_the)

    def person(self, name: str) -> Entity | None:
        """``name`` as a person: two to four capitalised words, none a closed-class word,
        an acronym or an organisation noun, that the articles give a title phrase or an
        appositive, name by the surname alone, or by an honorific and the surname."""
        words = name.split()
        if not 2 <= len(words) <= 4:
            return None
        for w in words:
            low = w.lower()
            if not capitalised(w) or _acronym(w) or low in FUNCTION_WORDS | _CALENDAR:
                return None
            if _bare(low) in self.org_nouns:
                return None
        evidence = (
            self._titled(name)
            or self._appositive(name) == "person"
            or self._alone(words)
            or self._honoured(words[-1])
        )
        if not evidence:
            return None
        surname = words[-1]
        return Entity("person", (("name", name), ("surname", surname)), self._gender(surname))

    @staticmethod
    def flags(name: str) -> int:
        return 0 if capitalised(name) else re.IGNORECASE

    def _titled(self, name: str) -> bool:
        for s in self.sentences:
            headline = s in self.headlines
            for m in bounded(name).finditer(s):
                if self.title_start(s, m.start(), headline) < m.start():
                    return True
        return False

    def _appositive(self, name: str) -> str:
        """ "person" or "organisation" when the articles set ``name`` off by commas beside a
        noun phrase ("its vice-president, Callum Reid,", "Anna Berg, the Commission’s
        president,", "Laura Chen, chief executive of Halcyon,"): an organisation when the
        phrase's head (its last word before "of", "for", "at" …) is an organisation noun;
        a person when it is a title word (``titles``: "vice-president", "chief
        executive"), or any other head when no word of the name is a word the articles
        write in lower case (an owner, a defendant or a buyer may be a company: "its
        owner, Norvik Shipping,"), or when "who" follows the name; else ""."""
        n = re.escape(name)
        det = r"(?:[Ii]ts|[Tt]heir|[Hh]is|[Hh]er|[Oo]ur|[Tt]he|[Aa]n?|[A-Z][\w.]*[’']s)"
        word = r"[^\s,.;:“”\"()]+"
        before = rf"(?<![\w’'])(?P<np>{det}(?:\s+{word}){{1,6}}),\s+{n}(?:,|\.|$)"
        # a noun phrase without a determiner ("chief executive of …"), not a relative or
        # participial clause ("which represents …", "based in …")
        relative = r"(?:which|that|who|whose|whom|where|when|[a-z]+ed|[a-z]+ing)\b"
        bare_np = rf"(?!{relative})[a-z]{word}"
        after = rf"(?<![\w-]){n},\s+(?P<np>(?:{det}|{bare_np})(?:\s+{word}){{0,6}})(?:,|\.)"
        heads = []
        for pattern in (before, after):
            for m in re.finditer(pattern, self.text, re.MULTILINE):
                words = m.group("np").split()
                cut = next((i for i, w in enumerate(words) if i and w in _PHRASE_ENDS), len(words))
                heads.append(_bare(words[cut - 1]).lower())
        if any(h in self.org_nouns for h in heads):
            return "organisation"
        if any(self._title_word(h) for h in heads):
            return "person"
        common = any(w.lower() in self.lower for w in name.split())
        if heads and not common:
            return "person"  # "Its treasurer, Callum Reid,"; not "its owner, Norvik Shipping,"
        if re.search(rf"(?<!\w){n},\s+who\b", self.text):
            return "person"
        return ""

    def _title_word(self, word: str) -> bool:
        low = word.lower()
        return low in self.title_words or low.rsplit("-", 1)[-1] in self.title_words

    def _honoured(self, surname: str) -> bool:
        """Whether the articles write an honorific before the surname ("Ms Chen")."""
        return bool(_honorific(surname).search(self.text))

    def _alone(self, words: list[str]) -> bool:
        """Whether the articles name the person by the surname alone, as a subject or
        object of its own ("Lennox said", "spoke with Berg"): a word the articles never
        write in lower case, not after another capitalised word or "the", nor after a
        preposition of place ("in Scotland"), nor followed by a capitalised word or a
        possessive."""
        surname = words[-1]
        if surname.lower() in self.lower:
            return False  # a common word ("Energy prices rose")
        for s in self.sentences:
            for m in bounded(surname).finditer(s):
                before, after = s[: m.start()], s[m.end() :]
                prev = before.split()[-1] if before.split() else ""
                if prev == words[-2] or re.match(r"[’'\w-]|\s+[A-Z]", after):
                    continue
                if prev.lower() in {"the", *_LOCATIVE_WORDS} or (
                    capitalised(prev) and before.rstrip()[-1:].isalpha()
                ):
                    continue
                return True
        return False

    def _gender(self, surname: str) -> str:
        """ "m" or "f" from the pronouns of the sentences that name the person and the
        honorifics before the surname ("Mr Reid", "Ms Chen"), else ""."""
        he = she = 0
        for s in self.sentences:
            if bounded(surname).search(s):
                words = {w.lower() for w in tokens(s)}
                he += bool(words & _HE)
                she += bool(words & _SHE)
            for m in _honorific(surname).finditer(s):
                he += m.group(1) == "Mr"
                she += m.group(1) in ("Mrs", "Ms", "Miss")
        return "m" if he > she else "f" if she > he else ""

    # --- title phrases
    def title_start(self, text: str, pos: int, headline: bool) -> int:
        """Where the title phrase directly before ``text[pos:]`` starts (``pos`` when there
        is none): the run of words, one space apart, that are title words (``titles`` in
        entities.toml, any case: "Chamber president"), or, outside a headline, capitalised
        words and acronyms ("Labour MSP", "Icelandic Fisheries Minister"), with a "the"
        before the run. A sentence's first word joins the run only when a word of the run
        follows it ("Environment Secretary …", not "Closing Harbour Street"). The run goes
        on through the closed-class words inside a name ("Bank of England Governor", "the
        Competition and Markets Authority chief executive"), but an "and" joins only a
        name with an organisation noun ("Putin and Chinese President Xi" is two people)."""
        start = pos
        while True:
            prev = _before(text, start)
            if prev is None:
                break
            word, at = prev
            low = word.lower()
            if low in _CONNECTORS and start < pos:
                joined = self._joined(text, at, text[start:pos])
                if joined is None:
                    break
                start = joined
                continue
            if low in FUNCTION_WORDS or low in _CALENDAR:
                break
            if low.rstrip(".") in _HONORIFICS:
                break  # "Ms Chen": the honorific stays, and the replacement keeps the gender
            titled = self._title_word(word)
            if not titled and (headline or not capitalised(word)):
                break
            initial = not text[:at].strip().strip(_QUOTES)
            if initial and not titled and start == pos:
                break
            start = at
        if start < pos:
            the = re.search(r"(?<!\w)[Tt]he $", text[:start])
            if the:
                start = the.start()
        return start

    def _joined(self, text: str, at: int, run: str) -> int | None:
        """Where the capitalised word starts that the closed-class word at ``at`` (and at
        most one more before it) joins to ``run`` inside one name ("Bank" of "Bank of
        England Governor"); None when no name goes on there."""
        seen = [text[at:].split(" ", 1)[0].lower()]
        cursor = at
        while True:
            prev = _before(text, cursor)
            if prev is None:
                return None
            word, cursor = prev
            low = word.lower()
            if low in _CONNECTORS and len(seen) < 2:
                seen.append(low)
                continue
            if not capitalised(word) or low in FUNCTION_WORDS:
                return None
            names = [w for w in [word, *tokens(run)] if capitalised(w)]
            if "and" in seen and not any(_bare(w).lower() in self.org_nouns for w in names):
                return None
            return cursor

    # --- names of a target
    def target_names(self, target: str) -> tuple[list[Entity], list[str]]:
        """Every country, person or organisation the target names, and the names it
        holds of no kind the article shows. The entries of entities.toml first; then each
        other run of capitalised words is a person of the cast (by name or surname) or a
        name with a person's evidence, a country adjective when it looks like one and
        modifies the next word ("Icelandic and Faroese mackerel"), an organisation of the
        cast ("Commission", the short form of "European Commission"). Any other name (a
        place such as "Scotland" in "hunted to extinction in Scotland", a street, a
        product) has no kind the article shows unless entities.toml lists it."""
        found = [e for e in self.rules.entities if self.occurs(e, target)]
        taken = [m.span() for e in found for _, s in e.forms for m in bounded(s).finditer(target)]
        people = {p.form(role): p for p in self.persons.values() for role in ("name", "surname")}
        runs: list[list[re.Match]] = []
        for w in re.finditer(r"[^\W\d_][\w’'.-]*", target):
            if not capitalised(w.group()) or any(a <= w.start() < b for a, b in taken):
                continue
            if runs and target[runs[-1][-1].end() : w.start()] == " ":
                runs[-1].append(w)
            else:
                runs.append([w])
        untyped = []
        for run in runs:
            name = _bare(target[run[0].start() : run[-1].end()])
            after = target[run[-1].end() :]
            person = people.get(name) or self.person(name)
            if person is not None:
                role = "name" if person.form("name") == name else "surname"
                found.append(Entity("person", ((role, name),), person.gender))
            elif (
                len(run) == 1
                and _DEMONYM.fullmatch(name)
                and re.match(r"\s+(?:[a-z]|(?:and|or)\s+[A-Z]|,)", after)
            ):
                found.append(Entity("country", (("adjective", name),)))
            elif name in self.organisations:
                org = self.organisations[name]
                found.append(Entity("organisation", (("name", name),), with_the=org.with_the))
            else:
                untyped.append(name)
        return list(dict.fromkeys(found)), untyped

    def occurs(self, entity: Entity, text: str) -> bool:
        flags = re.IGNORECASE if entity.kind == "group" else 0
        return any(bounded(s, flags).search(text) for _, s in entity.forms)

    def keeps_capital(self, sentence: str) -> bool:
        """Whether the first word of ``sentence`` is a name (kept capitalised after a frame)."""
        words = tokens(sentence)
        if not words:
            return True
        first = words[0]
        if first.lower() in FUNCTION_WORDS:
            return False
        if "." in first or first.isupper() or first in self.annotated_caps:
            return True  # "U.S.", "EU", or written so in a holder or target
        if first.lower() in self.lower:
            return False  # the articles write it in lower case elsewhere
        return len(words) > 1 and capitalised(words[1])  # "German Chancellor ..."


# ------------------------------------------------------------------ swaps
class Swapper:
    """Finds actors and entities in text, and builds the edits that replace them."""

    def __init__(self, rules: Rules, cast: Cast):
        self.rules = rules
        self.cast = cast
        self.seen = {e for e in rules.entities if cast.occurs(e, cast.text)}

    def pool(self, like: Entity, exclude: str) -> list[Entity]:
        """Unseen replacements of ``like``'s kind, absent from ``exclude``: groups as the
        word list writes them, invented people of ``like``'s gender and invented
        organisations (never a real one), countries with every form ``like`` uses."""
        if like.kind == "group":
            cands = [Entity("group", (("name", g),)) for g in self.rules.groups]
        else:
            cands = [
                e
                for e in self.rules.entities
                if e.kind == like.kind
                and e not in self.seen
                and (e.kind not in ("person", "organisation") or e.invented)
            ]
        roles = {r for r, _ in like.forms} if like.kind in ("person", "country") else {"name"}
        return [
            e
            for e in cands
            if roles <= {r for r, _ in e.forms}
            and (like.kind != "person" or not like.gender or e.gender == like.gender)
            and not self.cast.occurs(e, exclude)
        ]

    def mentions(self, text: str, entity: Entity, headline: bool = False) -> list[Mention]:
        """The mentions of ``entity`` in ``text``: a person's full name or surname with the
        title phrase before it when it holds a capital ("German Chancellor Katrin Albers",
        "Chamber president Ruth Okafor-Lane"; "chief executive" stays); a group's name or its
        last words ("member states" for "EU member states"), with "the" before it; an
        organisation's name or short form, with "the"; a country's name, adjective or
        capital."""
        by_surface = {s: role for role, s in entity.forms}
        alts = "|".join(map(re.escape, sorted(by_surface, key=len, reverse=True)))
        flags = 0
        if entity.kind == "group":
            words = entity.form("name").split()
            tails = [" ".join(words[i:]) for i in range(len(words) - 1)] or words
            alts = "|".join(map(re.escape, tails))
            flags = re.IGNORECASE
        elif entity.kind == "organisation":
            flags = Cast.flags(entity.form("name"))
        the = r"(?:(?P<the>(?<!\w)[Tt]he)\s+)?" if entity.kind in ("group", "organisation") else ""
        pattern = re.compile(rf"{the}(?<![\w-])(?P<name>{alts})(?![\w-])", flags)
        out = []
        for m in pattern.finditer(text):
            role = by_surface.get(m.group("name"), "name")
            start = m.start()
            titled = False
            if entity.kind == "person":
                # a title phrase with a capital goes with the name ("Labour MSP …"); a
                # common-noun role stays and reads with any name ("chief executive …")
                title = self.cast.title_start(text, m.start(), headline)
                if any(capitalised(w) for w in tokens(text[title : m.start()]) if w != "The"):
                    start, titled = title, True
            article = bool(the) and bool(m.group("the"))
            out.append(Mention(start, m.end(), role, titled, article))
        return out

    def edits(
        self, text: str, mentions: list[Mention], source: Entity, rep: Entity, headline: bool
    ) -> list[Edit]:
        """Each mention replaced by the same form of ``rep``: a titled mention by the
        replacement's title and name (its name alone when it has no title), an
        organisation with "the" when the replacement is written so and the mention's
        place takes it; in the replacement's own casing, capitalised at the start of the
        text and title-cased in a headline."""
        out = []
        for m in mentions:
            new = rep.form(m.role) or rep.form("name")
            if m.titled and rep.title:
                new = f"{rep.title} {new}"
            if rep.kind == "organisation" and rep.with_the and self._takes_the(text, m, source):
                new = f"the {new}"
            if headline:
                new = title_case(new)
            elif m.start == 0 or text[: m.start].rstrip()[-1:] in '“"':
                new = new[:1].upper() + new[1:]
            out.append(Edit(m.start, m.end, new))
        return out

    @staticmethod
    def _takes_the(text: str, m: Mention, source: Entity) -> bool:
        """An organisation's place in the sentence takes "the": it had one, or it stands as a
        whole noun phrase (the source is a bare name the articles never write with "the",
        and no determiner or possessive comes before it)."""
        if m.article:
            return True
        if source.with_the:
            return False  # "the Commission" elsewhere: here a modifier ("Commission officials")
        prev = text[: m.start].split()[-1:] or [""]
        return prev[0].lower() not in _DETERMINERS and not re.search(r"[’']s$", prev[0])

    def rename(self, text: str, entity: Entity, rep: Entity) -> str:
        """``text`` (a holder, target or speaker) with ``entity``'s forms replaced, no titles."""
        if entity.kind == "group" and text.strip().lower() == entity.form("name").lower():
            return rep.form("name")
        flags = re.IGNORECASE if entity.kind == "group" else 0
        if entity.kind == "organisation":
            flags = Cast.flags(entity.form("name"))
            text = re.sub(rf"^[Tt]he (?={re.escape(entity.form('name'))}$)", "", text, flags=flags)
        for role, surface in sorted(entity.forms, key=lambda f: -len(f[1])):
            text = bounded(surface, flags).sub(rep.form(role) or rep.form("name"), text)
        return text
