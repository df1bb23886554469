"""Actors typed from the article itself (bench/corpus/actors.py), checked on small fixture
sentences written for these tests (not the seed): each swap keeps kind and grammatical
number, and an actor of no kind the article shows gets no case, counted as skipped."""

from __future__ import annotations

import re

import pytest

from bench.corpus import contrast
from bench.corpus.actors import Cast
from bench.corpus.rules import RULES_DIR, Rules, load_rules
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(SEEDS / RULES_DIR)


def _records(*items: tuple[str, str, dict]) -> list[dict]:
    """One record per (sentence, evidence, fields), as derive writes them: an article of
    these sentences, one item each."""
    out, offset = [], 0
    for i, (sentence, evidence, fields) in enumerate(items, 1):
        start = offset + sentence.index(evidence)
        out.append(
            {
                "id": f"x-{i:03d}",
                "article": "x",
                "group": f"x#{i:03d}",
                "unit": i,
                "kind": "sentence",
                "sentence": sentence,
                "sentence_start": offset,
                "sentence_end": offset + len(sentence),
                "evidence": evidence,
                "start": start,
                "end": start + len(evidence),
                "speaker": "",
                "holder": "",
                "target": "",
                "label": "fact",
                **fields,
            }
        )
        offset += len(sentence) + 1
    return out


def _stance(holder: str, target: str, label: str = "condemn") -> dict:
    return {"holder": holder, "target": target, "label": label}


def _suite(rules: Rules, records: list[dict]) -> contrast.Suite:
    suite = contrast.generate_suite(records, rules)
    return contrast.Suite([c for c in suite.cases if c["source_id"]], suite.skipped)


def _cases(suite: contrast.Suite, source: str, capability: str) -> list[dict]:
    return [c for c in suite.cases if c["source_id"] == source and c["capability"] == capability]


def _skips(suite: contrast.Suite, source: str, capability: str) -> list[str]:
    return [s.reason for s in suite.skipped if s.source_id == source and s.capability == capability]


def _invented(rules: Rules, kind: str) -> set[str]:
    return {e.form("name") for e in rules.entities if e.kind == kind and e.invented}


def test_an_acronym_led_name_is_an_organisation_and_its_last_word_no_surname(rules):
    records = _records(
        (
            "ACWU Wales condemned the plan on Monday.",
            "condemned the plan",
            _stance("ACWU Wales", "the plan"),
        ),
        (
            "Wolves were hunted to extinction in Wales in 1700.",
            "Wolves were hunted",
            {"target": "wolf history in Wales"},
        ),
    )
    cast = Cast(rules, records)
    assert [e.kind for e in cast.holder("ACWU Wales")] == ["organisation"]
    suite = _suite(rules, records)
    orgs, people = _invented(rules, "organisation"), _invented(rules, "person")
    swaps = _cases(suite, "x-001", "holder_swap")
    assert len(swaps) == 2
    for c in swaps:
        assert c["holder"] in orgs  # an invented organisation, never a person
        assert re.fullmatch(
            rf"(?:The )?{re.escape(c['holder'])} condemned the plan on Monday\.", c["sentence"]
        )
    # "in Wales": no surname of an invented person put there; a place entities.toml does
    # not list has no kind the article shows
    assert _cases(suite, "x-002", "entity_swap") == []
    assert _skips(suite, "x-002", "entity_swap") == ["untyped"]
    assert not any(p.split()[-1] in c["sentence"] for c in suite.cases for p in people)


def test_a_title_phrase_is_found_without_the_titles_list(rules):
    records = _records(
        (
            "Green MEP Sofia Lind criticised the treaty.",
            "criticised the treaty",
            _stance("Sofia Lind", "the treaty"),
        ),
        (
            "Former Tourism Commissioner Ivo Brandt backed the treaty.",
            "backed the treaty",
            _stance("Ivo Brandt", "the treaty", "support"),
        ),
    )
    cast = Cast(rules, records)
    assert cast.holder("Sofia Lind")[0].kind == "person"
    suite = _suite(rules, records)
    people = _invented(rules, "person")
    for source, verb in (("x-001", "criticised"), ("x-002", "backed")):
        swaps = _cases(suite, source, "holder_swap")
        assert len(swaps) == 2
        for c in swaps:
            # the whole title phrase goes: no "Green MEP" before an invented name
            assert c["holder"] in people
            assert re.fullmatch(
                rf"(?:[A-Z][a-z]+ )*{c['holder']} {verb} the treaty\.", c["sentence"]
            )
            assert not re.search(r"MEP|Green|Former|Tourism", c["sentence"])


