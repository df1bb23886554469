"""Compare two runs metric by metric, with paired significance tests, and gate on it.

Tests (each recomputes the metric itself, never an average of per-example scores):

- ``bootstrap`` (default, decides the verdict): paired cluster bootstrap. Sentence groups
  are resampled with replacement, the same draw for both runs, every metric recomputed
  on each resample. CI of the delta by percentiles; two-sided p by the shift method,
  p = (1 + #{|d* - d| >= |d|}) / (B + 1).
- ``permutation``: approximate randomization. Each (example, repeat) swaps its two
  predictions with probability 1/2; p = (1 + #{|d_perm| >= |d|}) / (R + 1).
- ``mcnemar``: exact McNemar (binomial) test for accuracy on the first repeat, so each
  example counts once.
- ``nadeau_bengio``: the corrected resampled t-test on per-fold scores of repeated CV,
  t = mean(d) / sqrt((1/J + n_test/n_train) var(d)), J - 1 degrees of freedom.

When the two runs do not share data and folds (hashes differ), the comparison falls back
to an unpaired bootstrap (each run's groups resampled independently) and says so. With
several comparisons, p-values are Holm-corrected across all of them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.errors import RunError
from bench.metrics import (
    HIGHER_IS_BETTER,
    NAMED,
    chunks,
    confusion,
    group_confusions,
    resample_weights,
    scores,
)

TESTS = ("bootstrap", "permutation", "mcnemar", "nadeau_bengio")
FAIL_ON = ("regression", "any-change", "never")
POWER_Z = 0.8416212335729143  # z for 80% power
EXIT_PASS, EXIT_REGRESSION = 0, 1


@dataclass(frozen=True)
class RunPredictions:
    name: str
    path: Path
    metrics: dict
    keys: np.ndarray  # "id\x1frepeat" per prediction, sorted
    groups: np.ndarray
    repeat: np.ndarray
    gold: np.ndarray  # label indices
    pred: np.ndarray

    @property
    def labels(self) -> list[str]:
        return self.metrics["labels"]


def load_run(run_dir: Path) -> RunPredictions:
    run_dir = Path(run_dir)
    mpath, ppath = run_dir / "metrics.json", run_dir / "predictions.jsonl"
    if not mpath.is_file() or not ppath.is_file():
        raise RunError(f"{run_dir}: not a run folder (needs metrics.json and predictions.jsonl)")
    try:
        metrics = json.loads(mpath.read_text(encoding="utf-8"))
        import pandas as pd

        frame = pd.read_json(ppath, lines=True, dtype={"id": str, "group": str})
    except ValueError as exc:
        raise RunError(f"{run_dir}: a run file is not valid JSON ({exc})") from None
    labels = metrics["labels"]
    index = {lab: i for i, lab in enumerate(labels)}
    if "group" not in frame:
        frame["group"] = frame["id"]
    frame["key"] = frame["id"].astype(str) + "\x1f" + frame["repeat"].astype(str)
    frame = frame.sort_values("key", kind="stable").reset_index(drop=True)
    return RunPredictions(
        name=metrics["config"],
        path=run_dir,
        metrics=metrics,
        keys=frame["key"].to_numpy(),
        groups=frame["group"].astype(str).to_numpy(),
        repeat=frame["repeat"].to_numpy(),
        gold=frame["gold"].map(index).to_numpy(),
        pred=frame["predicted"].map(index).to_numpy(),
    )


def is_run_dir(path: Path) -> bool:
    return (Path(path) / "metrics.json").is_file()


def runs_in(path: Path) -> dict[str, Path]:
    """Run folders by name: ``path`` itself when it is one, else its subfolders that are."""
    path = Path(path)
    if is_run_dir(path):
        return {path.name: path}
    if not path.is_dir():
        raise RunError(f"{path}: no such run folder or folder of runs")
    return {d.name: d for d in sorted(path.iterdir()) if d.is_dir() and is_run_dir(d)}


def find_runs(targets: list[Path]) -> dict[str, Path]:
    """Every run folder named by ``targets``, by config name; none found is an error."""
    found: dict[str, Path] = {}
    for target in targets:
        runs = runs_in(target)
        if not runs:
            raise RunError(f"{target}: no run folders (with metrics.json) here")
        found.update(runs)
    return found


def match_runs(base: Path, candidate: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Pairs of run folders to compare, and notes on runs present on one side only.

    Two run folders are compared whatever their names; folders of runs are matched by name.
    """
    base, candidate = Path(base), Path(candidate)
    if is_run_dir(base) and is_run_dir(candidate):
        return [(base, candidate)], []
    b, c = runs_in(base), runs_in(candidate)
    pairs = [(b[n], c[n]) for n in sorted(b.keys() & c.keys())]
    notes = [f"{n}: only in {base}" for n in sorted(b.keys() - c.keys())]
    notes += [f"{n}: only in {candidate}" for n in sorted(c.keys() - b.keys())]
    if not pairs:
        raise RunError(
            f"no run of the same config in {base} and {candidate} (runs are matched by folder name)"
        )
    return pairs, notes


