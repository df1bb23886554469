from __future__ import annotations

import re
from collections import Counter

import pytest

from bench.corpus import contrast, derive, store
from bench.corpus.rules import RULES_DIR, Rules, load_rules
from bench.errors import DataError
from bench.escaping import md
from bench.labels import LABELS, TASKS
from bench.models.lexicon import load_lexicon
from tests.conftest import ARTICLE, SEEDS


@pytest.fixture(scope="module")
def derived() -> derive.Derived:
    return derive.derive(SEEDS)


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(SEEDS / RULES_DIR)


def _lexicon_pattern() -> re.Pattern:
    """Every cue phrase and negator of the cue lexicon, as whole words, any case."""
    lex = load_lexicon()
    words = [p for phrases in lex["cues"].values() for p in phrases]
    words += lex["negation"]["words"]
    alts = sorted((re.escape(w.lower()) for w in words), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b")


def test_at_least_150_cases_over_6_capabilities(derived):
    c = contrast.counts(derived.contrast)
    assert c["cases"] >= 150
    assert len(c["capability"]) >= 6
    assert set(c["test_type"]) == {"invariance", "directional", "mft"}
    assert set(contrast.CAPABILITIES) <= set(c["capability"])  # every rule matched something
    assert all(c["label"][lab] > 0 for lab in LABELS)


def test_every_case_has_the_columns_and_a_known_label(derived):
    for case in derived.contrast:
        assert set(case) == set(contrast.COLUMNS)
        assert case["label"] in LABELS
        assert case["sentence"].strip() and case["target"].strip()
        assert case["evidence"] and case["evidence"] in case["sentence"]
        assert (case["holder"] == "") == (case["label"] == "fact")


def test_ids_are_unique_and_name_source_and_capability(derived):
    ids = [c["id"] for c in derived.contrast]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {r["id"] for r in derived.records}
    for c in derived.contrast:
        source = c["source_id"] or "mft"
        assert c["id"].startswith(f"{source}~{c['capability']}~")


def test_every_case_links_to_its_source_item_and_group(derived):
    items = {r["id"]: r for r in derived.records}
    item_groups = {r["group"] for r in derived.records}
    mft_groups = Counter()
    mft_caps: dict[str, set[str]] = {}
    for c in derived.contrast:
        if c["test_type"] == "mft":
            assert c["source_id"] == "" and c["group"] not in item_groups
            mft_groups[c["group"]] += 1
            mft_caps.setdefault(c["group"], set()).add(c["capability"])
            continue
        src = items[c["source_id"]]
        assert c["group"] == src["group"]  # never crosses a fold boundary with its item
        assert c["article"] == src["article"] and c["kind"] == src["kind"]
        assert c["source_sentence"] == src["sentence"]
        assert c["source_label"] == src["label"]
        assert c["sentence"] != src["sentence"]
        assert c["test_type"] == contrast.CAPABILITIES[c["capability"]]
    # one group per (capability, phrase): a phrase's cases (one per target) move together
    assert mft_groups and len(set(mft_groups.values())) == 1 and min(mft_groups.values()) > 1
    assert all(len(caps) == 1 for caps in mft_caps.values())
    assert all(g == f"mft-{next(iter(mft_caps[g]))}-p{g[-2:]}" for g in mft_groups)


def test_invariance_keeps_the_label_and_directional_changes_it(derived, rules):
    by_phrase = {r.phrase: r for r in rules.cues}
    for c in derived.contrast:
        if c["test_type"] == "invariance":
            assert c["label"] == c["source_label"], c["id"]
        elif c["test_type"] == "directional":
            assert c["label"] != c["source_label"], c["id"]
            if c["capability"] in ("cue_negation", "stance_to_report"):
                assert c["label"] == "fact" and c["holder"] == ""
    flips = [c for c in derived.contrast if c["capability"] == "cue_flip"]
    assert {(c["source_label"], c["label"]) for c in flips} <= {
        (r.label, r.opposite_label) for r in by_phrase.values() if r.opposite
    }


def test_generation_is_deterministic_and_ignores_annotation_order(derived, seeds):
    again = derive.derive(SEEDS)
    assert again.contrast == derived.contrast
    ann = seeds / f"{ARTICLE}.annotations.jsonl"
    lines = ann.read_text(encoding="utf-8").splitlines(keepends=True)
    ann.write_text("".join(reversed(lines)), encoding="utf-8")
    assert derive.derive(seeds).contrast == derived.contrast


def test_inserted_words_are_disjoint_from_the_cue_lexicon(rules):
    pattern = _lexicon_pattern()
    inserted = rules.inserted()
    assert len(inserted) > 50
    hits = {w: pattern.findall(w.lower()) for w in inserted}
    assert {w: h for w, h in hits.items() if h} == {}


def test_cases_add_no_lexicon_cue_to_their_source(derived):
    """The cue lexicon sees no cue in a case that its source sentence does not give it."""
    pattern = _lexicon_pattern()
    for c in derived.contrast:
        added = Counter(pattern.findall(c["sentence"].lower()))
        added.subtract(Counter(pattern.findall(c["source_sentence"].lower())))
        assert not +added, (c["id"], +added)


def test_substituted_actors_and_entities_are_unseen(derived):
    article = (SEEDS / f"{ARTICLE}.txt").read_text(encoding="utf-8").lower()
    items = {r["id"]: r for r in derived.records}
    for c in derived.contrast:
        src = items.get(c["source_id"])
        if c["capability"] == "holder_swap":
            assert c["holder"] != src["holder"]
            for name in c["holder"].split(" and "):
                assert name.lower() not in article, (c["id"], name)
        if c["capability"] == "entity_swap":
            assert c["target"] != src["target"] and c["holder"] == src["holder"]


def test_person_swaps_keep_gender_and_titles(derived):
    cases = {c["id"]: c for c in derived.contrast}
    # "President Putin has been positioning himself": a man with a title replaces him
    swapped = [c for c in cases.values() if c["id"].startswith("putin-xi-014~entity_swap")]
    assert swapped
    for c in swapped:
        assert "Putin" not in c["sentence"] and "himself" in c["sentence"]
        assert re.search(r"(President|Prime Minister|Chancellor) [A-Z]\w+ has been", c["sentence"])


def test_rules_that_match_nothing_make_nothing(derived):
    made = Counter((c["source_id"], c["capability"]) for c in derived.contrast)
    # a fact about "Putin-Xi phone call" whose sentence names neither: no entity swap
    assert made[("putin-xi-004", "entity_swap")] == 0
    # a headline gets no attribution frame; a fact has no holder to swap
    assert made[("putin-xi-013", "attribution")] == 0
    assert made[("putin-xi-013", "holder_swap")] == 0
    # a reason given for the stance blocks the directional rules, not the synonym
    assert made[("putin-xi-017", "cue_flip")] == 0
    assert made[("putin-xi-017", "cue_synonym")] == 2


def _record(sentence: str, evidence: str, **fields) -> dict:
    start = sentence.index(evidence)
    return {
        "id": "x-001",
        "article": "x",
        "group": "x#000",
        "unit": 0,
        "kind": "sentence",
        "sentence": sentence,
        "sentence_start": 0,
        "sentence_end": len(sentence),
        "evidence": evidence,
        "start": start,
        "end": start + len(evidence),
        "speaker": "",
        **fields,
    }


def test_rules_are_general_on_a_new_sentence(rules):
    rec = _record(
        "On Monday, French President Emmanuel Macron condemned NATO expansion near Iran.",
        "condemned NATO expansion near Iran",
        holder="Emmanuel Macron",
        target="NATO expansion near Iran",
        label="condemn",
    )
    cases = {c["id"]: c for c in contrast.generate([rec], rules) if c["source_id"]}
    caps = Counter(c["capability"] for c in cases.values())
    assert caps["holder_swap"] == caps["entity_swap"] == 2
    assert caps["cue_flip"] == caps["cue_negation"] == caps["stance_to_report"] == 1
    swap = cases["x-001~entity_swap~1"]
    assert "NATO" not in swap["sentence"] + swap["target"]
    assert "Iran" not in swap["sentence"] + swap["target"]
    holder = cases["x-001~holder_swap~1"]
    assert "Macron" not in holder["sentence"] and holder["holder"] in holder["sentence"]
    assert cases["x-001~cue_negation~1"]["sentence"] == (
        "On Monday, French President Emmanuel Macron declined to censure NATO expansion near Iran."
    )
    attribution = cases["x-001~attribution~1"]["sentence"]
    assert attribution.startswith("According to ") and ", on Monday, French" in attribution


def test_derive_writes_the_contrast_split_and_card(derived_dir, derived):
    import datasets
    import pyarrow.parquet as pq

    ds = datasets.Dataset(pq.read_table(derived_dir / store.CONTRAST_PARQUET))
    assert ds.num_rows == len(derived.contrast)
    assert ds.features["label"].names == list(LABELS)
    assert list(ds.features) == list(contrast.COLUMNS)
    card = (derived_dir / "README.md").read_text(encoding="utf-8")
    assert f"path: {store.CONTRAST_PARQUET}" in card and "## Contrast split" in card
    for capability in contrast.counts(derived.contrast)["capability"]:
        assert f"\n- {md(capability)}: " in card  # one sample per capability (escaped)
    items = datasets.Dataset(pq.read_table(derived_dir / store.PARQUET))
    assert items.num_rows == len(derived.records)


@pytest.mark.parametrize("task", list(TASKS))
def test_task_views_map_contrast_labels_like_items(task, derived):
    import pandas as pd

    from bench.data import task_view

    frame = task_view(pd.DataFrame(derived.contrast), task)
    spec = TASKS[task]
    kept = [c for c in derived.contrast if c["label"] in spec.mapping]
    assert len(frame) == len(kept)
    assert set(frame["label"]) <= set(spec.labels)


def test_hash_covers_the_rules_and_items_stay(seeds, derived):
    path = seeds / RULES_DIR / "cue_rules.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"faulted", "censured"', '"faulted"'),
        encoding="utf-8",
    )
    changed = derive.derive(seeds)
    assert changed.records == derived.records
    assert len(changed.contrast) < len(derived.contrast)
    assert changed.content_hash != derived.content_hash


