"""Compare sentence segmenters on the seed article and on tricky news sentences.

    python perf/segmenters.py

Prints, per segmenter, how many of the expected units it reproduces exactly. The
expected units are written out below by hand (they are the units the annotations in
seeds/ are aligned to). syntok is optional: `pip install syntok` to include it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "seeds" / "putin-xi-call-on-israel-iran.txt").read_text(encoding="utf-8")

TRICKY = {
    "Mr. Smith met Gen. Lee on Jan. 5 in Washington. They spoke for an hour.": [
        "Mr. Smith met Gen. Lee on Jan. 5 in Washington.",
        "They spoke for an hour.",
    ],
    "Dr. Jones said the U.S. economy grew 2.5% in Q3. Analysts disagreed.": [
        "Dr. Jones said the U.S. economy grew 2.5% in Q3.",
        "Analysts disagreed.",
    ],
    "“We will not back down,” the minister said. Markets fell.": [
        "“We will not back down,” the minister said.",
        "Markets fell.",
    ],
    "“Stop.” he said. “Now!” she replied.": ["“Stop.” he said.", "“Now!” she replied."],
}


def regex_split(line: str) -> list[str]:
    return [s for s in re.split(r"(?:(?<=[.!?])|(?<=[.!?][”\"]))\s+(?=[“\"A-Z])", line) if s]


def pysbd_split(line: str) -> list[str]:
    import pysbd

    return [s.strip() for s in pysbd.Segmenter(language="en", clean=False).segment(line)]


def syntok_split(line: str) -> list[str]:
    import syntok.segmenter as sg

    return ["".join(t.spacing + t.value for t in s).strip() for p in sg.process(line) for s in p]


def bench_split(line: str) -> list[str]:
    from bench.corpus.segment import segment

    return [u.text for u in segment(line)]


def main() -> None:
    import argparse

    from bench.corpus.segment import segment

    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the same (it takes seconds)")
    parser.parse_args()

    expected_article = [u.text for u in segment(ARTICLE)]
    lines = [ln for ln in ARTICLE.splitlines() if ln.strip()]
    splitters = {"regex": regex_split, "pysbd": pysbd_split, "bench (pysbd + repairs)": bench_split}
    try:
        import syntok  # noqa: F401

        splitters["syntok"] = syntok_split
    except ImportError:
        pass
    print(f"{'segmenter':26} {'article units':>14} {'tricky units':>13}")
    for name, split in splitters.items():
        got = [s for ln in lines for s in split(ln)]
        hit = len(set(got) & set(expected_article))
        t_hit = sum(len(set(split(k)) & set(v)) for k, v in TRICKY.items())
        t_all = sum(len(v) for v in TRICKY.values())
        print(
            f"{name:26} {hit:>6}/{len(expected_article):<7} {t_hit:>6}/{t_all:<6}"
            f" ({len(got)} units produced on the article)"
        )


if __name__ == "__main__":
    main()