def test_an_appositive_names_a_person_or_an_organisation(rules):
    records = _records(
        (
            "The union’s treasurer, Callum Reid, said members had not been consulted and "
            "called for a ballot.",
            "called for a ballot",
            _stance("Callum Reid", "strike ballot", "support"),
        ),
        (
            "Metrolink West rejected the plan.",
            "rejected the plan",
            _stance("Metrolink West", "the plan"),
        ),
        (
            "The plan must be approved by the regional authority, Metrolink West, in May.",
            "must be approved",
            {"target": "the plan"},
        ),
        (
            "Norvik Shipping condemned the levy.",
            "condemned the levy",
            _stance("Norvik Shipping", "the levy"),
        ),
        (
            "The levy was set by its owner, Norvik Shipping, whose shipping lanes cross the bay.",
            "The levy was set",
            {"target": "the levy"},
        ),
    )
    cast = Cast(rules, records)
    assert cast.holder("Callum Reid")[0].kind == "person"
    assert cast.holder("Metrolink West")[0].kind == "organisation"  # "the regional authority, …,"
    assert cast.holder("Norvik Shipping") == []  # "its owner, …,": a company or a person
    suite = _suite(rules, records)
    for c in _cases(suite, "x-001", "holder_swap"):
        assert c["holder"] in _invented(rules, "person")
        assert c["sentence"].startswith(f"The union’s treasurer, {c['holder']}, said members")
    assert _cases(suite, "x-004", "holder_swap") == []
    assert _skips(suite, "x-004", "holder_swap") == ["untyped_holder"]


def test_swaps_keep_grammatical_number(rules):
    records = _records(
        (
            "The Riverside Tenants Association, which represents 400 households, "
            "criticised the plan.",
            "criticised the plan",
            _stance("Riverside Tenants Association", "the plan"),
        ),
        (
            "Harrow Fields and Meadows, which represents tenant farmers, questioned "
            "whether the plan would work.",
            "questioned whether the plan would work",
            _stance("Harrow Fields and Meadows", "the plan", "skeptical"),
        ),
        (
            "Opposition lawmakers are skeptical of the plan.",
            "are skeptical of the plan",
            _stance("opposition lawmakers", "the plan", "skeptical"),
        ),
    )
    suite = _suite(rules, records)
    orgs = _invented(rules, "organisation")
    for c in _cases(suite, "x-001", "holder_swap"):  # a singular organisation, singular again
        assert c["holder"] in orgs
        assert re.fullmatch(
            rf"(?:The )?{c['holder']}, which represents 400 households, criticised the plan\.",
            c["sentence"],
        )
    # a singular name of no kind the article shows: no plural group in its place
    assert _cases(suite, "x-002", "holder_swap") == []
    assert _skips(suite, "x-002", "holder_swap") == ["untyped_holder"]
    for c in _cases(suite, "x-003", "holder_swap"):  # a plural group, plural again
        assert c["holder"] in rules.groups
        assert (
            c["sentence"]
            == f"{c['holder'][:1].upper()}{c['holder'][1:]} are skeptical of the plan."
        )


