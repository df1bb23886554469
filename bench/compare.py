"""Verdicts: compare two runs view by view and metric by metric, and gate on it. The
statistics themselves live in ``bench.stats``; the rank score and tiers in ``bench.ranking``.

For every matched pair of runs, every view both have, and every metric: the delta, its
interval, a p-value from the deciding test, Holm-corrected across all rows, the verdict
(``Verdict``) and whether the row fails the ``Gate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from bench import stats
from bench.errors import RunError
from bench.metrics import Predictions, confusion, scores, width
from bench.runs import Run, load_run, match_runs
from bench.specs import FAIL_ON, METRICS, NAMED, TESTS


class Verdict(StrEnum):
    """What a row says about the candidate against the base."""

    BETTER = "better"
    WORSE = "worse"
    NO_CHANGE = "no significant change"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Gate:
    """What is compared and what fails: the metrics (None: each run's primary), the
    deciding test, the family-wise level, the drop that fails even when not significant,
    what fails (``FAIL_ON``), and the resampling rounds."""

    metrics: tuple[str, ...] | None = None
    test: str = "bootstrap"
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
class Row:
    config: str
    view: str
    metric: str
    base: float | None
    candidate: float | None
    delta: float | None
    interval: stats.Interval  # of the delta, at the row's (Holm-adjusted) level
    p_value: float  # raw, of the deciding test
    p_adjusted: float
    verdict: Verdict
    mde: stats.MinimumDetectableEffect
    paired: bool
    tests: TestResults
    regression: bool  # fails the gate under --fail-on regression
    dropped: bool  # fell by more than --max-drop


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    gate: Gate
    notes: list[str] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)  # runs missing from the candidate
    only_candidate: list[str] = field(default_factory=list)

    @property
    def holm(self) -> bool:
        return len(self.rows) > 1

    @property
    def failed(self) -> bool:
        """Whether the gate fails: a regression, or under ``any-change`` any change or
        any run present on one side only."""
        if self.gate.fail_on == "never":
            return False
        if self.gate.fail_on == "any-change":
            return (
                any(r.verdict is not Verdict.NO_CHANGE or r.regression for r in self.rows)
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
        raise RunError(
            f"{base.path} and {cand.path} are runs of different tasks ({tb!r} with labels "
            f"{', '.join(base.labels)} vs {tc!r} with labels {', '.join(cand.labels)}); "
            "compare runs of the same task"
        )
    if base.metrics["data_hash"] != cand.metrics["data_hash"] and not unpaired:
        raise RunError(
            f"{base.path} and {cand.path} were run on different data (their data hashes "
            "differ), so no example pairs with another; compare runs on the same data, or "
            "pass --unpaired to compare them unpaired (less power, said in the output)"
        )


def _value(view: Predictions, L: int, f_idx: list[int], metric: str) -> float | None:
    v = float(scores(confusion(view.gold, view.pred, L, width(L, view.pred)), f_idx)[metric])
    return None if np.isnan(v) else v


def compare_runs(
    base: Run,
    cand: Run,
    metrics: list[str],
    *,
    n_boot: int,
    random_state: int,
    unpaired: bool = False,
) -> tuple[list[PairResult], list[str]]:
    """Raw per-(view, metric) results for one pair of runs, before Holm, and notes."""
    check_pairing(base, cand, unpaired=unpaired)
    L = len(base.labels)
    f_idx = [base.labels.index(lab) for lab in base.metrics["f_avg_labels"]]
    pb, pc = base.predictions(), cand.predictions()
    docs_b, docs_c = base.views(), cand.views()
    name = cand.name if cand.name == base.name else f"{base.name} → {cand.name}"
    notes = []
    out = []
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
        folds = (docs_b[view].get("per_fold", []), docs_c[view].get("per_fold", []))
        for metric in metrics:
            out.append(
                _compare_predictions(
                    config=name,
                    view=view,
                    metric=metric,
                    base=vb,
                    cand=vc,
                    n_labels=L,
                    f_idx=f_idx,
                    paired=not why,
                    per_fold=folds,
                    n_examples=int(docs_b[view].get("n_examples", 0)),
                    n_boot=n_boot,
                    random_state=random_state,
                )
            )
    only_b = [v for v in docs_b if v not in docs_c]
    if only_b:
        notes.append(f"{name}: views only in the base: {', '.join(only_b)}")
    return out, notes


DEFAULT_GATE = Gate()


def compare(
    base: Path, candidate: Path, gate: Gate = DEFAULT_GATE, *, random_state: int = 0
) -> Comparison:
    """Compare every matched pair of runs on the gate's metrics (default: each run's
    primary)."""
    matched = match_runs(base, candidate)
    raw: list[PairResult] = []
    notes: list[str] = []
    for b_dir, c_dir in matched.pairs:
        b, c = load_run(b_dir), load_run(c_dir)
        names = list(gate.metrics or [b.metrics["primary"]])
        for name in names:
            if name not in NAMED:
                raise RunError(f"cannot compare metric {name!r}; choose from {', '.join(NAMED)}")
        rows, why = compare_runs(
            b, c, names, n_boot=gate.n_boot, random_state=random_state, unpaired=gate.unpaired
        )
        notes += why
        raw += rows
    return decide(
        raw, gate, notes=notes, only_base=matched.only_base, only_candidate=matched.only_candidate
    )


def decide(
    raw: list[PairResult],
    gate: Gate,
    *,
    notes: list[str],
    only_base: list[str] | None = None,
    only_candidate: list[str] | None = None,
) -> Comparison:
    """Verdicts for raw results: Holm across all rows. With the bootstrap deciding (the
    default), each row's interval is printed at its Holm-adjusted level and is the same
    procedure as its p-value, so a verdict never contradicts the interval beside it."""
    notes = list(notes)
    alpha, test, max_drop = gate.alpha, gate.test, gate.max_drop
    if test == "bootstrap":
        decisions = stats.holm_intervals([r.replicates for r in raw], alpha)
        pvals = [d.p_value for d in decisions]
        adjusted = [d.p_adjusted for d in decisions]
        alphas = [d.alpha_row for d in decisions]
        intervals = [d.interval for d in decisions]
    else:
        pvals = [r.p_for(test) for r in raw]
        adjusted = [float(q) for q in stats.holm(pvals)]
        alphas = [alpha * p / q if q > 0 else alpha for p, q in zip(pvals, adjusted, strict=True)]
        intervals = [r.replicates.interval(1 - a) for r, a in zip(raw, alphas, strict=True)]
        notes.append(
            f"verdicts from the {test} test's Holm-adjusted p-values; the intervals are the "
            "paired bootstrap's at the same level and can disagree with a verdict at the edge"
        )
        fallback = sorted(
            {f"{r.config} [{r.view}] {r.metric}" for r in raw if r.tests.get(test) is None}
        )
        if fallback:
            notes.append(
                f"{test} does not apply to {', '.join(fallback)}; the bootstrap decides there"
            )
    few = sorted(
        {f"{r.config} [{r.view}]" for r, iv in zip(raw, intervals, strict=True) if iv.few_clusters}
    )
    if few:
        notes.append(
            f"intervals from fewer sentence groups than their method needs for nominal "
            f"coverage ({', '.join(few)}; see perf/stats_sim.py): read them as rough"
        )
    rows = []
    for r, p, q, a_row, interval in zip(raw, pvals, adjusted, alphas, intervals, strict=True):
        higher = METRICS[r.metric].higher_is_better
        improvement = None if r.delta is None else (r.delta if higher else -r.delta)
        significant = q < alpha and improvement not in (None, 0)
        verdict = (
            Verdict.BETTER
            if significant and improvement is not None and improvement > 0
            else Verdict.WORSE
            if significant
            else Verdict.NO_CHANGE
        )
        dropped = max_drop is not None and improvement is not None and -improvement > max_drop
        rows.append(
            Row(
                config=r.config,
                view=r.view,
                metric=r.metric,
                base=r.base,
                candidate=r.candidate,
                delta=r.delta,
                interval=interval,
                p_value=p,
                p_adjusted=q,
                verdict=verdict,
                mde=r.mde_at(a_row),
                paired=r.paired,
                tests=r.tests,
                regression=verdict is Verdict.WORSE or dropped,
                dropped=dropped,
            )
        )
    return Comparison(
        rows=rows,
        gate=gate,
        notes=notes,
        only_base=list(only_base or []),
        only_candidate=list(only_candidate or []),
    )


# ------------------------------------------------------------------- one pair, one metric
@dataclass(frozen=True)
class TestResults:
    """Every test's p-value for one row (None where a test does not apply)."""

    bootstrap: float
    permutation: float | None = None
    mcnemar: float | None = None
    mcnemar_method: str | None = None  # exact | clustered-exact | clustered
    nadeau_bengio: float | None = None

    def get(self, name: str) -> float | None:
        return getattr(self, name)


