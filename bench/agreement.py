"""How much annotators agree: units matched by evidence span, Krippendorff's alpha, Cohen's
and Fleiss' kappa, overall, per label and per article, with cluster-bootstrap intervals;
and the "human" reference (one annotator scored against the adjudicated gold).

**Units.** Each annotator's file (``NAME.annotations.ANNOTATOR.jsonl``, see
``bench.corpus.articles``) is a list of items, each with an evidence span inside one
sentence. Items of different annotators are one unit when they lie in the same sentence
and their spans overlap. Within a sentence, pairs are joined largest overlap first; a unit
never holds two items of one annotator, and all its items overlap each other. An item that
one annotator made and another did not is a missing value for the other. An annotator's
value for a unit is the item's label, or ``exclude`` for an exclusion (a unit said to
carry no item): the categories are ``CATEGORIES``.

**Statistics** (nominal):

- Krippendorff's alpha, 1 - D_o / D_e from the coincidence matrix (Krippendorff 2011,
  "Computing Krippendorff's alpha-reliability"): every annotator, missing values allowed;
  a unit with fewer than two values is not pairable and does not count;
- Cohen's kappa of each pair of annotators on the units both rated (the kappa of
  ``bench.metrics.scores``: one confusion core);
- Fleiss' kappa on the units that every annotator rated (with two annotators it is
  Scott's pi on their common units).

Per label, each statistic is computed on that label against the rest (the other
categories merged), from the same counts.

**Intervals.** Every unit of a sentence moves together: ``bench.stats.cluster_bootstrap``
resamples sentence groups and recomputes every statistic from additive per-group counts
(coincidences, pair confusions, Fleiss' category counts). The method is ``METHOD``, chosen
by the coverage that ``perf/agreement_sim.py`` measured (numbers at ``METHOD``). When the
units hold no disagreement at all, every resample agrees too and a bootstrap interval is
[1, 1]; its lower end is then the exact binomial bound ``zero_disagreement_bound``.

**What the numbers cannot see.** Alpha and the kappas compare values of units that two
annotators both made: how many units only one annotator made is reported as counts (the
unitizing disagreement), not measured by any coefficient. Spans, holders and targets are
compared only as raw shares of pairs of items that have the same (``SAME``; open text, so
no chance correction); adjudication shows every difference side by side.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path

import numpy as np

from bench import stats
from bench.corpus.annotations import Item, read_annotations
from bench.corpus.articles import gold_path, rated_articles, read_article
from bench.corpus.segment import Unit, segment
from bench.errors import DataError
from bench.labels import LABELS, TASKS

EXCLUDE = "exclude"
CATEGORIES: tuple[str, ...] = (*LABELS, EXCLUDE)
STATISTICS = ("alpha", "cohen_kappa", "fleiss_kappa", "same_span", "same_holder", "same_target")
# what the raw shares compare: items' offsets, holders and targets (case and spaces aside)
SAME = {"same_span": "span", "same_holder": "holder", "same_target": "target"}
# Coverage of nominal 95% intervals in perf/agreement_sim.py (500 runs per cell, MC s.e.
# about .01; 19 / 30 / 50 / 100 sentence groups of 1.5 units, two annotators):
#   alpha, moderate agreement (.655): percentile .916 .940 .954 .938, BCa .952 .966 .966 .942,
#     expanded .936 .952 .966 .938 (Cohen's and Fleiss' kappa within .02 of these);
#   alpha, high agreement (.900): BCa .990 .990 .986 .972 (conservative: up to 91 of 500 runs
#     had no disagreement and got the zero-disagreement bound);
#   per-label alpha (condemn, prevalence .15): BCa .939 .974 .990 .962 and .992 .994 .988 .982.
# -> BCa, as for one run's metric. No size checked fell below .93, so only intervals from
# fewer groups than the smallest size checked (MIN_GROUPS) are flagged ``few_clusters``.
METHOD = "bca"
MIN_GROUPS = 19
N_BOOT = 2000
ZERO_BOUND = "zero-disagreement bound"  # an interval's method when nothing disagreed
DE = "\x00expected"  # key suffix: a coefficient's expected disagreement
GOLD = "\x00gold"  # the gold's key among the raters of the human reference (not a name)


# ----------------------------------------------------------------------------- units
@dataclass(frozen=True)
class Ratings:
    """One article as the annotators annotated it: its units and each one's items."""

    article: str
    units: tuple[Unit, ...] = field(repr=False)
    raters: Mapping[str, tuple[Item, ...]] = field(repr=False)