# ------------------------------------------------------------------------------- tests
def _metric_values(cms: np.ndarray, L: int, f_idx, names) -> dict[str, np.ndarray]:
    s = scores(cms.reshape(-1, L, L), f_idx)
    return {n: s[n] for n in names}


def bootstrap_deltas(
    base: RunPredictions, cand: RunPredictions, names, f_idx, n_boot: int, rng, paired: bool
) -> dict[str, np.ndarray]:
    """Resampled deltas (candidate - base) of every metric in ``names``."""
    L = len(base.labels)
    out = {n: np.empty(n_boot) for n in names}
    pb, _ = group_confusions(base.groups, base.gold, base.pred, L)
    pc, _ = group_confusions(cand.groups, cand.gold, cand.pred, L)
    Gb, Gc = len(pb), len(pc)
    for start, n in chunks(n_boot, max(Gb, Gc)):
        wb = resample_weights(rng, Gb, n)
        wc = wb if paired else resample_weights(rng, Gc, n)
        vb = _metric_values(wb @ pb, L, f_idx, names)
        vc = _metric_values(wc @ pc, L, f_idx, names)
        for name in names:
            out[name][start : start + n] = vc[name] - vb[name]
    return out


def permutation_deltas(
    base: RunPredictions, cand: RunPredictions, names, f_idx, rounds: int, rng
) -> dict[str, np.ndarray]:
    """Deltas under random swaps of the two runs' predictions (paired rows)."""
    L = len(base.labels)
    cm_b = confusion(base.gold, base.pred, L).reshape(-1).astype(float)
    cm_c = confusion(cand.gold, cand.pred, L).reshape(-1).astype(float)
    differ = np.flatnonzero(base.pred != cand.pred)
    out = {n: np.zeros(rounds) for n in names}
    if len(differ) == 0:
        return out
    gold = base.gold[differ]
    D = np.zeros((len(differ), L * L))
    np.add.at(D, (np.arange(len(differ)), gold * L + cand.pred[differ]), 1.0)
    np.add.at(D, (np.arange(len(differ)), gold * L + base.pred[differ]), -1.0)
    chunk = max(1, min(rounds, 4_000_000 // len(differ)))
    for start in range(0, rounds, chunk):
        n = min(rounds, start + chunk) - start
        S = rng.integers(0, 2, size=(n, len(differ))).astype(float)
        shift = S @ D
        vb = _metric_values(cm_b + shift, L, f_idx, names)
        vc = _metric_values(cm_c - shift, L, f_idx, names)
        for name in names:
            out[name][start : start + n] = vc[name] - vb[name]
    return out


def mcnemar(base: RunPredictions, cand: RunPredictions) -> float:
    """Exact two-sided McNemar p-value for accuracy on the first repeat."""
    from scipy.stats import binomtest

    first = base.repeat == base.repeat.min()
    right_b = base.pred[first] == base.gold[first]
    right_c = cand.pred[first] == cand.gold[first]
    b = int(np.sum(right_b & ~right_c))
    c = int(np.sum(~right_b & right_c))
    return 1.0 if b + c == 0 else float(binomtest(min(b, c), b + c, 0.5).pvalue)


def nadeau_bengio(
    base_folds: list[dict], cand_folds: list[dict], metric: str, n_examples: int
) -> float | None:
    """Corrected resampled t-test p-value on matched per-fold scores; None when not
    applicable (fewer than two folds, or folds that do not match)."""
    from scipy.stats import t as student_t

    cand = {(f["repeat"], f["fold"]): f for f in cand_folds}
    pairs = [(f, cand.get((f["repeat"], f["fold"]))) for f in base_folds]
    if len(pairs) < 2 or any(c is None or c["n_test"] != b["n_test"] for b, c in pairs):
        return None
    if any(b[metric] is None or c[metric] is None for b, c in pairs):
        return None
    d = np.array([c[metric] - b[metric] for b, c in pairs], dtype=float)
    J = len(d)
    n_test = float(np.mean([b["n_test"] for b, _ in pairs]))
    n_train = n_examples - n_test
    if n_train <= 0:
        return None
    var = d.var(ddof=1)
    if var == 0:
        return 1.0 if d.mean() == 0 else 0.0
    t = d.mean() / math.sqrt((1 / J + n_test / n_train) * var)
    return float(2 * student_t.sf(abs(t), df=J - 1))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _shift_p(deltas: np.ndarray, observed: float) -> float:
    deltas = deltas[~np.isnan(deltas)]
    if observed == 0 or len(deltas) == 0:
        return 1.0
    return float((1 + np.sum(np.abs(deltas - observed) >= abs(observed))) / (len(deltas) + 1))


def _perm_p(deltas: np.ndarray, observed: float) -> float:
    deltas = deltas[~np.isnan(deltas)]
    if observed == 0 or len(deltas) == 0:
        return 1.0
    return float((1 + np.sum(np.abs(deltas) >= abs(observed) - 1e-12)) / (len(deltas) + 1))


# --------------------------------------------------------------------------- comparing
@dataclass(frozen=True)
class Row:
    config: str
    metric: str
    base: float | None
    candidate: float | None
    delta: float | None
    ci: tuple[float | None, float | None]
    p_value: float
    p_adjusted: float
    verdict: str  # better | worse | no significant change
    mde: float | None
    paired: bool
    tests: dict  # test name -> p-value (None when not applicable)
    regression: bool  # fails the gate under --fail-on regression


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    alpha: float
    max_drop: float | None
    fail_on: str
    test: str
    notes: list[str] = field(default_factory=list)
    holm: bool = False

    @property
    def exit_code(self) -> int:
        if self.fail_on == "never":
            return EXIT_PASS
        if self.fail_on == "any-change":
            changed = any(r.verdict != "no significant change" or r.regression for r in self.rows)
            return EXIT_REGRESSION if changed else EXIT_PASS
        return EXIT_REGRESSION if any(r.regression for r in self.rows) else EXIT_PASS

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha,
            "max_drop": self.max_drop,
            "fail_on": self.fail_on,
            "test": self.test,
            "holm": self.holm,
            "notes": self.notes,
            "exit_code": self.exit_code,
            "rows": [r.__dict__ | {"ci": list(r.ci)} for r in self.rows],
        }


def _pairable(base: RunPredictions, cand: RunPredictions) -> tuple[bool, str]:
    mb, mc = base.metrics, cand.metrics
    if mb["labels"] != mc["labels"]:
        raise RunError(
            f"{base.path} and {cand.path} have different labels "
            f"({mb['labels']} vs {mc['labels']}); compare runs of the same task"
        )
    if mb["data_hash"] != mc["data_hash"]:
        return False, "the data differ (data hashes differ)"
    if mb["folds_hash"] != mc["folds_hash"]:
        return False, "the folds differ (fold hashes differ)"
    if not np.array_equal(base.keys, cand.keys):
        return False, "the predictions are not of the same examples"
    return True, ""


def compare_pair(
    base: RunPredictions,
    cand: RunPredictions,
    metrics: list[str],
    *,
    n_boot: int,
    alpha: float,
    random_state: int,
) -> tuple[list[dict], str]:
    """Raw per-metric results for one pair of runs (before multiple-testing correction)."""
    paired, why = _pairable(base, cand)
    L = len(base.labels)
    f_idx = [base.labels.index(lab) for lab in base.metrics["f_avg_labels"]]
    rng = np.random.default_rng(random_state)
    boot = bootstrap_deltas(base, cand, metrics, f_idx, n_boot, rng, paired)
    perm = permutation_deltas(base, cand, metrics, f_idx, n_boot, rng) if paired else None
    z = _z(1 - alpha / 2)
    out = []
    for name in metrics:
        vb = float(scores(confusion(base.gold, base.pred, L), f_idx)[name])
        vc = float(scores(confusion(cand.gold, cand.pred, L), f_idx)[name])
        delta = None if np.isnan(vb) or np.isnan(vc) else vc - vb
        d = boot[name][~np.isnan(boot[name])]
        lo, hi = (
            np.quantile(d, [alpha / 2, 1 - alpha / 2]).tolist()
            if len(d) and delta is not None
            else (None, None)
        )
        se = float(d.std(ddof=1)) if len(d) > 1 else 0.0
        if se == 0:
            se = math.sqrt(2) * _self_se(base, name, f_idx, n_boot, random_state)
        tests = {
            "bootstrap": _shift_p(boot[name], delta) if delta is not None else 1.0,
            "permutation": _perm_p(perm[name], delta) if perm and delta is not None else None,
            "mcnemar": mcnemar(base, cand) if paired and name == "accuracy" else None,
            "nadeau_bengio": nadeau_bengio(
                base.metrics["per_fold"], cand.metrics["per_fold"], name, base.metrics["n_examples"]
            )
            if paired and base.metrics.get("n_repeats", 1) > 1
            else None,
        }
        out.append(
            {
                "config": cand.name if cand.name == base.name else f"{base.name} → {cand.name}",
                "metric": name,
                "base": None if np.isnan(vb) else vb,
                "candidate": None if np.isnan(vc) else vc,
                "delta": delta,
                "ci": (lo, hi),
                "mde": (z + POWER_Z) * se,
                "paired": paired,
                "tests": tests,
            }
        )
    return out, why


def _self_se(run: RunPredictions, name: str, f_idx, n_boot: int, random_state: int) -> float:
    """Bootstrap standard error of one run's metric (for the MDE when deltas are all 0)."""
    L = len(run.labels)
    per, _ = group_confusions(run.groups, run.gold, run.pred, L)
    rng = np.random.default_rng(random_state)
    weights = resample_weights(rng, len(per), max(n_boot, 2))
    vals = _metric_values(weights @ per, L, f_idx, [name])[name]
    vals = vals[~np.isnan(vals)]
    return float(vals.std(ddof=1)) if len(vals) > 1 else 0.0


def _z(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def compare(
    base: Path,
    candidate: Path,
    *,
    metrics: list[str] | None = None,
    test: str = "bootstrap",
    alpha: float = 0.05,
    max_drop: float | None = None,
    fail_on: str = "regression",
    n_boot: int = 2000,
    random_state: int = 0,
) -> Comparison:
    """Compare every matched pair of runs on ``metrics`` (default: each run's primary)."""
    pairs, notes = match_runs(base, candidate)
    raw = []
    for b_dir, c_dir in pairs:
        b, c = load_run(b_dir), load_run(c_dir)
        names = metrics or [b.metrics["primary"]]
        for name in names:
            if name not in NAMED:
                raise RunError(f"cannot compare metric {name!r}; choose from {', '.join(NAMED)}")
        rows, why = compare_pair(b, c, names, n_boot=n_boot, alpha=alpha, random_state=random_state)
        if why:
            notes.append(f"{rows[0]['config']}: unpaired comparison: {why}")
        raw += rows
    pvals = [
        (r["tests"][test] if r["tests"][test] is not None else r["tests"]["bootstrap"]) for r in raw
    ]
    fallback = [r["config"] for r in raw if r["tests"][test] is None]
    if fallback and test != "bootstrap":
        notes.append(
            f"{test} does not apply to {', '.join(sorted(set(fallback)))}; "
            "the bootstrap p-value decides there"
        )
    adjusted = holm(pvals) if len(pvals) > 1 else pvals
    rows = []
    for r, p, q in zip(raw, pvals, adjusted, strict=True):
        higher = HIGHER_IS_BETTER[r["metric"]]
        delta = r["delta"]
        improvement = None if delta is None else (delta if higher else -delta)
        significant = q < alpha and improvement not in (None, 0)
        verdict = (
            "better"
            if significant and improvement > 0
            else "worse"
            if significant and improvement < 0
            else "no significant change"
        )
        dropped = max_drop is not None and improvement is not None and -improvement > max_drop
        rows.append(
            Row(
                config=r["config"],
                metric=r["metric"],
                base=r["base"],
                candidate=r["candidate"],
                delta=delta,
                ci=tuple(r["ci"]),
                p_value=p,
                p_adjusted=q,
                verdict=verdict,
                mde=r["mde"],
                paired=r["paired"],
                tests=r["tests"],
                regression=verdict == "worse" or dropped,
            )
        )
    return Comparison(
        rows=rows,
        alpha=alpha,
        max_drop=max_drop,
        fail_on=fail_on,
        test=test,
        notes=notes,
        holm=len(pvals) > 1,
    )
