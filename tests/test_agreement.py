"""Agreement between annotators: the coefficients against worked examples from the
literature and against the reference libraries (krippendorff, statsmodels: test-only,
skipped with a reason when absent), unit matching on the fixture article, intervals,
the CLI, the dataset card and the human reference row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import agreement as A
from bench.cli import main
from bench.corpus.annotations import Item
from bench.corpus.segment import Unit

DATA = Path(__file__).parent / "data" / "annotation"  # two annotators' files
ARTICLES = Path(__file__).parent / "data" / "articles"  # the fixture article and its gold
ARTICLE = "aldermoor-tram-extension"
C = len(A.CATEGORIES)


def _krippendorff():
    return pytest.importorskip(
        "krippendorff", reason="krippendorff (GPL, a test-only reference) is not installed"
    )


def _inter_rater():
    return pytest.importorskip(
        "statsmodels.stats.inter_rater", reason="statsmodels (test-only reference) not installed"
    )


@pytest.fixture
def rated(tmp_path: Path) -> Path:
    """The fixture article with its gold and two annotators' files."""
    dest = tmp_path / "seeds"
    dest.mkdir()
    for name in (f"{ARTICLE}.txt", f"{ARTICLE}.annotations.jsonl"):
        shutil.copy(ARTICLES / name, dest)
    for path in DATA.glob(f"{ARTICLE}.annotations.*.jsonl"):
        shutil.copy(path, dest)
    return dest


# ----------------------------------------------------------- worked examples
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, 12 units, missing values; nominal alpha = .743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_alpha_reproduces_krippendorffs_worked_example():
    data = np.array([[-1 if v is None else v for v in row] for row in KRIPPENDORFF_2011]).T
    assert A.krippendorff_alpha(data, 6) == pytest.approx(0.743, abs=5e-4)
    # his coincidence matrix: n_c = 9, 13, 10, 5, 3 for values 1..5 (n = 40 pairable values)
    o = A.coincidences(A.value_counts(data, 6)).sum(axis=0)
    assert o.sum(axis=1)[1:].tolist() == pytest.approx([9, 13, 10, 5, 3])


def test_fleiss_and_cohen_reproduce_worked_examples():
    # Fleiss' kappa: 10 subjects, 14 raters, 5 categories, kappa = .210 (the worked example
    # of the Wikipedia article "Fleiss' kappa")
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert A.fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)
    # Cohen's kappa: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = .7,
    # p_e = .5, kappa = .4 (the worked example of the Wikipedia article "Cohen's kappa")
    assert A.cohen_kappa_from_confusion(np.array([[20, 5], [10, 15]])) == pytest.approx(0.4)


# ------------------------------------------------------ reference libraries
def _random_data(rng, missing: float):
    U, R, K = int(rng.integers(2, 40)), int(rng.integers(2, 6)), int(rng.integers(2, 6))
    data = rng.integers(0, K, (U, R))
    data[rng.random((U, R)) < missing] = -1
    return data, K


def test_alpha_matches_krippendorff_package_on_random_data():
    krippendorff = _krippendorff()
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(300):
        data, K = _random_data(rng, 0.35)
        mine = A.krippendorff_alpha(data, K)
        reliability = np.where(data < 0, np.nan, data).T.astype(float)
        try:  # the package refuses data without a pairable unit; ours says NaN
            ref = krippendorff.alpha(
                reliability_data=reliability,
                level_of_measurement="nominal",
                value_domain=list(range(K)),
            )
        except ValueError:
            assert np.isnan(mine)
            continue
        if np.isnan(ref):  # one value in every pairable unit: undefined for both
            assert np.isnan(mine)
            continue
        assert mine == pytest.approx(ref, abs=1e-12)
        checked += 1
    assert checked > 250


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the package's 0/0
def test_per_label_alpha_is_alpha_of_the_binarised_data():
    krippendorff = _krippendorff()
    rng = np.random.default_rng(11)
    for _ in range(100):
        data, K = _random_data(rng, 0.3)
        o = A.coincidences(A.value_counts(data, K)).sum(axis=0)
        for j in range(K):
            binary = np.where(data < 0, np.nan, (data == j).astype(float)).T
            try:
                ref = krippendorff.alpha(
                    reliability_data=binary, level_of_measurement="nominal", value_domain=[0, 1]
                )
            except ValueError:
                continue
            mine = float(A.alpha_from_coincidences(A._coincidences_binary(o, j)))
            assert mine == pytest.approx(ref, abs=1e-12) or (np.isnan(mine) and np.isnan(ref))


