"""Seeded synthetic stance data: short news-like sentences with targets and four labels.

    python perf/synth.py N OUT.parquet [--seed S]
    python perf/synth.py --quick            (1000 rows to synth.parquet)

Each sentence is built from a holder, a label-specific verb phrase, a target and filler,
with 15% of the verb phrases swapped to another label's so the task is not trivial.
Vectorized (numpy + pandas string ops): 300k rows take about a second.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

LABELS = np.array(["support", "condemn", "skeptical", "fact"])
HOLDERS = np.array(
    [
        "The president",
        "Officials",
        "The minister",
        "Critics",
        "Analysts",
        "Lawmakers",
        "The spokesperson",
        "Diplomats",
        "Protesters",
        "The council",
    ]
)
TARGETS = np.array(
    [
        "the ceasefire",
        "the sanctions",
        "the peace plan",
        "the new tax",
        "the trade deal",
        "the mediation offer",
        "the air strikes",
        "the election",
        "the climate bill",
        "the border wall",
        "the vaccine mandate",
        "the merger",
    ]
)
PHRASES = {
    "support": ["called for", "welcomed", "strongly backed", "praised", "urged support for"],
    "condemn": ["condemned", "denounced", "sharply criticized", "rejected", "blamed"],
    "skeptical": [
        "cast doubt on",
        "questioned",
        "were skeptical of",
        "doubted",
        "remained unconvinced by",
    ],
    "fact": [
        "met to discuss",
        "issued a statement on",
        "reported on",
        "held talks about",
        "announced a vote on",
    ],
}
FILLER = np.array(
    [
        "on Monday.",
        "on Thursday.",
        "after the meeting.",
        "in a statement.",
        "late on Friday.",
        "during the visit.",
        "at the summit.",
        "this week.",
    ]
)


def make(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label_idx = rng.choice(4, size=n, p=[0.3, 0.2, 0.15, 0.35])
    phrase_label = np.where(rng.random(n) < 0.15, rng.integers(0, 4, n), label_idx)
    phrase = np.empty(n, dtype=object)
    for i, lab in enumerate(LABELS):
        rows = phrase_label == i
        phrase[rows] = rng.choice(PHRASES[lab], size=int(rows.sum()))
    holder = rng.choice(HOLDERS, n)
    target = rng.choice(TARGETS, n)
    text = (
        pd.Series(holder)
        + " "
        + pd.Series(phrase)
        + " "
        + pd.Series(target)
        + " "
        + pd.Series(rng.choice(FILLER, n))
    )
    ids = pd.Series(np.arange(n)).map("s{:07d}".format)
    return pd.DataFrame(
        {
            "id": ids,
            "text": text,
            "target": pd.Series(target).str.removeprefix("the "),
            "label": LABELS[label_idx],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("out", nargs="?", default="synth.parquet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1000 rows (the default N)")
    args = parser.parse_args()
    if args.quick:
        args.n = 1000
    make(args.n, args.seed).to_parquet(args.out, index=False)


if __name__ == "__main__":
    main()
