"""Seeded synthetic stance data: short news-like sentences with targets and four labels,
and tweets shaped like SemEval-2016 Task 6A.

    python perf/synth.py N OUT.parquet [--seed S]
    python perf/synth.py --quick            (1000 rows to synth.parquet)
    python perf/synth.py --semeval FOLDER   (the three Task 6A files, synthetic)

Each sentence is built from a holder, a label-specific verb phrase, a target and filler,
with 15% of the verb phrases swapped to another label's so the task is not trivial.
Vectorized (numpy + pandas string ops): 300k rows take about a second.

``semeval`` writes tweets in the layout of SemEval-2016 Task 6A's files (tab-separated,
cp1252, unquoted; ID, Target, Tweet, Stance, Opinion Towards, Sentiment), with the task's
shape: its five targets, 2,914 training + trial and 1,249 test tweets, and each target's
FAVOR / AGAINST / NONE counts of the task paper. A tweet is 8-20 words (about 110
characters) drawn from a Zipf-distributed vocabulary of pseudo-words, a few of them the
target's and the stance's (the stance words of another label in 35% of the tweets),
@mentions, hashtags and the task's #SemST tag. The real data's terms forbid
redistribution; this is for timing.
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


# SemEval-2016 Task 6A per target: (train + trial) and test counts of FAVOR, AGAINST, NONE.
SEMEVAL = {
    "Atheism": ((92, 304, 117), (32, 160, 28)),
    "Climate Change is a Real Concern": ((212, 15, 168), (123, 11, 35)),
    "Feminist Movement": ((210, 328, 126), (58, 183, 44)),
    "Hillary Clinton": ((118, 393, 178), (45, 172, 78)),
    "Legalization of Abortion": ((121, 355, 177), (46, 189, 45)),
}
STANCES = ("FAVOR", "AGAINST", "NONE")
SEMEVAL_FILES = (
    "trainingdata-all-annotations.txt",
    "trialdata-all-annotations.txt",
    "testdata-taskA-all-annotations.txt",
)


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct pronounceable pseudo-words of 1-3 syllables."""
    onset = list("bcdfghjklmnprstvwz") + ["ch", "sh", "th", "br", "st", "tr", "pl"]
    vowel = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
    out: dict[str, None] = {}
    while len(out) < n:
        k = int(rng.choice([1, 2, 3], p=[0.3, 0.5, 0.2]))
        word = "".join(rng.choice(onset) + rng.choice(vowel) for _ in range(k))
        out[word + (rng.choice(["", "n", "s", "t", "r"]))] = None
    return np.array(list(out))


def semeval(seed: int = 2016) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic (train + trial, test) frames with SemEval-2016 Task 6A's columns."""
    rng = np.random.default_rng(seed)
    vocab = _words(rng, 9000)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    zipf /= zipf.sum()
    mentions = np.array([f"@{w}{i % 97}" for i, w in enumerate(_words(rng, 400))])
    topic = {t: _words(rng, 30) for t in SEMEVAL}
    cue = {s: _words(rng, 25) for s in STANCES}
    frames = []
    for split in (0, 1):
        rows = []
        for target, counts in SEMEVAL.items():
            for stance, count in zip(STANCES, counts[split], strict=True):
                for _ in range(count):
                    said = stance if rng.random() > 0.35 else str(rng.choice(STANCES))
                    words = list(rng.choice(vocab, int(rng.integers(6, 15)), p=zipf))
                    words += list(rng.choice(topic[target], 2)) + list(rng.choice(cue[said], 2))
                    rng.shuffle(words)
                    if rng.random() < 0.4:
                        words.insert(0, str(rng.choice(mentions)))
                    if rng.random() < 0.6:
                        words.append("#" + str(rng.choice(topic[target])))
                    words.append("#SemST")
                    rows.append((target, " ".join(words), stance))
        frame = pd.DataFrame(rows, columns=["Target", "Tweet", "Stance"])
        frame = frame.sample(frac=1.0, random_state=seed + split).reset_index(drop=True)
        frame.insert(0, "ID", np.arange(len(frame)) + (10001 if split else 101))
        frame["Opinion Towards"] = "1.  The tweet explicitly expresses opinion about the target."
        frame["Sentiment"] = rng.choice(["pos", "neg", "other"], len(frame))
        frames.append(frame)
    return frames[0], frames[1]


def write_semeval(folder, seed: int = 2016) -> None:
    """The three files of SemEval-2016 Task 6A (train, trial: its last 100, test) in
    ``folder``, in the original layout."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train, test = semeval(seed)
    parts = (train.iloc[:-100], train.iloc[-100:], test)
    for name, part in zip(SEMEVAL_FILES, parts, strict=True):
        text = part.to_csv(sep="\t", index=False, lineterminator="\n")
        (folder / name).write_bytes(text.encode("cp1252"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("out", nargs="?", default="synth.parquet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1000 rows (the default N)")
    parser.add_argument("--semeval", metavar="FOLDER", help="write SemEval-2016 6A-shaped files")
    args = parser.parse_args()
    if args.semeval:
        write_semeval(args.semeval, args.seed or 2016)
        return
    if args.quick:
        args.n = 1000
    make(args.n, args.seed).to_parquet(args.out, index=False)


if __name__ == "__main__":
    main()