def test_kappas_match_statsmodels_on_random_data():
    inter_rater = _inter_rater()
    rng = np.random.default_rng(3)
    for _ in range(200):
        data, K = _random_data(rng, 0.0)
        table, _ = inter_rater.aggregate_raters(data, n_cat=K)
        ref = inter_rater.fleiss_kappa(table)
        assert A.fleiss_kappa(table) == pytest.approx(ref, abs=1e-12) or np.isnan(ref)
        cm = np.zeros((K, K))
        np.add.at(cm, (data[:, 0], data[:, 1]), 1)
        ref = inter_rater.cohens_kappa(cm, return_results=False)
        assert float(A.cohen_kappa_from_confusion(cm)) == pytest.approx(ref, abs=1e-12)


# --------------------------------------------------------------- unit matching
def _items(annotator: str, spans: list[tuple[int, int, str]], unit: Unit) -> tuple[Item, ...]:
    return tuple(
        Item(f"{annotator}-{k}", label, "h", "t", "e", s, e, unit, k)
        for k, (s, e, label) in enumerate(spans)
    )


def test_matching_joins_largest_overlap_first_and_never_two_items_of_one_annotator():
    unit = Unit(0, 0, 100, "x" * 100, "sentence")
    ratings = A.Ratings(
        "a",
        (unit,),
        {
            # one long item of annotator x covers two items of y: the larger overlap wins,
            # the other item of y is a unit that x has no value for
            "x": _items("x", [(0, 60, "fact")], unit),
            "y": _items("y", [(0, 20, "fact"), (25, 60, "support")], unit),
        },
    )
    units = A.match(ratings)
    assert [(sorted(m.items), m.start, m.end) for m in units] == [
        (["y"], 0, 20),
        (["x", "y"], 0, 60),
    ]
    assert units[1].value("x") == "fact" and units[1].value("y") == "support"
    assert units[0].value("x") is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 2),  # sentence
            st.integers(0, 40),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_matching_partitions_items_into_units_of_overlapping_items(spec):
    units = [Unit(i, 100 * i, 100 * i + 80, "x" * 80, "sentence") for i in range(3)]
    raters: dict[str, list[Item]] = {}
    for k, (who, sentence, start, length) in enumerate(spec):
        s = units[sentence].start + start
        raters.setdefault(who, []).append(
            Item(f"{who}{k}", "fact", "", "t", "e", s, s + length, units[sentence], k)
        )
    made = A.match(A.Ratings("a", tuple(units), {k: tuple(v) for k, v in raters.items()}))
    seen = [item.id for m in made for item in m.items.values()]
    assert sorted(seen) == sorted(i.id for v in raters.values() for i in v)  # each item once
    for m in made:
        items = list(m.items.values())
        assert len({i.unit.index for i in items}) == 1
        assert all(A._overlap(x, y) > 0 for x in items for y in items if x is not y)


def test_fixture_units_show_the_four_known_disagreements(rated: Path):
    (ratings,) = A.load(rated)
    assert sorted(ratings.raters) == ["annotator1", "annotator2"]  # the gold is no rater
    units = A.match(ratings)
    assert len(units) == 22
    by_sentence: dict[int, list] = {}
    for m in units:
        by_sentence.setdefault(m.sentence, []).append(m)
    # 1. label: gold fact, second support
    (u1,) = by_sentence[1]
    assert (u1.value("annotator1"), u1.value("annotator2")) == ("fact", "support")
    # 2. an extra fact of annotator2 in unit 2: missing for annotator1
    extra = [m for m in by_sentence[2] if "annotator1" not in m.items]
    assert [m.items["annotator2"].evidence for m in extra] == ["cuts three suburban bus routes"]
    # 3. a longer span of the same statement: one unit, same label
    (praised,) = [m for m in by_sentence[3] if "praised" in m.items["annotator1"].evidence]
    assert praised.items["annotator2"].evidence == "Mayor Clara Voss praised the plan"
    # 4. annotator2 made no item for the quotation of unit 12
    (lone,) = [m for m in by_sentence[12] if "annotator2" not in m.items]
    assert lone.items["annotator1"].evidence == "“a vanity scheme the city cannot afford.”"