def test_no_rules_folder_means_no_contrast_split(seeds, tmp_path):
    import shutil

    shutil.rmtree(seeds / RULES_DIR)
    d = derive.derive(seeds)
    assert d.contrast == [] and d.records
    out = tmp_path / "ds"
    derive.write(d, out)
    assert not (out / store.CONTRAST_PARQUET).exists()
    assert "contrast" not in (out / "README.md").read_text(encoding="utf-8").split("---")[1]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('phrase = "criticized"', 'phrse = "criticized"', "No such key 'phrse'"),
        ('opposite_label = "support"', 'opposite_label = "suport"', "did you mean 'support'"),
        (
            'negated = "fact"',
            'negated = "none"',
            "must be one of 'support', 'condemn', 'skeptical', 'fact'; got 'none'",
        ),
    ],
)
def test_bad_rules_name_the_file_and_key(seeds, old, new, message):
    path = seeds / RULES_DIR / "cue_rules.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)) as err:
        derive.derive(seeds)
    assert "cue_rules.toml" in str(err.value)


def test_rules_files_live_beside_the_guidelines():
    folder = SEEDS / RULES_DIR
    assert sorted(p.name for p in folder.glob("*.toml")) == [
        "attribution.toml",
        "cue_rules.toml",
        "entities.toml",
        "mft.toml",
    ]
    guidelines = (SEEDS / "GUIDELINES.md").read_text(encoding="utf-8")
    for capability in contrast.CAPABILITIES:
        assert f"`{capability}`" in guidelines


