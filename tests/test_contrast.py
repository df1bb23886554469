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
    for c in derived.contrast:
        if c["test_type"] == "mft":
            assert c["source_id"] == "" and c["group"] not in item_groups
            mft_groups[c["group"]] += 1
            continue
        src = items[c["source_id"]]
        assert c["group"] == src["group"]  # never crosses a fold boundary with its item
        assert c["article"] == src["article"] and c["kind"] == src["kind"]
        assert c["source_sentence"] == src["sentence"]
        assert c["source_label"] == src["label"]
        assert c["sentence"] != src["sentence"]
        assert c["test_type"] == contrast.CAPABILITIES[c["capability"]]
    assert mft_groups and max(mft_groups.values()) == 1  # each MFT case is its own group


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