@dataclass(frozen=True)
class PairResult:
    """One run pair on one view and metric, before the family-wide Holm correction."""

    config: str
    view: str
    metric: str
    base: float | None
    candidate: float | None
    delta: float | None
    paired: bool
    tests: TestResults
    replicates: stats.Replicates  # the bootstrap distribution of the delta
    pair: stats.PairedCounts | None  # per-cluster counts when paired

    def p_for(self, test: str) -> float:
        p = self.tests.get(test)
        return self.tests.bootstrap if p is None else p

    def mde_at(self, alpha: float) -> stats.MinimumDetectableEffect:
        if self.pair is not None:
            return stats.delta_mde(self.replicates, self.pair, alpha=alpha)
        se = float(self.replicates.values.std(ddof=1)) if self.replicates.n_boot > 1 else 0.0
        n = self.replicates.n_clusters
        return stats.minimum_detectable_effect(se, alpha=alpha, n_discordant=n)


def _nadeau_bengio(per_fold: tuple[list, list], metric: str, n_examples: int) -> float | None:
    """The corrected resampled t-test on folds matched by (repeat, fold), or None."""
    cand = {(f["repeat"], f["fold"]): f for f in per_fold[1]}
    pairs = [(f, cand.get((f["repeat"], f["fold"]))) for f in per_fold[0]]
    if len({f["repeat"] for f in per_fold[0]}) < 2:
        return None  # one repeat of k folds, or one split: not repeated CV
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