@dataclass(frozen=True)
class Match:
    """One unit of agreement: the items of the annotators who made it, by annotator."""

    article: str
    sentence: int  # the index of the sentence (segment.Unit.index)
    items: Mapping[str, Item]

    @property
    def group(self) -> str:
        """The sentence group, as ``derive`` names it."""
        return f"{self.article}#{self.sentence:03d}"

    @property
    def start(self) -> int:
        return min(i.start for i in self.items.values())

    @property
    def end(self) -> int:
        return max(i.end for i in self.items.values())

    def value(self, annotator: str) -> str | None:
        """The annotator's category for this unit, None when they made no item here."""
        item = self.items.get(annotator)
        if item is None:
            return None
        return EXCLUDE if item.exclude is not None else item.label


def _overlap(a: Item, b: Item) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def match(ratings: Ratings) -> list[Match]:
    """The units of one article (see the module docstring), in text order."""
    by_sentence: dict[int, list[tuple[str, Item]]] = {}
    for name in sorted(ratings.raters):
        for item in ratings.raters[name]:
            by_sentence.setdefault(item.unit.index, []).append((name, item))
    out: list[Match] = []
    for sentence in sorted(by_sentence):
        entries = by_sentence[sentence]
        pairs = []
        for i, (a, x) in enumerate(entries):
            for j in range(i + 1, len(entries)):
                b, y = entries[j]
                if a != b and _overlap(x, y) > 0:
                    pairs.append((-_overlap(x, y), x.start, y.start, i, j))
        cluster = list(range(len(entries)))
        members: dict[int, list[int]] = {i: [i] for i in range(len(entries))}
        for *_, i, j in sorted(pairs):
            ci, cj = cluster[i], cluster[j]
            if ci == cj:
                continue
            left, right = members[ci], members[cj]
            if {entries[k][0] for k in left} & {entries[k][0] for k in right}:
                continue
            if any(_overlap(entries[p][1], entries[q][1]) <= 0 for p in left for q in right):
                continue
            members[ci] = left + right
            for k in right:
                cluster[k] = ci
            del members[cj]
        for ids in members.values():
            out.append(
                Match(ratings.article, sentence, {entries[k][0]: entries[k][1] for k in ids})
            )
    out.sort(key=lambda m: (m.sentence, m.start, m.end, sorted(m.items)))
    return out


# ------------------------------------------------------------------- the statistics
def codes(matches: Sequence[Match], annotators: Sequence[str]) -> np.ndarray:
    """The reliability data: (units, annotators) category indices into ``CATEGORIES``,
    -1 where an annotator made no item."""
    index = {c: i for i, c in enumerate(CATEGORIES)}
    out = np.full((len(matches), len(annotators)), -1, dtype=np.int64)
    for u, m in enumerate(matches):
        for r, name in enumerate(annotators):
            v = m.value(name)
            if v is not None:
                out[u, r] = index[v]
    return out


def value_counts(data: np.ndarray, n_categories: int) -> np.ndarray:
    """(units, categories): how many annotators gave each unit each category."""
    out = np.zeros((data.shape[0], n_categories))
    rows, cols = np.nonzero(data >= 0)
    np.add.at(out, (rows, data[rows, cols]), 1)
    return out