# ----------------------------------------------------------------- measure
def test_measure_on_the_fixture_matches_the_references(rated: Path):
    krippendorff = _krippendorff()
    inter_rater = _inter_rater()
    result = A.measure(A.load(rated), n_boot=500)
    (scope,) = result.articles
    units = A.match(A.load(rated)[0])
    data = A.codes(units, scope.annotators)
    ref = krippendorff.alpha(
        reliability_data=np.where(data < 0, np.nan, data).T.astype(float),
        level_of_measurement="nominal",
        value_domain=list(range(C)),
    )
    assert scope.get("alpha").interval.estimate == pytest.approx(ref)
    both = (data >= 0).all(axis=1)
    cm = np.zeros((C, C))
    np.add.at(cm, (data[both, 0], data[both, 1]), 1)
    kappa = scope.get("cohen_kappa", raters=scope.annotators)
    assert kappa.interval.estimate == pytest.approx(
        inter_rater.cohens_kappa(cm, return_results=False)
    )
    table, _ = inter_rater.aggregate_raters(data[both], n_cat=C)
    fleiss = scope.get("fleiss_kappa")
    assert fleiss.interval.estimate == pytest.approx(inter_rater.fleiss_kappa(table))
    assert (scope.n_units, scope.n_pairable, scope.only) == (
        22,
        20,
        {"annotator1": 1, "annotator2": 1},
    )
    assert scope.observed == pytest.approx(19 / 20)  # one of 20 pairable units disagrees


def test_intervals_are_seeded_contain_the_estimate_and_flag_few_groups(rated: Path):
    one = A.measure(A.load(rated), n_boot=400, random_state=5)
    two = A.measure(A.load(rated), n_boot=400, random_state=5)
    assert one == two
    (scope,) = one.articles
    alpha = scope.get("alpha").interval
    assert alpha.low <= alpha.estimate <= alpha.high and alpha.low < alpha.high
    assert alpha.n_clusters == 17 and alpha.few_clusters  # 17 groups < A.MIN_GROUPS
    other = A.measure(A.load(rated), n_boot=400, random_state=6).articles[0].get("alpha")
    assert other.interval.low != alpha.low  # the seed is used


def test_no_disagreement_gets_the_exact_bound_not_a_degenerate_interval(rated: Path):
    (scope,) = A.measure(A.load(rated), n_boot=200).articles
    condemn = scope.get("alpha", "condemn")  # both annotators agree on every condemn
    assert condemn.interval.estimate == 1.0 and condemn.interval.method == A.ZERO_BOUND
    low = condemn.interval.low
    assert -1 <= low < 1 and condemn.interval.high == 1.0
    # 17 groups without a disagreement: a group's chance of one is at most 1 - .025**(1/17)
    u = 1 - 0.025 ** (1 / 17)
    units = A.match(A.load(rated)[0])
    data = A.codes(units, scope.annotators)
    binary = (data[(data >= 0).all(axis=1)] == A.CATEGORIES.index("condemn")).astype(int)
    p = binary.mean()
    n = binary.size
    expected = (n * n - (p * n) ** 2 - ((1 - p) * n) ** 2) / (n * (n - 1))
    assert low == pytest.approx(max(-1, 1 - u / expected))


def test_fleiss_is_computed_on_the_units_every_annotator_rated():
    inter_rater = _inter_rater()
    rng = np.random.default_rng(0)
    units = [Unit(i, 10 * i, 10 * i + 5, "xxxxx", "sentence") for i in range(30)]
    raters: dict[str, list[Item]] = {"a": [], "b": [], "c": []}
    for u in units:
        for name in raters:
            if rng.random() < 0.15:
                continue  # a missing value
            label = A.LABELS[int(rng.integers(0, 4))]
            raters[name].append(
                Item(f"{name}{u.index}", label, "h", "t", "e", u.start, u.end, u, 1)
            )
    ratings = A.Ratings("z", tuple(units), {k: tuple(v) for k, v in raters.items()})
    (scope,) = A.measure([ratings], n_boot=100).articles
    data = A.codes(A.match(ratings), scope.annotators)
    complete = data[(data >= 0).all(axis=1)]
    table, _ = inter_rater.aggregate_raters(complete, n_cat=C)
    fleiss = scope.get("fleiss_kappa")
    assert fleiss.n_units == len(complete) < len(units)
    assert fleiss.interval.estimate == pytest.approx(inter_rater.fleiss_kappa(table))
    assert (
        len([e for e in scope.estimates if e.statistic == "cohen_kappa" and e.label is None]) == 3
    )