def test_honorifics_give_gender_and_a_common_word_is_no_surname(rules):
    records = _records(
        (
            "Laura Chen, who founded the firm, criticised the ruling.",
            "criticised the ruling",
            _stance("Laura Chen", "the ruling"),
        ),
        (
            "Ms Chen said the ruling would be appealed.",
            "the ruling would be appealed",
            {"target": "appeal"},
        ),
        (
            "Halcyon Energy welcomed the ruling.",
            "welcomed the ruling",
            _stance("Halcyon Energy", "the ruling", "support"),
        ),
        ("Energy prices rose after the ruling.", "Energy prices rose", {"target": "energy prices"}),
        (
            "On Monday Anna Berg criticised the ruling.",
            "criticised the ruling",
            _stance("Anna Berg", "the ruling"),
        ),
        ("Berg said she would appeal.", "she would appeal", {"target": "appeal"}),
    )
    cast = Cast(rules, records)
    assert cast.holder("Laura Chen")[0].gender == "f"  # "Ms Chen"
    assert cast.holder("Halcyon Energy") == []  # "Energy prices …" is no surname alone
    suite = _suite(rules, records)
    women = {
        e.form("name")
        for e in rules.entities
        if e.kind == "person" and e.invented and e.gender == "f"
    }
    for c in _cases(suite, "x-001", "holder_swap"):
        assert c["holder"] in women
    for c in _cases(suite, "x-005", "holder_swap"):  # a day is never part of a title phrase
        assert c["sentence"] == f"On Monday {c['holder']} criticised the ruling."


def test_an_acronym_in_brackets_is_an_organisations_short_form(rules):
    records = _records(
        (
            "The Competition and Markets Authority (CMA) opened an inquiry.",
            "opened an inquiry",
            {"target": "merger inquiry"},
        ),
        (
            "The CMA criticised the merger.",
            "criticised the merger",
            _stance("Competition and Markets Authority", "the merger"),
        ),
    )
    suite = _suite(rules, records)
    swaps = _cases(suite, "x-002", "holder_swap")
    assert len(swaps) == 2
    for c in swaps:
        assert c["holder"] in _invented(rules, "organisation")
        assert re.fullmatch(rf"(?:The )?{c['holder']} criticised the merger\.", c["sentence"])


def test_a_lower_case_role_stays_before_the_new_name(rules):
    def swaps(opening: str) -> list[dict]:
        sentence = f"{opening} chief executive Laura Chen defended the tariff."
        records = _records(
            (sentence, "defended the tariff", _stance("Laura Chen", "the tariff", "support")),
            ("Chen said she would not resign.", "she would not resign", {"target": "resignation"}),
        )
        cases = _cases(_suite(rules, records), "x-001", "holder_swap")
        assert len(cases) == 2
        for c in cases:
            assert c["evidence"] == "defended the tariff"
        return cases

    for c in swaps("Halcyon"):  # the phrase holds a capital: it goes with the name
        assert re.fullmatch(rf"(?:[A-Z][a-z]+ )+{c['holder']} defended the tariff\.", c["sentence"])
        assert "Halcyon" not in c["sentence"]
    for c in swaps("Its"):  # a common-noun role reads with any name
        assert c["sentence"] == f"Its chief executive {c['holder']} defended the tariff."


@pytest.mark.parametrize(
    ("sentence", "name", "title"),
    [
        ("Labour MEP Ana Vidal spoke.", "Ana", "Labour MEP "),  # no word of it in `titles`
        ("Union secretary Dev Okonjo spoke.", "Dev", "Union secretary "),
        ("Bank of England Governor Ian Pell spoke.", "Ian", "Bank of England Governor "),
        (
            "The Competition and Markets Authority chief executive Ida Moe spoke.",
            "Ida",
            "The Competition and Markets Authority chief executive ",
        ),
        ("He backed the Commission President Ana Vidal.", "Ana", "the Commission President "),
        # two people joined by "and": the second title phrase stops at the "and"
        ("Danish Premier Ole Berg and Swedish Premier Ana Vidal spoke.", "Ana", "Swedish Premier "),
        ("On Monday Ana Vidal spoke.", "Ana", ""),  # a day is no title
        ("Closing Harbour Street is essential.", "Harbour", ""),  # a first word alone is none
        ("Ms Ana Vidal spoke.", "Ana", ""),  # an honorific stays
    ],
)
def test_title_phrases(rules, sentence, name, title):
    cast = Cast(rules, _records((sentence, sentence[:-1], {})))
    pos = sentence.index(name)
    assert sentence[cast.title_start(sentence, pos, headline=False) : pos] == title
