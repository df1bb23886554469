from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus.segment import is_headline, segment
from tests.conftest import ARTICLE, SEEDS

TEXT = (SEEDS / f"{ARTICLE}.txt").read_text(encoding="utf-8")


def _texts(text):
    return [u.text for u in segment(text)]


def test_offsets_point_at_the_unit_text():
    for unit in segment(TEXT):
        assert TEXT[unit.start : unit.end] == unit.text
        assert unit.text == unit.text.strip()


def test_seed_article_units():
    units = segment(TEXT)
    assert len(units) == 20
    headlines = [u.text for u in units if u.kind == "headline"]
    assert headlines == [
        "Russia and China Push for Political Resolution Amid Escalating Tensions",
        "Putin Positions Himself as a Mediator",
        "Western Leaders Skeptical of Putin’s Mediation Role",
        "The Path Ahead",
    ]


def test_abbreviation_does_not_split_us_president():
    texts = _texts(TEXT)
    assert any(t.startswith("U.S. President Donald Trump and French President") for t in texts)
    assert not any(t == "U.S." or t.endswith(" U.S.") for t in texts)


def test_quote_with_attribution_is_one_sentence_and_has_a_speaker():
    units = segment(TEXT)
    quoted = next(u for u in units if u.text.startswith("“Promoting a ceasefire"))
    assert quoted.text.endswith("Xi was quoted as saying.")
    assert quoted.speaker == "Xi"


def test_following_quote_keeps_its_speaker():
    units = segment(TEXT)
    nxt = next(u for u in units if u.text.startswith("“Parties to the conflict"))
    assert nxt.speaker == "Xi"


def test_multi_sentence_quote_stays_with_its_speaker():
    units = segment(TEXT)
    trump = next(u for u in units if "Do me a favour" in u.text)
    assert trump.text.startswith("Speaking to reporters, Trump commented")
    assert trump.text.endswith("worry about this later.”")
    assert trump.speaker == "Trump"


def test_general_news_abbreviations():
    text = (
        "Mr. Smith met Gen. Lee on Jan. 5 in Washington. They spoke for an hour.\n"
        "Dr. Jones said the U.S. economy grew 2.5% in Q3. Analysts disagreed.\n"
    )
    assert _texts(text) == [
        "Mr. Smith met Gen. Lee on Jan. 5 in Washington.",
        "They spoke for an hour.",
        "Dr. Jones said the U.S. economy grew 2.5% in Q3.",
        "Analysts disagreed.",
    ]


def test_said_attribution_after_quote_and_speaker_carry_over():
    text = "“We will not back down,” the minister said. “The talks are over.” Markets fell.\n"
    units = segment(text)
    assert [u.text for u in units] == [
        "“We will not back down,” the minister said.",
        "“The talks are over.”",
        "Markets fell.",
    ]
    assert units[2].speaker is None


def test_named_speaker_propagates_to_next_quoted_sentence():
    text = "“Peace is possible,” Guterres said. “Both sides must talk.”\n"
    units = segment(text)
    assert [u.speaker for u in units] == ["Guterres", "Guterres"]


def test_headline_detection():
    assert is_headline("The Path Ahead")
    assert is_headline("Xi: “Ceasefire First”")
    assert not is_headline("Markets fell.")
    assert not is_headline("“It is over.”")


def test_crlf_offsets():
    text = "Headline Here\r\nFirst sentence. Second one.\r\n"
    for unit in segment(text):
        assert text[unit.start : unit.end] == unit.text
    assert [u.kind for u in segment(text)] == ["headline", "sentence", "sentence"]


_words = st.lists(
    st.sampled_from(
        [
            "Putin",
            "said",
            "the",
            "U.S.",
            "talks",
            "Mr.",
            "ceasefire",
            "“peace",
            "now,”",
            "war",
            "Xi",
            "—",
            "okay?",
        ]
    ),
    min_size=1,
    max_size=12,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_words, st.sampled_from([".", "", "!", "?"])), min_size=1, max_size=6))
def test_offsets_hold_for_any_text(lines):
    text = "\n".join(w + p for w, p in lines) + "\n"
    units = segment(text)
    for unit in units:
        assert text[unit.start : unit.end] == unit.text
    covered = "".join(text[u.start : u.end] for u in units)
    assert covered.replace(" ", "") == text.replace(" ", "").replace("\n", "")
