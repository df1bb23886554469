"""Verdicts: compare two runs view by view and metric by metric, and gate on it. The
statistics themselves live in ``bench.stats``; the rank score in ``bench.ranking``.

Every matched pair of runs gives one row per view both have and per metric, plus one row
for the rank score (``bench.ranking``: what the leaderboard ranks on) per metric. All the
rows of one comparison are **one family**:

- rows whose runs were made on the same data and folds (paired) are decided together by
  ``stats.flip_family``: joint cluster sign flips of the sentence groups (units shared by
  every view and every config made on the same data), Westfall-Young step-down max-T.
  Rows whose two runs differ in no sentence group leave the family (Tarone); a row that
  cannot reach the family's critical value says so;
- rows whose runs cannot be paired (other data or folds) are decided by the unpaired
  cluster bootstrap, with rounds chosen from their number so that its p floor is below
  their Holm level, Holm-corrected among themselves;
- the family-wise level is split between the two by Bonferroni (alpha m_p / m for the
  paired rows, alpha m_u / m for the unpaired), so that the whole comparison keeps it.

A row's verdict (``Verdict``) is better / worse when significant; otherwise
*inconclusive* when its MDE is n/a or larger than the effect fixed in advance (the gate's
``max_drop``; without one, |delta|), else *no significant change*. The gate fails on a
significant regression, or on a rank-score drop larger than ``max_drop`` that is not
significant (such a drop is always inconclusive at the sizes this benchmark has: docs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from bench import stats
from bench.errors import RunError
from bench.metrics import Predictions, scores, width
from bench.ranking import component_counts, components, rank_metric, score_basis
from bench.runs import Run, load_run, match_runs
from bench.specs import FAIL_ON, METRICS, NAMED, TESTS


class Verdict(StrEnum):
    """What a row says about the candidate against the base."""

    BETTER = "better"
    WORSE = "worse"
    NO_CHANGE = "no significant change"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


METRIC_ROW = "metric"  # a view's metric
RANK_ROW = "rank score"  # the rank score of a config (what the leaderboard ranks on)


def verdict(
    improvement: float | None,
    significant: bool,
    mde: stats.MinimumDetectableEffect,
    *,
    tolerance: float | None,
) -> Verdict:
    """better / worse when significant; otherwise **inconclusive** when the MDE is n/a or
    larger than the effect that matters, else **no significant change** (a change of that
    size would have been flagged with probability ``mde.power``). The effect that matters
    is ``tolerance`` (the gate's --max-drop), fixed before the data are seen; without one,
    |delta|. (A non-significant row nearly always has MDE > |delta|, since |delta| is below
    the critical value and the MDE above it: post-hoc power is a function of p. So without
    --max-drop almost every non-significant row is inconclusive, which is the truth.)"""
    if improvement is None:
        return Verdict.INCONCLUSIVE
    if significant and improvement != 0:
        return Verdict.BETTER if improvement > 0 else Verdict.WORSE
    bar = abs(improvement) if tolerance is None else tolerance
    if mde.value is None or mde.value > bar:
        return Verdict.INCONCLUSIVE
    return Verdict.NO_CHANGE


@dataclass(frozen=True)
class Gate:
    """What is compared and what fails: the metrics (None: each run's primary), the
    deciding test, the family-wise level, the largest rank-score drop tolerated without
    evidence, what fails (``FAIL_ON``), and the resampling rounds (joint sign flips are
    ``n_boot - 1`` random flips plus the data; the unpaired bootstrap at least ``n_boot``)."""

    metrics: tuple[str, ...] | None = None
    test: str = "sign-flip"
    alpha: float = 0.05
    max_drop: float | None = None
    fail_on: str = "regression"
    n_boot: int = 2000
    unpaired: bool = False  # runs on different data may be compared (unpaired)

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise ValueError(f"unknown test {self.test!r}; choose from {', '.join(TESTS)}")
        if self.fail_on not in FAIL_ON:
            raise ValueError(f"unknown fail_on {self.fail_on!r}; choose from {', '.join(FAIL_ON)}")


@dataclass(frozen=True)
class TestResults:
    """Every test's p-value for one row (None where a test does not apply)."""

    bootstrap: float | None = None  # the paired (or unpaired) bootstrap, expanded percentile
    permutation: float | None = None  # the row's own cluster sign-flip p (exact or MC)
    mcnemar: float | None = None
    mcnemar_method: str | None = None  # exact | clustered-exact | clustered
    nadeau_bengio: float | None = None

    def get(self, name: str) -> float | None:
        if name == "sign-flip":
            name = "permutation"
        return getattr(self, name)


@dataclass(frozen=True)
class Row:
    config: str
    view: str  # for a rank-score row: the views that make it, "+"-joined
    metric: str
    kind: str  # METRIC_ROW | RANK_ROW
    pooled: bool | None  # a view with test types (contrast): True = pooled over them
    base: float | None
    candidate: float | None
    delta: float | None
    interval: stats.Interval  # delta -+ critical: excludes 0 exactly when significant
    p_value: float  # the row's own, unadjusted
    p_adjusted: float  # family-wise
    verdict: Verdict
    mde: stats.MinimumDetectableEffect
    paired: bool
    tests: TestResults
    regression: bool  # fails the gate under --fail-on regression
    dropped: bool  # fell by more than --max-drop
    n_discordant: int  # sentence groups (units) in which the two runs differ
    in_family: bool  # False: the runs do not differ (the row left the family)
    decider: str  # maxt-exact | maxt-monte-carlo | bootstrap-unpaired | holm-<test or sign-flip>
    level: float  # the per-row two-sided level fixed in advance (the MDE's)
    critical: float  # the |delta| needed to be significant; inf: it cannot be
    note: str  # why the row cannot be significant, or ""
    bootstrap_interval: stats.Interval | None  # the bootstrap's at 1 - alpha (details only)

    @property
    def estimable(self) -> bool:
        """Whether the interval is finite (the row could be significant at this level)."""
        return math.isfinite(self.critical) and self.delta is not None

    @property
    def label(self) -> str:
        """The row's view as printed: a rank-score row says so, a contrast row whether
        its value is pooled over test types or type-balanced."""
        if self.kind == RANK_ROW:
            return f"rank score ({self.view})"
        if self.pooled is None:
            return self.view
        return f"{self.view} ({'pooled' if self.pooled else 'type-balanced'})"


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    gate: Gate
    notes: list[str] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)  # runs missing from the candidate
    only_candidate: list[str] = field(default_factory=list)
    family_size: int = 0  # paired rows whose runs differ (decided together)
    n_unpaired: int = 0  # unpaired rows (bootstrap, Holm among themselves)
    n_units: int = 0  # sentence groups (units) that differ anywhere in the family
    n_flips: int = 0  # joint flips, enumerated (exact) or drawn
    exact: bool = True
    critical_t: float = math.inf  # the family's first-step max-T critical value
    method: str = "max-T"

    @property
    def inconclusive_drops(self) -> list[Row]:
        """Rank-score rows that fail without being significant: drops past --max-drop."""
        return [r for r in self.rows if r.regression and r.verdict is not Verdict.WORSE]

    @property
    def failed(self) -> bool:
        """Whether the gate fails: a regression, or under ``any-change`` any significant
        change or any run present on one side only."""
        if self.gate.fail_on == "never":
            return False
        if self.gate.fail_on == "any-change":
            return (
                any(r.verdict in (Verdict.BETTER, Verdict.WORSE) or r.regression for r in self.rows)
                or bool(self.only_base)
                or bool(self.only_candidate)
            )
        return any(r.regression for r in self.rows)

    def warnings(self) -> list[str]:
        out = [f"run {n} is in the base but not in the candidate" for n in self.only_base]
        out += [
            f"run {n} is new in the candidate (nothing to compare)" for n in self.only_candidate
        ]
        return out


# ------------------------------------------------------------------- rows before deciding
Score = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PairResult:
    """One run pair on one view (or the rank score) and metric, before deciding: the
    per-cluster counts of both runs and the statistic on them."""

    config: str
    view: str
    metric: str
    kind: str
    pooled: bool | None
    base: float | None
    candidate: float | None
    delta: float | None
    paired: bool
    tests: TestResults  # the tests that need no family (McNemar, Nadeau-Bengio)
    base_counts: np.ndarray = field(repr=False)  # (G, ...) per cluster
    cand_counts: np.ndarray = field(repr=False)  # same G when paired
    units: np.ndarray = field(repr=False)  # (G,) unit labels when paired
    score: Score = field(repr=False, compare=False)

    @property
    def n_discordant(self) -> int:
        if not self.paired:
            return -1
        G = self.base_counts.shape[0]
        diff = np.abs(self.cand_counts - self.base_counts).reshape(G, -1).sum(axis=1)
        return int(np.sum(diff > stats.TIE_TOL))


def _pairable(base: Run, cand: Run, vb: Predictions, vc: Predictions) -> str:
    """Why two views cannot be paired, or "" when they can."""
    if base.metrics["data_hash"] != cand.metrics["data_hash"]:
        return "the data differ (data hashes differ)"
    if base.metrics["folds_hash"] != cand.metrics["folds_hash"]:
        return "the folds differ (fold hashes differ)"
    if not np.array_equal(vb.keys(), vc.keys()):
        return "the predictions are not of the same examples"
    return ""


def check_pairing(base: Run, cand: Run, *, unpaired: bool = False) -> None:
    """Refuse a pair of runs no comparison can mean anything for: runs of different tasks
    (or label lists); and runs on different data unless ``unpaired`` (then each is
    resampled on its own, and the verdict says so)."""
    tb, tc = base.metrics["task"], cand.metrics["task"]
    if tb != tc or base.labels != cand.labels:
        what = "different tasks" if tb != tc else "the same task over different labels"
        raise RunError(
            f"{base.path} and {cand.path} are runs of {what} ({tb!r} with labels "
            f"{', '.join(base.labels)} vs {tc!r} with labels {', '.join(cand.labels)}); "
            "compare runs of the same task and labels"
        )
    if base.metrics["data_hash"] != cand.metrics["data_hash"] and not unpaired:
        raise RunError(
            f"{base.path} and {cand.path} were run on different data (their data hashes "
            "differ), so no example pairs with another; compare runs on the same data, or "
            "pass --unpaired to compare them unpaired (less power, said in the output)"
        )


def _finite(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def _unit_labels(run: Run, groups: np.ndarray) -> np.ndarray:
    """Units are sentence groups of one dataset: the same group of the same data (hash)
    is one unit for every view and every config compared."""
    return np.char.add(f"{run.metrics['data_hash']}\x1f", np.unique(groups).astype(str))


def distinct_repeats(pred: Predictions) -> set[int]:
    """The repeats of a view's predictions whose partition into test folds no earlier
    repeat has: each repeat's first copy. With as many folds as sentence groups (2 groups
    in 2 folds, say), every repeat draws the same partition again."""
    keep: set[int] = set()
    seen: set[frozenset] = set()
    for r in np.unique(pred.repeat).tolist():
        rows = pred.repeat == r
        ids, folds = pred.ids[rows].astype(str), pred.fold[rows]
        part = frozenset(frozenset(ids[folds == f].tolist()) for f in np.unique(folds).tolist())
        if part not in seen:
            seen.add(part)
            keep.add(int(r))
    return keep


def _nadeau_bengio(
    per_fold: tuple[list, list], metric: str, n_examples: int, repeats: set[int]
) -> float | None:
    """The corrected resampled t-test on folds matched by (repeat, fold), over the
    ``repeats`` that drew distinct partitions (``distinct_repeats``: a repeat of the same
    folds is no new evidence, and the test would count its folds again), or None."""
    cand = {(f["repeat"], f["fold"]): f for f in per_fold[1]}
    pairs = [(f, cand.get((f["repeat"], f["fold"]))) for f in per_fold[0] if f["repeat"] in repeats]
    if len({f["repeat"] for f, _ in pairs}) < 2:
        return None  # one repeat of k folds, one split, or repeats of the same folds
    if any(c is None or c["n_test"] != b["n_test"] for b, c in pairs):
        return None
    if any(b[metric] is None or c[metric] is None for b, c in pairs):  # type: ignore[index]
        return None
    n_test = float(np.mean([b["n_test"] for b, _ in pairs]))
    result = stats.nadeau_bengio(
        [b[metric] for b, _ in pairs],
        [c[metric] for _, c in pairs],  # type: ignore[index]
        n_train=n_examples - n_test,
        n_test=n_test,
    )
    return None if result is None else result.p_value


def _view_row(
    *,
    config: str,
    view: str,
    metric: str,
    base_run: Run,
    base: Predictions,
    cand: Predictions,
    pooled: bool | None,
    paired: bool,
    per_fold: tuple[list, list],
    n_examples: int,
    repeats: set[int],
) -> PairResult:
    """One view's row for ``metric``; ``repeats``: the repeats of distinct folds
    (``distinct_repeats``), the ones the Nadeau-Bengio test counts."""
    L = len(base_run.labels)
    f_idx = [base_run.labels.index(lab) for lab in base_run.metrics["f_avg_labels"]]
    W = width(L, base.pred, cand.pred)  # a no-answer column when either run abstains

    def score(cms: np.ndarray) -> np.ndarray:
        return np.asarray(scores(cms, f_idx)[metric], dtype=np.float64).reshape(-1)

    cb = stats.group_counts(base.groups, base.gold, base.pred, L, W)
    cc = stats.group_counts(cand.groups, cand.gold, cand.pred, L, W)
    vb, vc = (_finite(float(score(c.sum(axis=0)[None])[0])) for c in (cb, cc))
    delta = None if vb is None or vc is None else vc - vb
    mcnemar = method = None
    if paired and metric == "accuracy":
        first = base.repeat == base.repeat.min()
        test = stats.cluster_mcnemar(
            base.pred[first] == base.gold[first],
            cand.pred[first] == cand.gold[first],
            base.groups[first],
        )
        mcnemar, method = test.p_value, test.method
    tests = TestResults(
        mcnemar=mcnemar,
        mcnemar_method=method,
        nadeau_bengio=_nadeau_bengio(per_fold, metric, n_examples, repeats) if paired else None,
    )
    units = _unit_labels(base_run, base.groups) if paired else np.empty(0, dtype=str)
    return PairResult(
        config, view, metric, METRIC_ROW, pooled, vb, vc, delta, paired, tests, cb, cc, units, score
    )


def _rank_row(base: Run, cand: Run, config: str, metric: str, paired: bool) -> PairResult | None:
    """The rank score's row (``bench.ranking``: its components' counts per cluster), or
    None when the two runs' scores are not made of the same parts."""
    parts = components(base.views())
    if parts != components(cand.views()):
        return None
    pb, pc = base.predictions(), cand.predictions()
    used = list(dict.fromkeys(p.view for p in parts))
    w = width(len(base.labels), *(p[v].pred for p in (pb, pc) for v in used))
    f_idx = [base.labels.index(lab) for lab in base.metrics["f_avg_labels"]]
    score = rank_metric(parts, f_idx, metric)

    def clusters(run: Run, preds: dict[str, Predictions]) -> np.ndarray:
        return np.unique(np.concatenate([preds[v].groups for v in used]))

    if paired:
        gb = gc = np.union1d(clusters(base, pb), clusters(cand, pc))
    else:
        gb, gc = clusters(base, pb), clusters(cand, pc)
    cb, cc = component_counts(base, parts, gb, w), component_counts(cand, parts, gc, w)
    vb, vc = (_finite(float(score(c.sum(axis=0)[None])[0])) for c in (cb, cc))
    delta = None if vb is None or vc is None else vc - vb
    units = _unit_labels(base, gb) if paired else np.empty(0, dtype=str)
    return PairResult(
        config,
        score_basis(base.views()),
        metric,
        RANK_ROW,
        None,
        vb,
        vc,
        delta,
        paired,
        TestResults(),
        cb,
        cc,
        units,
        score,
    )


def compare_runs(
    base: Run, cand: Run, metrics: list[str], *, unpaired: bool = False
) -> tuple[list[PairResult], list[str]]:
    """Rows of one pair of runs before deciding (every shared view and metric, plus the
    rank score per comparable metric), and notes; ``unpaired`` allows runs on other data."""
    check_pairing(base, cand, unpaired=unpaired)
    pb, pc = base.predictions(), cand.predictions()
    docs_b, docs_c = base.views(), cand.views()
    name = cand.name if cand.name == base.name else f"{base.name} → {cand.name}"
    notes = []
    out = []
    parts = components(docs_b)
    single = len(parts) == 1 and parts[0].test_type is None  # the rank score is one view
    why_rank = []
    for view in [v for v in docs_b if v in docs_c]:
        same = docs_b[view].get("same_as")
        if same is not None and same == docs_c[view].get("same_as"):
            notes.append(
                f"{name} [{view}]: zero-shot in both runs, the same predictions as [{same}]; "
                "compared there only"
            )
            continue
        vb, vc = pb[view], pc[view]
        why = _pairable(base, cand, vb, vc)
        if why:
            notes.append(f"{name} [{view}]: unpaired comparison: {why}")
            why_rank.append(why)
        folds = (docs_b[view].get("per_fold", []), docs_c[view].get("per_fold", []))
        distinct = distinct_repeats(vb) if not why and folds[0] else set()
        pooled = True if docs_b[view].get("by_test_type") else None
        for metric in metrics:
            row = _view_row(
                config=name,
                view=view,
                metric=metric,
                base_run=base,
                base=vb,
                cand=vc,
                pooled=pooled,
                paired=not why,
                per_fold=folds,
                n_examples=int(docs_b[view].get("n_examples", 0)),
                repeats=distinct,
            )
            if single and view == parts[0].view and METRICS[metric].comparable:
                row = replace(row, kind=RANK_ROW)
            out.append(row)
    only_b = [v for v in docs_b if v not in docs_c]
    if only_b:
        notes.append(f"{name}: views only in the base: {', '.join(only_b)}")
    if not single:
        for metric in metrics:
            if not METRICS[metric].comparable:
                continue
            rank = _rank_row(base, cand, name, metric, paired=not why_rank)
            if rank is None:
                notes.append(f"{name}: the rank score is made of other views; not compared")
                break
            out.append(rank)
    return out, notes


DEFAULT_GATE = Gate()


def compare(
    base: Path, candidate: Path, gate: Gate = DEFAULT_GATE, *, random_state: int = 0
) -> Comparison:
    """Compare every matched pair of runs on the gate's metrics (default: each run's
    primary), as one family."""
    matched = match_runs(base, candidate)
    raw: list[PairResult] = []
    notes: list[str] = []
    for b_dir, c_dir in matched.pairs:
        b, c = load_run(b_dir), load_run(c_dir)
        names = list(gate.metrics or [b.metrics["primary"]])
        for name in names:
            if name not in NAMED:
                raise RunError(f"cannot compare metric {name!r}; choose from {', '.join(NAMED)}")
        rows, why = compare_runs(b, c, names, unpaired=gate.unpaired)
        notes += why
        raw += rows
    return decide(
        raw,
        gate,
        notes=notes,
        only_base=matched.only_base,
        only_candidate=matched.only_candidate,
        random_state=random_state,
    )


# --------------------------------------------------------------------------------- decide
def _bootstrap(r: PairResult, n_boot: int, rng: np.random.Generator) -> stats.Replicates:
    """The cluster bootstrap of a row's delta (paired: one draw for both runs), for the
    details and for the unpaired rows' decision."""
    Gb, Gc = r.base_counts.shape[0], r.cand_counts.shape[0]
    shape = r.base_counts.shape[1:]
    fb, fc = r.base_counts.reshape(Gb, -1), r.cand_counts.reshape(Gc, -1)
    if not r.paired:
        return stats.bootstrap_unpaired_delta(
            fb[:, None, :], fc[:, None, :], lambda c: r.score(c.reshape(-1, *shape)),
            n_boot=n_boot, rng=rng,
        )  # fmt: skip

    def statistic(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        b, c = (r.score(s.reshape(-1, *shape)) for s in sums)
        return {"delta": c - b}

    return stats.cluster_bootstrap(
        [fb, fc], statistic, n_boot=n_boot, rng=rng, method=stats.DEFAULT_DELTA_METHOD
    )["delta"]


@dataclass(frozen=True)
class _Decided:
    p_value: float
    p_adjusted: float
    significant: bool
    interval: stats.Interval
    mde: stats.MinimumDetectableEffect
    n_discordant: int
    in_family: bool
    decider: str
    level: float
    critical: float
    note: str


def _identical(r: PairResult, alpha: float, power: float = stats.POWER) -> _Decided:
    d = 0.0 if r.delta is None else r.delta
    iv = stats.Interval(d, d, d, 1 - alpha, "identical", r.base_counts.shape[0], False)
    why = "the runs do not differ in any sentence group"
    return _Decided(
        1.0, 1.0, False, iv, stats.MinimumDetectableEffect(None, alpha, power, why), 0, False,
        "identical", alpha, math.inf, why,
    )  # fmt: skip


def decide(
    raw: list[PairResult],
    gate: Gate,
    *,
    notes: list[str],
    only_base: list[str] | None = None,
    only_candidate: list[str] | None = None,
    random_state: int = 0,
) -> Comparison:
    """Verdicts for the rows of one comparison, as one family (the module docstring)."""
    notes = list(notes)
    alpha, max_drop = gate.alpha, gate.max_drop
    rng = np.random.default_rng(random_state)
    paired = [i for i, r in enumerate(raw) if r.paired and r.delta is not None]
    live = [i for i in paired if raw[i].n_discordant > 0]
    unpaired = [i for i, r in enumerate(raw) if not r.paired and r.delta is not None]
    m = len(live) + len(unpaired)
    alpha_p = alpha * len(live) / m if m else alpha
    alpha_u = alpha * len(unpaired) / m if m else alpha
    decided: dict[int, _Decided] = {}
    reps: dict[int, stats.Replicates] = {}

    # paired rows: one family of joint sign flips
    idx, _ = stats.align_units(*[raw[i].units.tolist() for i in live])
    fam_rows = [
        stats.FamilyRow(raw[i].base_counts, raw[i].cand_counts, u, raw[i].score, str(i))
        for i, u in zip(live, idx, strict=True)
    ]
    family = stats.flip_family(fam_rows, alpha=alpha_p, n_flips=max(gate.n_boot - 1, 1), rng=rng)
    for i in paired:
        reps[i] = _bootstrap(raw[i], gate.n_boot, rng)
    for i, d in zip(live, family, strict=True):
        G = raw[i].base_counts.shape[0]
        crit = d.critical
        low, high = (-math.inf, math.inf) if not math.isfinite(crit) else (-crit, crit)
        iv = stats.Interval(
            d.delta, d.delta + low, d.delta + high, 1 - alpha_p, "sign-flip", G, False
        )
        q = min(1.0, d.p_adjusted * alpha / alpha_p)  # on alpha's scale: significant iff <= alpha
        decided[i] = _Decided(
            d.p_value, q, d.significant, iv, d.mde, d.n_discordant, True,
            d.method, d.level, crit, d.note,
        )  # fmt: skip
    if gate.test not in ("sign-flip",) and live:
        # another test decides: Holm over its p-values of the rows in the family
        pv, source, borrowed = [], [], []
        for i in live:
            p = raw[i].tests.get(gate.test)
            name = gate.test
            if gate.test == "bootstrap":
                p = reps[i].p_value()
            elif gate.test == "permutation":
                p = decided[i].p_value
            elif p is None:  # the test does not apply to this row: its sign-flip p stands in
                p, name = decided[i].p_value, "sign-flip"
                borrowed.append(f"{raw[i].config} [{raw[i].view}] {raw[i].metric}")
            pv.append(float(p))
            source.append(name)
        adj = stats.holm(pv) * alpha / alpha_p  # Holm at alpha_p, reported on alpha's scale
        for i, p, q, name in zip(live, pv, adj, source, strict=True):
            d0 = decided[i]
            decided[i] = _Decided(
                p, float(min(q, 1.0)), bool(q <= alpha), d0.interval, d0.mde, d0.n_discordant,
                True, f"holm-{name}", d0.level, d0.critical, d0.note,
            )  # fmt: skip
        notes.append(
            f"verdicts from the {gate.test} test's Holm-adjusted p-values over the rows that "
            "differ; the intervals are the sign-flip family's and can disagree at the edge"
        )
        if borrowed:
            shown = ", ".join(borrowed[:4]) + (
                f" and {len(borrowed) - 4} more" if len(borrowed) > 4 else ""
            )
            notes.append(
                f"no {gate.test} p for {len(borrowed)} row(s), {shown} (the test does not apply "
                "there): their sign-flip p-values enter the Holm family instead (decider "
                "holm-sign-flip)"
            )
    for i in paired:
        if i not in decided:
            decided[i] = _identical(raw[i], alpha)

    # unpaired rows: the bootstrap, rounds from their number, Holm among themselves
    if unpaired:
        level_u = alpha_u / len(unpaired)
        for i in unpaired:
            G = min(raw[i].base_counts.shape[0], raw[i].cand_counts.shape[0])
            B = max(gate.n_boot, stats.bootstrap_rounds_for(level_u, G))
            reps[i] = _bootstrap(raw[i], B, rng)
        holm = stats.holm_intervals([reps[i] for i in unpaired], alpha_u)
        for i, h in zip(unpaired, holm, strict=True):
            rep = reps[i]
            se = float(rep.values.std(ddof=1)) if rep.n_boot > 1 else 0.0
            mde = stats.minimum_detectable_effect(se, alpha=level_u, n_clusters=rep.n_clusters)
            iv = h.interval
            crit = max(abs(iv.estimate - iv.low), abs(iv.high - iv.estimate))
            decided[i] = _Decided(
                h.p_value, float(min(1.0, h.p_adjusted * alpha / alpha_u)), h.significant, iv,
                mde, -1, True, "bootstrap-unpaired", level_u,
                crit if math.isfinite(crit) else math.inf, "",
            )  # fmt: skip
        enough = stats.MIN_CLUSTERS[stats.DEFAULT_DELTA_METHOD]
        few = sorted(
            {f"{raw[i].config} [{raw[i].view}]" for i in unpaired if reps[i].n_clusters < enough}
        )
        if few:
            notes.append(
                f"unpaired intervals from fewer sentence groups than the bootstrap needs for "
                f"nominal coverage ({', '.join(few)}; see perf/stats_sim.py): read them as rough"
            )
    rows = []
    for i, r in enumerate(raw):
        d = decided.get(i) or _identical(r, alpha)
        if r.delta is None and r.n_discordant != 0:
            d = _Decided(
                1.0, 1.0, False, d.interval,
                stats.MinimumDetectableEffect(None, alpha, stats.POWER, "the metric is undefined"),
                r.n_discordant, False, "undefined", alpha, math.inf, "the metric is undefined",
            )  # fmt: skip
        higher = METRICS[r.metric].higher_is_better
        improvement = None if r.delta is None else (r.delta if higher else -r.delta)
        if not d.in_family and (r.delta is None or r.delta == 0):
            v = Verdict.NO_CHANGE if d.decider == "identical" else Verdict.INCONCLUSIVE
        else:
            v = verdict(improvement, d.significant, d.mde, tolerance=max_drop)
        dropped = max_drop is not None and improvement is not None and -improvement > max_drop
        past = r.kind == RANK_ROW and dropped and v is not Verdict.BETTER
        regression = v is Verdict.WORSE or past
        boot = reps.get(i)
        rows.append(
            Row(
                config=r.config,
                view=r.view,
                metric=r.metric,
                kind=r.kind,
                pooled=r.pooled,
                base=r.base,
                candidate=r.candidate,
                delta=r.delta,
                interval=d.interval,
                p_value=d.p_value,
                p_adjusted=d.p_adjusted,
                verdict=v,
                mde=d.mde,
                paired=r.paired,
                tests=TestResults(
                    bootstrap=None if boot is None or r.delta is None else boot.p_value(),
                    permutation=d.p_value if r.paired and r.delta is not None else None,
                    mcnemar=r.tests.mcnemar,
                    mcnemar_method=r.tests.mcnemar_method,
                    nadeau_bengio=r.tests.nadeau_bengio,
                ),
                regression=regression,
                dropped=dropped,
                n_discordant=d.n_discordant,
                in_family=d.in_family,
                decider=d.decider,
                level=d.level,
                critical=d.critical,
                note=d.note,
                bootstrap_interval=None if boot is None else boot.interval(1 - alpha),
            )
        )
    return Comparison(
        rows=rows,
        gate=gate,
        notes=notes,
        only_base=list(only_base or []),
        only_candidate=list(only_candidate or []),
        family_size=len(live),
        n_unpaired=len(unpaired),
        n_units=family.n_units,
        n_flips=family.n_flips,
        exact=family.exact,
        critical_t=family.critical,
        method="max-T" if gate.test == "sign-flip" else f"Holm ({gate.test})",
    )