def coincidences(counts: np.ndarray) -> np.ndarray:
    """Per unit (units, C, C): the coincidences of its values, n_uc n_uk (minus n_uc on the
    diagonal) over m_u - 1; zero for a unit with fewer than two values."""
    m = counts.sum(axis=1)
    pairs = counts[:, :, None] * counts[:, None, :]
    idx = np.arange(counts.shape[1])
    pairs[:, idx, idx] -= counts
    scale = np.divide(1.0, m - 1, out=np.zeros_like(m), where=m >= 2)
    return pairs * scale[:, None, None]


def alpha_from_coincidences(o: np.ndarray) -> np.ndarray:
    """Nominal alpha from coincidence matrices (..., C, C); NaN when undefined (fewer than
    two pairable values, or every value in one category)."""
    o = np.asarray(o, dtype=np.float64)
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = n - np.trace(o, axis1=-2, axis2=-1)  # n D_o
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (n * n - (n_c**2).sum(axis=-1)) / (n - 1)  # n D_e
        return np.where((n > 1) & (expected > 0), 1 - observed / expected, np.nan)


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _same_counts(matches: Sequence[Match], annotators: Sequence[str]) -> np.ndarray:
    """Per unit: pairs of items (of two annotators) and, of them, those with the same
    span, the same holder and the same target: (units, 4)."""
    out = np.zeros((len(matches), 1 + len(SAME)))
    for u, m in enumerate(matches):
        items = [m.items[a] for a in annotators if a in m.items]
        for x, y in combinations(items, 2):
            out[u] += (
                1,
                (x.start, x.end) == (y.start, y.end),
                _fold(x.holder) == _fold(y.holder),
                _fold(x.target) == _fold(y.target),
            )
    return out


def _coincidences_binary(o: np.ndarray, j: int) -> np.ndarray:
    """The coincidences of category j against the rest (..., 2, 2), from (..., C, C)."""
    n_j = o[..., j, :].sum(axis=-1)
    o_jj = o[..., j, j]
    n = o.sum(axis=(-2, -1))
    rest = n_j - o_jj
    return np.stack(
        [np.stack([o_jj, rest], axis=-1), np.stack([rest, n - 2 * n_j + o_jj], axis=-1)],
        axis=-2,
    )


def _expected_alpha(o: np.ndarray) -> np.ndarray:
    """Alpha's expected disagreement D_e (a share of pairs of values)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (n * n - (n_c**2).sum(axis=-1)) / (n * (n - 1))


def _expected_kappa(cm: np.ndarray) -> np.ndarray:
    """Cohen's chance disagreement 1 - p_e."""
    n = cm.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - (cm.sum(axis=-1) * cm.sum(axis=-2)).sum(axis=-1) / (n * n)


def _expected_fleiss(s1: np.ndarray, n_units, m: int) -> np.ndarray:
    """Fleiss' chance disagreement 1 - P_e."""
    total = np.asarray(n_units, dtype=np.float64) * m
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - ((s1 / total[..., None]) ** 2).sum(axis=-1)


def zero_disagreement_bound(expected: float, n_groups: int, level: float) -> float:
    """The lower end of a coefficient 1 - D_o / D_e when no disagreement was seen, where a
    bootstrap interval collapses to [1, 1]: in ``n_groups`` independent sentence groups
    without a disagreement, the chance that a group holds one is at most
    u = 1 - ((1 - level) / 2) ** (1 / n_groups) (the exact binomial bound; the rule of
    three for level .95 is close to it), so D_o <= u and the coefficient >= 1 - u / D_e
    (at least -1).
    Coverage measured in perf/agreement_sim.py."""
    if n_groups == 0 or not expected > 0:
        return math.nan
    u = 1 - ((1 - level) / 2) ** (1 / n_groups)
    return float(max(-1.0, 1 - u / expected))  # no coefficient here goes below -1