# ------------------------------------------------------------------ the CLI
def test_cli_prints_agreement_in_each_format(rated: Path, capsys):
    assert main(["agreement", str(rated), "--n-boot", "200"]) == 0
    text = capsys.readouterr().out
    assert "Krippendorff's alpha" in text and "annotator2 only 1" in text
    assert main(["agreement", str(rated), "--n-boot", "200", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    alpha = doc["articles"][0]["estimates"][0]
    assert alpha["statistic"] == "alpha" and alpha["value"] == pytest.approx(
        A.measure(A.load(rated), n_boot=200).articles[0].get("alpha").interval.estimate
    )
    assert main(["agreement", str(rated), "--n-boot", "200", "--format", "markdown"]) == 0
    assert "| Krippendorff's alpha |" in capsys.readouterr().out


def test_cli_without_two_annotators_is_one_line_exit_2(tmp_path: Path, capsys):
    seeds = tmp_path / "s"
    seeds.mkdir()
    shutil.copy(ARTICLES / f"{ARTICLE}.txt", seeds)
    shutil.copy(DATA / f"{ARTICLE}.annotations.annotator1.jsonl", seeds)
    assert main(["agreement", str(seeds)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stance-bench: error: no article has two annotators' files")
    assert len(err.strip().splitlines()) == 1


def test_a_bad_rater_file_is_reported_with_its_line(rated: Path, capsys):
    path = rated / f"{ARTICLE}.annotations.annotator2.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("cuts three suburban bus routes", "cuts four suburban bus routes")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["agreement", str(rated)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: evidence of 'tram-004' not found verbatim" in err


# ------------------------------------------------------ card and human row
def test_the_card_reports_the_agreement_it_computes(rated: Path, tmp_path: Path):
    from bench.corpus import derive

    derived = derive.derive(rated)
    assert derived.agreement is not None
    card = derive.render_card(derived)
    alpha = derived.agreement.articles[0].get("alpha").interval
    assert "## Annotator agreement" in card and "`stance-bench agreement seeds/`" in card
    assert f"| Krippendorff's alpha | all | (all labels) | {alpha.estimate:.3f} |" in card
    # the card is byte-stable: the bootstrap is seeded
    assert derive.render_card(derive.derive(rated)) == card


def test_the_seed_card_reports_the_two_seed_annotations():
    from bench.corpus import derive

    derived = derive.derive(Path(__file__).resolve().parents[1] / "seeds")
    assert derived.agreement is not None
    (scope,) = derived.agreement.articles
    assert scope.annotators == ("annotator1", "annotator2")
    assert derived.records and len(derived.records) == 25  # the gold is what derive reads


def test_human_reference_is_macro_f1_against_the_gold(rated: Path):
    from sklearn.metrics import f1_score

    (joint,) = [h for h in A.human_reference(rated, ["joint"]) if h.annotator == "annotator2"]
    gold = [json.loads(x) for x in (rated / f"{ARTICLE}.annotations.jsonl").open()]
    gold = [g for g in gold if "label" in g]
    own = {
        r["evidence"]: r["label"]
        for r in map(json.loads, (rated / f"{ARTICLE}.annotations.annotator2.jsonl").open())
        if "label" in r
    }
    own["praised the plan"] = own["Mayor Clara Voss praised the plan"]  # the matched span
    pred = [own.get(g["evidence"], "(none)") for g in gold]
    labels = list(A.LABELS)
    expected = f1_score([g["label"] for g in gold], pred, labels=labels, average="macro")
    assert joint.interval.estimate == pytest.approx(expected)
    assert (joint.n_gold, joint.n_labelled) == (20, 19)  # the vanity-scheme quote is missed
    (fact,) = [h for h in A.human_reference(rated, ["fact"]) if h.annotator == "annotator2"]
    assert fact.n_gold == 20 and fact.interval.estimate < 1


def test_leaderboard_shows_human_rows_on_the_tables_of_the_gold_items(rated, tmp_path, capsys):
    from tests.runs import noisy, write_run

    gold = [json.loads(x) for x in (rated / f"{ARTICLE}.annotations.jsonl").open()]
    ids = [g["id"] for g in gold if "label" in g]
    labels = np.array([A.LABELS.index(g["label"]) for g in gold if "label" in g])
    runs = tmp_path / "runs"
    write_run(runs, "m1", labels, noisy(labels, 0.7, 1), ids=ids)
    write_run(runs, "m2", labels, noisy(labels, 0.6, 2), ids=ids)
    assert main(["leaderboard", str(runs), "--human", str(rated)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "human: annotator2 vs gold" in line]
    assert len(rows) == 1 and rows[0].split()[1] == "-"  # no tier
    other = tmp_path / "other"
    write_run(other, "m3", labels, labels)  # other items: no human row, and a warning
    assert main(["leaderboard", str(other), "--human", str(rated)]) == 0
    captured = capsys.readouterr()
    assert "human:" not in captured.out and "no human row" in captured.err


def test_the_walkthrough_quotes_what_the_command_prints(capsys):
    """docs/annotation.md quotes `stance-bench agreement seeds/`: every quoted line is in
    its output (the figures there come from the command)."""
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "annotation.md").read_text(encoding="utf-8")
    block = doc.split("`stance-bench agreement seeds/` prints:\n\n", 1)[1].split("\n\n", 1)[0]
    quoted = [line[4:] for line in block.splitlines()]
    assert len(quoted) == 7
    assert main(["agreement", str(root / "seeds")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert all(line in printed for line in quoted)