def _compare_predictions(
    *,
    config: str,
    view: str,
    metric: str,
    base: Predictions,
    cand: Predictions,
    n_labels: int,
    f_idx: list[int],
    paired: bool,
    per_fold: tuple[list, list],
    n_examples: int,
    n_boot: int,
    random_state: int,
) -> PairResult:
    L = n_labels
    W = width(L, base.pred, cand.pred)  # a no-answer column when either run abstains

    def value(cms: np.ndarray) -> np.ndarray:
        return scores(cms, f_idx)[metric]

    rng = np.random.default_rng(random_state)
    vb = _value(base, L, f_idx, metric)
    vc = _value(cand, L, f_idx, metric)
    delta = None if vb is None or vc is None else vc - vb
    pair = None
    if paired:
        pair = stats.paired_counts(base.groups, base.gold, base.pred, cand.pred, L, W)
        reps = stats.bootstrap_delta(pair, value, n_boot=n_boot, rng=rng)
        perm = stats.permutation_test(pair, value, n_perm=n_boot, rng=rng).p_value
    else:
        reps = stats.bootstrap_unpaired_delta(
            stats.group_counts(base.groups, base.gold, base.pred, L, W),
            stats.group_counts(cand.groups, cand.gold, cand.pred, L, W),
            value,
            n_boot=n_boot,
            rng=rng,
        )
        perm = None
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
        bootstrap=1.0 if delta is None else reps.p_value(),
        permutation=perm if delta is not None else None,
        mcnemar=mcnemar,
        mcnemar_method=method,
        nadeau_bengio=_nadeau_bengio(per_fold, metric, n_examples) if paired else None,
    )
    return PairResult(config, view, metric, vb, vc, delta, paired, tests, reps, pair)