def krippendorff_alpha(data: np.ndarray, n_categories: int | None = None) -> float:
    """Nominal alpha of reliability data (units, coders), category codes, -1 missing."""
    data = np.asarray(data, dtype=np.int64)
    C = int(data.max()) + 1 if n_categories is None else n_categories
    o = coincidences(value_counts(data, max(C, 1))).sum(axis=0)
    return float(alpha_from_coincidences(o))


def cohen_kappa_from_confusion(cm: np.ndarray) -> np.ndarray:
    """Cohen's kappa of confusion matrices (..., C, C) (rows one annotator, columns the
    other): ``bench.metrics.scores``' kappa, NaN for an empty matrix."""
    from bench.metrics import scores

    cm = np.asarray(cm, dtype=np.float64)
    kappa = scores(cm, [0])["kappa"]
    return np.where(cm.sum(axis=(-2, -1)) > 0, kappa, np.nan)


def _confusion_binary(cm: np.ndarray, j: int) -> np.ndarray:
    row, col = cm[..., j, :].sum(axis=-1), cm[..., :, j].sum(axis=-1)
    jj, n = cm[..., j, j], cm.sum(axis=(-2, -1))
    return np.stack(
        [np.stack([jj, row - jj], axis=-1), np.stack([col - jj, n - row - col + jj], axis=-1)],
        axis=-2,
    )


def fleiss_from_counts(s1: np.ndarray, s2: np.ndarray, n_units, m: int) -> np.ndarray:
    """Fleiss' kappa from sums over units of n_uj (..., C) and n_uj**2 (..., C) and the
    number of units (...), every unit rated by ``m`` annotators; NaN when undefined."""
    total = np.asarray(n_units, dtype=np.float64) * m
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s1 / total[..., None]
        p_bar = (s2.sum(axis=-1) - total) / (total * (m - 1))
        p_e = (p**2).sum(axis=-1)
        return np.where((total > 0) & (p_e < 1), (p_bar - p_e) / (1 - p_e), np.nan)


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of a (units, categories) table of rater counts, m raters per unit."""
    counts = np.asarray(counts, dtype=np.float64)
    m = int(counts.sum(axis=1)[0]) if len(counts) else 0
    if m < 2 or np.any(counts.sum(axis=1) != m):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings per unit")
    value = fleiss_from_counts(counts.sum(axis=0), (counts**2).sum(axis=0), len(counts), m)
    return float(value)


def _fleiss_binary_counts(s1: np.ndarray, s2: np.ndarray, n_units: np.ndarray, m: int, j: int):
    """Fleiss' sums for category j against the rest."""
    total = n_units * m
    b1 = np.stack([s1[..., j], total - s1[..., j]], axis=-1)
    b2 = np.stack([s2[..., j], n_units * m * m - 2 * m * s1[..., j] + s2[..., j]], axis=-1)
    return b1, b2


# ------------------------------------------------------------------------ the results
@dataclass(frozen=True)
class Estimate:
    """One coefficient with its interval."""

    statistic: str  # one of STATISTICS
    raters: tuple[str, ...]  # every annotator (alpha, Fleiss, same_*), or the pair (Cohen)
    label: str | None  # None: every category; else this label against the rest
    interval: stats.Interval
    n_units: int  # the units it is computed on (pairable, rated by both, rated by all)


@dataclass(frozen=True)
class Scope:
    """The agreement of one article, or of every article pooled."""

    name: str  # the article, or "all"
    annotators: tuple[str, ...]
    n_units: int
    n_groups: int
    rated: dict[str, int]  # units each annotator rated
    only: dict[str, int]  # units only this annotator rated
    n_pairable: int  # units with two values or more
    n_complete: int  # units every annotator rated
    observed: float  # share of agreeing pairs of values among the pairable units
    estimates: tuple[Estimate, ...]

    def get(self, statistic: str, label: str | None = None, raters=None) -> Estimate | None:
        for e in self.estimates:
            same = raters is None or tuple(raters) == e.raters
            if e.statistic == statistic and e.label == label and same:
                return e
        return None


