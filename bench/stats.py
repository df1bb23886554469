"""INTERIM: the old statistics, moved from compare.py; replaced by the stats branch."""

from __future__ import annotations

import math

import numpy as np

from bench.metrics import chunks, confusion, group_confusions, resample_weights, scores


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


def _metric_values(cms: np.ndarray, L: int, f_idx, names) -> dict[str, np.ndarray]:
    s = scores(cms.reshape(-1, L, L), f_idx)
    return {n: s[n] for n in names}


def bootstrap_deltas(
    base, cand, names, f_idx, n_boot: int, rng, paired: bool
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


def permutation_deltas(base, cand, names, f_idx, rounds: int, rng) -> dict[str, np.ndarray]:
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


def mcnemar(base, cand) -> float:
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