# --- a new article: rules checked on fixture articles written outside the project ---------
@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> derive.Derived:
    from tests.conftest import MACKEREL, TRAM, fixture_seeds

    return derive.derive(fixture_seeds(tmp_path_factory.mktemp("fx") / "seeds", TRAM, MACKEREL))


def _by_source(d: derive.Derived, capability: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for c in d.contrast:
        if c["capability"] == capability:
            out.setdefault(c["source_id"], []).append(c)
    return out


def _skips(d: derive.Derived, capability: str) -> dict[str, str]:
    return {s.source_id: s.reason for s in d.skipped if s.capability == capability}


def test_directional_cases_never_contradict_the_rest_of_their_sentence(fixtures):
    items = {r["id"]: r for r in fixtures.records}
    for capability in ("cue_negation", "cue_flip", "stance_to_report"):
        made = _by_source(fixtures, capability)
        skips = _skips(fixtures, capability)
        # the annotations: another stance item on the same target in the sentence
        for source in ("tram-004", "tram-007", "tram-016", "mack-006"):
            assert skips[source] == "same_target" and source not in made
        # the rest of the sentence: a quotation in the evidence ("what he called “…”"),
        # a participial clause (", saying it would protect …")
        assert skips["mack-008"] == skips["mack-014"] == "reason"
        # "called for quota talks to resume": a to-infinitive "ruled out" cannot take
        assert skips["mack-005"] == "complement"
        for source, cases in made.items():
            src = items[source]
            same = [
                o
                for o in fixtures.records
                if o["group"] == src["group"] and o["id"] != source and o["label"] != "fact"
            ]
            assert all(o["target"].lower() != src["target"].lower() for o in same), source
            for c in cases:
                assert "“" not in c["sentence"].replace(src["evidence"], ""), c["id"]
    assert set(_by_source(fixtures, "cue_flip")) == {"tram-011", "tram-015", "mack-019", "mack-020"}
    report = _by_source(fixtures, "stance_to_report")
    assert "mack-019" not in report and _skips(fixtures, "stance_to_report")["mack-019"] == (
        "complement"  # "discussed the government for walking away" does not read
    )


def test_a_reason_in_the_rest_of_a_new_sentence_blocks_directional_cases(rules):
    def made(sentence: str, evidence: str, label: str = "support") -> Counter:
        rec = _record(sentence, evidence, holder="the union", target="the plan", label=label)
        return Counter(c["capability"] for c in contrast.generate([rec], rules) if c["source_id"])

    plain = made("The union welcomed the plan on Monday.", "welcomed the plan")
    assert plain["cue_flip"] == plain["cue_negation"] == plain["stance_to_report"] == 1
    for sentence in (
        "The union welcomed the plan, saying it would help.",  # a participial clause
        "The union welcomed the plan, a “long overdue” step.",  # a quotation
        "The union welcomed the plan because it would help.",  # a reason marker
    ):
        caps = made(sentence, "welcomed the plan")
        assert caps["cue_flip"] == caps["cue_negation"] == 0, sentence
        assert caps["cue_synonym"] == 2, sentence  # the invariance case is still made
    whether = made("The union questioned whether the plan would work.", "questioned", "skeptical")
    assert whether["cue_negation"] == 0 and whether["stance_to_report"] == 1  # "discussed whether"


def test_holder_swaps_replace_the_whole_mention_and_keep_its_casing(fixtures, rules):
    swaps = _by_source(fixtures, "holder_swap")
    invented = {e.form("name") for e in rules.entities if e.invented}  # people, organisations
    groups = set(rules.groups)
    for cases in swaps.values():
        for c in cases:
            assert c["holder"] in invented | groups, c["id"]  # never a real person or body
            assert c["holder"] in c["sentence"] or c["holder"].split()[-1] in c["sentence"]
    titled = {
        "mack-004": "Commission President",
        "mack-011": "German Chancellor",
        "tram-010": "Deputy Mayor",
        "mack-008": "Icelandic Fisheries Minister",
        "tram-013": "Chamber president",
    }
    for source, title in titled.items():
        for c in swaps[source]:
            assert title not in c["sentence"], c["sentence"]  # the whole phrase is replaced
    kinds = {e.form("name"): e.kind for e in rules.entities}
    # a plural group stays one plural group, whatever its "and"s, written as listed
    for c in swaps["mack-014"] + swaps["mack-015"]:
        assert " and " not in c["holder"] and c["holder"] in groups
        assert re.match(rf"{c['holder']}[ ,]", c["sentence"])
    # a singular organisation (an organisation noun: "Union", "Chamber", "Commission",
    # "ministry") becomes an invented singular organisation, "the" where it is written so
    for source in ("tram-007", "tram-011", "mack-003", "mack-016"):
        for c in swaps[source]:
            assert kinds[c["holder"]] == "organisation", c["id"]
            assert re.search(rf"(?:^The |the |^){c['holder']}[ ,]", c["sentence"]), c["sentence"]
    # "Iceland and the Faroe Islands": countries entities.toml does not list; no kind, no swap
    assert "mack-006" not in swaps
    assert _skips(fixtures, "holder_swap")["mack-006"] == "untyped_holder"
    for c in swaps["mack-022"]:  # "Berg said she …": a woman replaces her, by surname
        assert re.match(r"[A-Z]\w+ said she remained open", c["sentence"])
        person = next(e for e in rules.entities if e.form("name") == c["holder"])
        assert person.gender == "f" and person.form("surname") in c["sentence"]
    for c in swaps["mack-010"]:  # the speaker the segmenter found is renamed too
        assert c["speaker"] in c["sentence"] and "Dahl" not in c["speaker"] + c["sentence"]
    for c in swaps["mack-012"]:  # "member states" of the holder "EU member states"
        assert "member states" not in c["sentence"] and c["holder"] in c["sentence"]


def test_attribution_keeps_proper_nouns_and_skips_attributed_sentences(fixtures):
    frames = _by_source(fixtures, "attribution")
    skips = _skips(fixtures, "attribution")
    for source in ("tram-009", "tram-014", "tram-020", "mack-004", "mack-018", "mack-022"):
        assert skips[source] == "attributed" and source not in frames
    assert skips["tram-001"] == "headline"
    expected = {
        "tram-002": "the Aldermoor City Council voted",
        "tram-010": "Deputy Mayor Tomasz Wren,",
        "tram-015": "some Harbour Street traders",
        "tram-016": "opposition councillors criticised",
        "tram-018": "Green councillors urged",
        "mack-006": "Iceland and the Faroe Islands",
        "mack-011": "German Chancellor Katrin Albers",
        "mack-014": "Irish and Spanish fishing unions",
        "mack-015": "Dutch fish processors",
        "mack-017": "fisheries scientists advising",
    }
    for source, start in expected.items():
        for c in frames[source]:
            assert c["sentence"].split(", ", 1)[1].startswith(start), c["sentence"]


def test_entity_swap_finds_the_entities_of_any_article_in_its_annotations(fixtures):
    swaps = _by_source(fixtures, "entity_swap")
    for c in swaps["mack-002"] + swaps["mack-003"]:
        for gone in ("Icelandic", "Faroese"):
            assert gone not in c["sentence"] and gone not in c["target"]
        assert re.search(r"caught by (\w+) and (\w+) vessels", c["sentence"])
        a, b = re.search(r"caught by (\w+) and (\w+) vessels", c["sentence"]).groups()
        assert f"{a} and {b}" in c["target"]
    for c in swaps["mack-016"]:  # an organisation, "the" absorbed; the holder untouched
        assert (
            "Commission" not in c["sentence"]
            and "the Icelandic fisheries ministry" in (c["sentence"])
        )
        assert c["holder"] == "Icelandic fisheries ministry"
    skips = _skips(fixtures, "entity_swap")
    assert skips["mack-006"] == "entity_absent"  # "Iceland and the Faroe Islands condemned …"
    assert skips["tram-014"] == "untyped"  # "Harbour Street": a street, of no known kind


def test_derive_prints_made_and_skipped_and_the_card_lists_every_directional_case(tmp_path, capsys):
    from bench.cli import main
    from tests.conftest import MACKEREL, TRAM, fixture_seeds

    seeds = fixture_seeds(tmp_path / "seeds", TRAM, MACKEREL)
    assert main(["derive", "--seeds", str(seeds), "--out", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    d = derive.derive(seeds)
    per = contrast.counts(d.contrast, d.skipped)["capability"]
    for name, c in per.items():
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert row.split()[2:4] == [str(c["cases"]), str(sum(c["skipped"].values()))]
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    for c in d.contrast:
        if c["test_type"] == "directional":
            assert f"{c['sentence']!r} ({c['label']}, target" in card
    for s in d.skipped:
        if contrast.CAPABILITIES[s.capability] == "directional":
            assert f"skipped {s.source_id}: {contrast.SKIPS[s.reason]}" in card