@dataclass(frozen=True)
class Agreement:
    overall: Scope
    articles: tuple[Scope, ...]
    single: tuple[str, ...]  # articles with one annotator's file only: not compared
    n_boot: int
    level: float
    method: str
    random_state: int


def scope(
    name: str,
    matches: Sequence[Match],
    *,
    n_boot: int,
    level: float,
    method: str,
    random_state: int,
) -> Scope:
    """The agreement of these units (one article's, or several articles' pooled)."""
    annotators = tuple(sorted({a for m in matches for a in m.items}))
    R, C = len(annotators), len(CATEGORIES)
    data = codes(matches, annotators)
    counts = value_counts(data, C)
    rated_n = (data >= 0).sum(axis=1)
    groups, g = np.unique([m.group for m in matches], return_inverse=True)
    G = len(groups)

    def per_group(a: np.ndarray) -> np.ndarray:
        out = np.zeros((G, *a.shape[1:]))
        np.add.at(out, g, a)
        return out.reshape(G, -1)

    pairs = [(i, j) for i, j in combinations(range(R), 2)]
    both = [(data[:, i] >= 0) & (data[:, j] >= 0) for i, j in pairs]
    complete = rated_n == R
    parts = [per_group(coincidences(counts))]
    for (i, j), mask in zip(pairs, both, strict=True):
        cm = np.zeros((len(matches), C, C))
        rows = np.flatnonzero(mask)
        cm[rows, data[rows, i], data[rows, j]] = 1
        parts.append(per_group(cm))
    fleiss = R >= 2 and bool(complete.any())
    n_fleiss = len(parts)
    if fleiss:
        c = counts * complete[:, None]
        parts += [per_group(c), per_group(c**2), per_group(complete.astype(float)[:, None])]
    present = [j for j in range(C) if counts[:, j].sum() > 0]
    parts.append(per_group(_same_counts(matches, annotators)))
    n_same = len(parts) - 1

    def statistic(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Every coefficient, and beside it (key + DE) its expected disagreement."""
        o = sums[0].reshape(-1, C, C)
        out = {"alpha": alpha_from_coincidences(o), "alpha" + DE: _expected_alpha(o)}
        for j in present:
            two = _coincidences_binary(o, j)
            out[f"alpha|{CATEGORIES[j]}"] = alpha_from_coincidences(two)
            out[f"alpha|{CATEGORIES[j]}{DE}"] = _expected_alpha(two)
        for k, (i, j) in enumerate(pairs):
            cm = sums[1 + k].reshape(-1, C, C)
            key = f"cohen_kappa|{annotators[i]}|{annotators[j]}"
            out[key], out[key + DE] = cohen_kappa_from_confusion(cm), _expected_kappa(cm)
            for c in present:
                two = _confusion_binary(cm, c)
                out[f"{key}|{CATEGORIES[c]}"] = cohen_kappa_from_confusion(two)
                out[f"{key}|{CATEGORIES[c]}{DE}"] = _expected_kappa(two)
        if fleiss:
            s1, s2, n = sums[n_fleiss], sums[n_fleiss + 1], sums[n_fleiss + 2][:, 0]
            out["fleiss_kappa"] = fleiss_from_counts(s1, s2, n, R)
            out["fleiss_kappa" + DE] = _expected_fleiss(s1, n, R)
            for j in present:
                b1, b2 = _fleiss_binary_counts(s1, s2, n, R, j)
                out[f"fleiss_kappa|{CATEGORIES[j]}"] = fleiss_from_counts(b1, b2, n, R)
                out[f"fleiss_kappa|{CATEGORIES[j]}{DE}"] = _expected_fleiss(b1, n, R)
        same = sums[n_same]
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, name in enumerate(SAME):
                out[name] = np.where(same[:, 0] > 0, same[:, 1 + k] / same[:, 0], np.nan)
                out[name + DE] = np.ones(len(same))
        return out

    reps = stats.cluster_bootstrap(
        parts, statistic, n_boot=n_boot, rng=np.random.default_rng(random_state), method=method
    )
    pairable = rated_n >= 2

    def estimate(key: str, stat: str, raters: tuple[str, ...], label, mask) -> Estimate:
        r = reps[key]
        interval = replace(r.interval(level), few_clusters=G < MIN_GROUPS)
        if math.isfinite(r.estimate) and r.estimate >= 1 - stats.TIE_TOL:
            # no disagreement: every resample agrees too, the bootstrap says nothing
            n_groups = len(np.unique(g[mask]))
            interval = replace(
                interval,
                low=zero_disagreement_bound(reps[key + DE].estimate, n_groups, level),
                high=1.0,
                method=ZERO_BOUND,
                few_clusters=False,
            )
        return Estimate(stat, raters, label, interval, int(mask.sum()))

    out = [estimate("alpha", "alpha", annotators, None, pairable)]
    out += [
        estimate(f"alpha|{CATEGORIES[j]}", "alpha", annotators, CATEGORIES[j], pairable)
        for j in present
    ]
    for (i, j), mask in zip(pairs, both, strict=True):
        key = f"cohen_kappa|{annotators[i]}|{annotators[j]}"
        pair = (annotators[i], annotators[j])
        out.append(estimate(key, "cohen_kappa", pair, None, mask))
        out += [
            estimate(f"{key}|{CATEGORIES[c]}", "cohen_kappa", pair, CATEGORIES[c], mask)
            for c in present
        ]
    if fleiss:
        out.append(estimate("fleiss_kappa", "fleiss_kappa", annotators, None, complete))
        out += [
            estimate(
                f"fleiss_kappa|{CATEGORIES[j]}", "fleiss_kappa", annotators, CATEGORIES[j], complete
            )
            for j in present
        ]
    out += [estimate(name, name, annotators, None, pairable) for name in SAME]
    o = parts[0].sum(axis=0).reshape(C, C)
    total = float(o.sum())
    return Scope(
        name=name,
        annotators=annotators,
        n_units=len(matches),
        n_groups=G,
        rated={a: int((data[:, r] >= 0).sum()) for r, a in enumerate(annotators)},
        only={a: int(((data[:, r] >= 0) & (rated_n == 1)).sum()) for r, a in enumerate(annotators)},
        n_pairable=int(pairable.sum()),
        n_complete=int(complete.sum()),
        observed=float(np.trace(o) / total) if total else math.nan,
        estimates=tuple(out),
    )


def measure(
    articles: Sequence[Ratings],
    *,
    n_boot: int = N_BOOT,
    level: float = 0.95,
    method: str = METHOD,
    random_state: int = 0,
) -> Agreement:
    """The agreement of every article with two or more annotators, and of all pooled."""
    compared = [a for a in articles if len(a.raters) >= 2]
    if not compared:
        raise DataError(
            "no article has two annotators' files (NAME.annotations.ANNOTATOR.jsonl); "
            "import a second annotation with `stance-bench annotate import`"
        )
    per = {a.article: match(a) for a in compared}
    kw = dict(n_boot=n_boot, level=level, method=method, random_state=random_state)
    scopes = tuple(scope(name, ms, **kw) for name, ms in per.items())  # type: ignore[arg-type]
    pooled = [m for ms in per.values() for m in ms]
    return Agreement(
        overall=scope("all", pooled, **kw),  # type: ignore[arg-type]
        articles=scopes,
        single=tuple(a.article for a in articles if len(a.raters) < 2),
        n_boot=n_boot,
        level=level,
        method=method,
        random_state=random_state,
    )


# --------------------------------------------------------------------------- loading
def read_ratings(article: Path, files: Mapping[str, Path]) -> Ratings:
    """One article and its annotators' files, each validated like a gold file."""
    text = read_article(article)
    units = segment(text)
    raters = {name: tuple(read_annotations(path, text, units)) for name, path in files.items()}
    return Ratings(Path(article).stem, tuple(units), raters)


def load(seeds: Path, leave_out: Collection[str] = ()) -> list[Ratings]:
    """Every article of ``seeds`` that has annotators' files (but those in ``leave_out``)."""
    return [
        read_ratings(article, files)
        for article, files in rated_articles(seeds).items()
        if article.stem not in leave_out
    ]


# ------------------------------------------------------------------ human reference
@dataclass(frozen=True)
class HumanScore:
    """One annotator scored against the adjudicated gold, on the gold's items of a task.
    A gold item the annotator did not label with one of the task's labels (no item there,
    an exclusion, or a label the task drops) counts as an error."""

    annotator: str
    task: str
    metric: str
    interval: stats.Interval
    accuracy: float
    n_gold: int  # gold items of the task, in the articles the annotator annotated
    n_labelled: int  # of them, those the annotator gave one of the task's labels
    articles: tuple[str, ...]
    ids: tuple[str, ...]  # the gold items' ids: which data the score is on


def human_reference(
    seeds: Path,
    tasks: Iterable[str],
    metric: str = "macro_f1",
    *,
    n_boot: int = N_BOOT,
    level: float = 0.95,
    random_state: int = 0,
) -> list[HumanScore]:
    """For each annotator of an article that has gold, and each task: ``metric`` of their
    labels against the gold (one confusion core, ``bench.metrics.scores``; macro-F1 over
    the task's labels), with a BCa cluster-bootstrap interval over sentence groups."""
    from bench.metrics import confusions, scores

    rows: dict[str, list[tuple[str, str, str | None, str]]] = {}  # (group, gold, own, id)
    where: dict[str, list[str]] = {}
    for article, files in rated_articles(seeds).items():
        gold = gold_path(article)
        if not gold.is_file():
            continue
        r = read_ratings(article, {**files, GOLD: gold})
        for name in files:
            where.setdefault(name, []).append(r.article)
            pair = Ratings(r.article, r.units, {GOLD: r.raters[GOLD], name: r.raters[name]})
            for m in match(pair):
                g = m.items.get(GOLD)
                if g is None or g.exclude is not None:
                    continue
                rows.setdefault(name, []).append((m.group, str(g.label), m.value(name), g.id))
    out = []
    for name in sorted(rows):
        for task_name in tasks:
            task = TASKS[task_name]
            kept = [
                (grp, task.mapping[g], v, i) for grp, g, v, i in rows[name] if g in task.mapping
            ]
            if not kept:
                continue
            labels = list(task.labels)
            L = len(labels)
            none = L  # the column of "no label of the task"
            gold_idx = [labels.index(t) for _, t, _, _ in kept]
            own = [
                labels.index(task.mapping[v]) if v in task.mapping else none for _, _, v, _ in kept
            ]
            _, gi = np.unique(np.array([grp for grp, *_ in kept]), return_inverse=True)
            G = int(gi.max()) + 1
            counts = confusions(gold_idx, own, L + 1, gi, G).astype(np.float64)
            f_idx = [labels.index(lab) for lab in task.f_avg_labels]

            def score(cms: np.ndarray, metric: str = metric, L: int = L, f_idx=f_idx):
                s = scores(cms, f_idx)
                return s["f1"][..., :L].mean(axis=-1) if metric == "macro_f1" else s[metric]

            reps = stats.bootstrap_metric(
                counts, score, n_boot=n_boot, rng=np.random.default_rng(random_state)
            )
            total = counts.sum(axis=0)
            out.append(
                HumanScore(
                    annotator=name,
                    task=task_name,
                    metric=metric,
                    interval=reps.interval(level),
                    accuracy=float(np.trace(total) / total.sum()),
                    n_gold=len(kept),
                    n_labelled=sum(o != none for o in own),
                    articles=tuple(where[name]),
                    ids=tuple(sorted(i for *_, i in kept)),
                )
            )
    return out
