"""Metrics from one core: confusion counts -> every score, for one matrix or a stack.

``scores(cm)`` takes confusion matrices of shape (..., L, L) (rows gold, columns
predicted), so the same code scores a run, each fold, and a thousand bootstrap resamples
at once. Named scores are higher-better (``*_score`` in scikit-learn's sense) except
``log_loss``. Undefined values (kappa when chance agreement is 1) are NaN here and null
in JSON. Conventions follow scikit-learn with ``zero_division=0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.specs import METRICS, NAMED, MetricSpec  # noqa: F401  (the registry)

DECIMALS = 10
_EPS = np.finfo(np.float64).eps


def confusions(gold, pred, n_labels: int, index=None, n: int = 1) -> np.ndarray:
    """Confusion counts (rows gold, columns predicted) of label indices: one matrix
    (n, L, L) per value of ``index`` (group, target, fold...) in 0..n-1, or (1, L, L)."""
    L = n_labels
    codes = np.asarray(gold, dtype=np.int64) * L + np.asarray(pred, dtype=np.int64)
    if index is not None:
        codes = codes + np.asarray(index, dtype=np.int64) * L * L
    return np.bincount(codes, minlength=n * L * L).reshape(n, L, L)


def confusion(gold, pred, n_labels: int) -> np.ndarray:
    """One confusion matrix (L, L)."""
    return confusions(gold, pred, n_labels)[0]


def _div(num, den):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def scores(cm: np.ndarray, f_avg_idx) -> dict[str, np.ndarray]:
    """Every confusion-based score for a matrix (L, L) or a stack (..., L, L)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    n = support.sum(axis=-1)
    precision = _div(tp, predicted)
    recall = _div(tp, support)
    f1 = _div(2 * precision * recall, precision + recall)
    po = _div(tp.sum(axis=-1), n)
    pe = _div((support * predicted).sum(axis=-1), n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(pe < 1, (po - pe) / np.where(pe < 1, 1 - pe, 1), np.nan)
    return {
        "accuracy": po,
        "macro_f1": f1.mean(axis=-1),
        "f_avg": f1[..., list(f_avg_idx)].mean(axis=-1),
        "kappa": kappa,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }


def proportion_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return round(max(0.0, mid - half), DECIMALS), round(min(1.0, mid + half), DECIMALS)


def _nll(proba: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Negative log-likelihood of the gold label per row; clipped at eps, rows renormalised."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1 - _EPS)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return -np.log(proba[np.arange(len(gold)), gold])


def log_loss(proba: np.ndarray, gold: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold label (scikit-learn's ``log_loss``)."""
    return float(_nll(proba, gold).mean())


@dataclass(frozen=True)
class Predictions:
    """Pooled out-of-fold predictions: one row per (repeat, tested example)."""

    ids: np.ndarray
    groups: np.ndarray
    repeat: np.ndarray
    fold: np.ndarray
    gold: np.ndarray  # label indices
    pred: np.ndarray
    proba: np.ndarray | None  # (rows, labels) or None when the model gives no probabilities
    targets: np.ndarray | None = None  # per row, for the per-target breakdown


def _clean(x):
    """Round floats for stable JSON; NaN becomes None."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if np.isnan(x) else round(float(x), DECIMALS) + 0.0
    return x


def group_confusions(groups, gold, pred, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Confusion counts per group, shape (G, L*L), and each row's group index."""
    _, g = np.unique(groups, return_inverse=True)
    G = int(g.max()) + 1
    return confusions(gold, pred, L, g, G).reshape(G, L * L).astype(np.float64), g


def resample_weights(rng, n_groups: int, n: int) -> np.ndarray:
    """``n`` bootstrap draws of ``n_groups`` groups, as counts per group: (n, n_groups).
    One vectorised bincount (no Python loop per draw)."""
    idx = rng.integers(0, n_groups, size=(n, n_groups)) + n_groups * np.arange(n)[:, None]
    counts = np.bincount(idx.ravel(), minlength=n * n_groups)
    return counts.reshape(n, n_groups).astype(np.float64)


def chunks(n_boot: int, n_groups: int):
    """(start, size) blocks of resamples that keep a block's weights near 2M numbers."""
    step = max(1, min(n_boot, 2_000_000 // max(n_groups, 1)))
    for start in range(0, n_boot, step):
        yield start, min(n_boot, start + step) - start


CI_METHOD = "bca"  # chosen by coverage in perf/stats_sim.py (see bench.stats)


def bootstrap(
    p: Predictions, labels, f_avg_idx, n_boot: int, level: float, random_state: int
) -> dict:
    """CIs from a cluster bootstrap: sentence groups are resampled with replacement, each
    carrying all its predictions (every repeat), every metric is recomputed on each
    resample, and the interval is BCa (bias-corrected and accelerated; the acceleration
    from the leave-one-group-out jackknife), the method with the best measured coverage
    at this benchmark's sizes."""
    from bench import stats

    if n_boot == 0:
        return {}
    L = len(labels)
    per_group, g = group_confusions(p.groups, p.gold, p.pred, L)
    G = len(per_group)
    ll = None
    if p.proba is not None:
        nll = _nll(p.proba, p.gold)
        ll = (np.bincount(g, weights=nll, minlength=G), np.bincount(g, minlength=G))
    rng = np.random.default_rng(random_state)
    cms = np.empty((n_boot, L * L))
    lls = np.empty(n_boot)
    for start, n in chunks(n_boot, G):
        weights = resample_weights(rng, G, n)
        cms[start : start + n] = weights @ per_group
        if ll is not None:
            lls[start : start + n] = (weights @ ll[0]) / (weights @ ll[1])
    s = scores(cms.reshape(n_boot, L, L), f_avg_idx)
    total = per_group.sum(axis=0)
    full = scores(total.reshape(L, L), f_avg_idx)
    jk = scores((total - per_group).reshape(G, L, L), f_avg_idx)

    def interval(values, estimate, jackknife):
        reps = stats.replicates(values, float(estimate), jackknife, CI_METHOD, G)
        if not len(reps.values) or not np.isfinite(estimate):
            return [None, None]
        iv = reps.interval(level)
        # an endpoint past the resamples' reach (B too small for the BCa-adjusted tail) is
        # clipped to the most extreme resample, as scipy.stats.bootstrap does
        low = float(iv.low) if np.isfinite(iv.low) else float(reps.values[0])
        high = float(iv.high) if np.isfinite(iv.high) else float(reps.values[-1])
        return [low, high]

    out: dict = {name: interval(s[name], full[name], jk[name]) for name in NAMED}
    out["per_class_f1"] = {
        lab: interval(s["f1"][:, i], full["f1"][i], jk["f1"][:, i]) for i, lab in enumerate(labels)
    }
    if ll is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ll_jk = (ll[0].sum() - ll[0]) / (ll[1].sum() - ll[1])
        out["log_loss"] = interval(lls, ll[0].sum() / ll[1].sum(), ll_jk)
    return out


def present_scores(cms: np.ndarray, f_idx) -> dict[str, np.ndarray]:
    """Macro-F1 and F_avg over the labels present in each matrix (gold or predicted), as
    SemEval scores a target: a label a target never has nor gets is not a zero F1.
    F_avg is NaN when none of its labels is present."""
    s = scores(cms, f_idx)
    present = (s["support"] > 0) | (cms.sum(axis=-2) > 0)
    f1 = s["f1"]
    sub = present[..., list(f_idx)]
    with np.errstate(divide="ignore", invalid="ignore"):
        macro = np.where(present.any(-1), (f1 * present).sum(-1) / present.sum(-1), np.nan)
        f_avg = np.where(sub.any(-1), (f1[..., list(f_idx)] * sub).sum(-1) / sub.sum(-1), np.nan)
    return {**s, "macro_f1": macro, "f_avg": f_avg}


def per_target(p: Predictions, L: int, f_idx) -> dict:
    """Every confusion-based score per target (pooled over folds and repeats), macro-F1 and
    F_avg over the labels present in that target; empty when the data has a single target.
    The official SemEval F_avg is the pooled one, not a mean of these."""
    if p.targets is None:
        return {}
    names, t = np.unique(p.targets.astype(str), return_inverse=True)
    if len(names) < 2:
        return {}
    cms = confusions(p.gold, p.pred, L, t, len(names))
    s = present_scores(cms, f_idx)
    return {
        str(name): {"n_predictions": int(cms[i].sum()), **{m: s[m][i] for m in NAMED}}
        for i, name in enumerate(names)
    }


def _min_groups() -> int:
    from bench.stats import MIN_CLUSTERS

    return MIN_CLUSTERS[CI_METHOD]


def evaluate(
    p: Predictions,
    labels,
    f_avg_labels,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int = 0,
) -> dict:
    """All metrics of a run: pooled, per class, per repeat (mean and std), per fold, CIs."""
    labels = list(labels)
    L = len(labels)
    f_idx = [labels.index(lab) for lab in f_avg_labels]
    cm = confusion(p.gold, p.pred, L)
    pooled = scores(cm, f_idx)
    result = {
        "labels": labels,
        "f_avg_labels": list(f_avg_labels),
        "n_predictions": int(len(p.gold)),
        "n_examples": int(len(np.unique(p.ids))),
        "n_groups": int(len(np.unique(p.groups))),
        "pooled": {name: pooled[name] for name in NAMED},
        "per_class": {
            lab: {
                "precision": pooled["precision"][i],
                "recall": pooled["recall"][i],
                "f1": pooled["f1"][i],
                "support": int(pooled["support"][i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion_matrix": cm.tolist(),
    }
    if p.proba is not None:
        result["pooled"]["log_loss"] = log_loss(p.proba, p.gold)

    keys, k = np.unique(np.stack([p.repeat, p.fold], axis=1), axis=0, return_inverse=True)
    fold_cms = confusions(p.gold, p.pred, L, k.reshape(-1), len(keys))
    fs = scores(fold_cms, f_idx)
    result["per_fold"] = [
        {
            "repeat": int(r),
            "fold": int(f),
            "n_test": int(fold_cms[i].sum()),
            "test_support": fold_cms[i].sum(axis=1).tolist(),
            **{name: fs[name][i] for name in NAMED},
        }
        for i, (r, f) in enumerate(keys.tolist())
    ]

    repeats = sorted(set(p.repeat.tolist()))
    per_repeat = []
    for r in repeats:
        mask = p.repeat == r
        s = scores(confusion(p.gold[mask], p.pred[mask], L), f_idx)
        row = {name: float(s[name]) for name in NAMED}
        if p.proba is not None:
            row["log_loss"] = log_loss(p.proba[mask], p.gold[mask])
        per_repeat.append(row)
    result["repeats"] = {
        name: {
            "mean": float(np.nanmean(vals)) if not np.all(np.isnan(vals)) else np.nan,
            "std": float(np.nanstd(vals, ddof=1)) if np.sum(~np.isnan(vals)) > 1 else 0.0,
        }
        for name in per_repeat[0]
        for vals in [np.array([row[name] for row in per_repeat], dtype=np.float64)]
    }
    result["n_repeats"] = len(repeats)
    result["ci_level"] = level
    result["ci_method"] = CI_METHOD
    if n_boot and result["n_groups"] < _min_groups():
        result["ci_note"] = (
            f"{result['n_groups']} sentence groups: fewer than the {_min_groups()} from which "
            f"{CI_METHOD.upper()} intervals reached nominal coverage in perf/stats_sim.py; "
            "read the intervals as rough"
        )
    if p.targets is not None:
        result["per_target"] = per_target(p, L, f_idx)
    result["ci"] = bootstrap(p, labels, f_idx, n_boot, level, random_state)
    return _clean(result)
