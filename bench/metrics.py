"""Metrics from one core: confusion counts -> every score, for one matrix or a stack.

``scores(cm)`` takes confusion matrices of shape (..., L, L) (rows gold, columns
predicted), so the same code scores a run, each fold, and a thousand bootstrap resamples
at once. Named scores are higher-better (``*_score`` in scikit-learn's sense) except
``log_loss``. Undefined values (kappa when chance agreement is 1) are NaN here and null
in JSON. Conventions follow scikit-learn with ``zero_division=0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bench.specs import METRICS, NAMED, MetricSpec  # noqa: F401  (the registry)

if TYPE_CHECKING:
    from bench.runs import ViewMetrics

DECIMALS = 10
_EPS = np.finfo(np.float64).eps
# The predicted index of an abstention: a model that gave no label of the task (an answer
# no label could be read from, a label outside the task, an item without a prediction).
# It counts as wrong: a miss of the gold label (its recall), no label's false positive.
NO_ANSWER = -1
NO_ANSWER_NAME = "(no answer)"  # how reports show it


def width(n_labels: int, *preds) -> int:
    """Columns of the confusion matrices of these predictions: the labels, and one more
    (no answer) when any of them abstains."""
    return n_labels + int(any(bool((np.asarray(p) < 0).any()) for p in preds))


def confusions(gold, pred, n_labels: int, index=None, n: int = 1, w: int | None = None):
    """Confusion counts (rows gold, columns predicted) of label indices: one matrix
    (n, L, W) per value of ``index`` (group, target, fold...) in 0..n-1, or (1, L, W).
    ``W`` is ``L`` (the default), or ``L + 1`` whose last column counts abstentions
    (``NO_ANSWER``); an abstention with ``W = L`` is an error, never a silent label."""
    L = n_labels
    W = L if w is None else w
    pred = np.asarray(pred, dtype=np.int64)
    if W == L + 1:
        pred = np.where(pred < 0, L, pred)
    elif (pred < 0).any():
        raise ValueError("abstentions need a confusion matrix with a no-answer column")
    codes = np.asarray(gold, dtype=np.int64) * W + pred
    if index is not None:
        codes = codes + np.asarray(index, dtype=np.int64) * L * W
    return np.bincount(codes, minlength=n * L * W).reshape(n, L, W)


def confusion(gold, pred, n_labels: int, w: int | None = None) -> np.ndarray:
    """One confusion matrix (L, W)."""
    return confusions(gold, pred, n_labels, w=w)[0]


def label_name(labels, index: int) -> str:
    """The label of a predicted index; ``NO_ANSWER_NAME`` for an abstention."""
    return NO_ANSWER_NAME if index < 0 else str(labels[index])


def _div(num, den):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def scores(cm: np.ndarray, f_avg_idx) -> dict[str, np.ndarray]:
    """Every confusion-based score for a matrix (L, W) or a stack (..., L, W). With
    ``W = L + 1`` the last column counts abstentions: in the gold label's support (a
    miss), in no label's predictions (scikit-learn's scores with ``labels=`` the task's
    labels and a prediction outside them)."""
    cm = np.asarray(cm, dtype=np.float64)
    L = cm.shape[-2]
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)[..., :L]
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
        "predicted": predicted,
    }


def proportion_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    from bench.stats import ndtri  # scipy.stats.norm.ppf's own function, without scipy.stats

    z = float(ndtri(0.5 + level / 2))
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
    """Pooled out-of-fold predictions of one view: one row per (repeat, tested example).
    Computed by the runner, or read back from predictions.jsonl (``bench.runs``), which
    keeps no probabilities and no targets."""

    ids: np.ndarray
    groups: np.ndarray
    repeat: np.ndarray
    fold: np.ndarray
    gold: np.ndarray  # label indices
    pred: np.ndarray
    proba: np.ndarray | None = None  # (rows, labels); None when the model gives none
    targets: np.ndarray | None = None  # per row, for the per-target breakdown
    test_type: np.ndarray | None = None  # contrast suite rows: invariance | directional | mft
    articles: np.ndarray | None = None  # per row, for the per-article breakdown

    def keys(self) -> np.ndarray:
        """ "id\x1frepeat" per row: what pairs a row of two runs."""
        return np.char.add(np.char.add(self.ids.astype(str), "\x1f"), self.repeat.astype(str))

    def sorted(self) -> Predictions:
        """The rows in the order of ``keys()`` (stable): two runs of the same examples
        and repeats are then aligned row by row."""
        order = np.argsort(self.keys(), kind="stable")

        def take(a):
            return None if a is None else a[order]

        return Predictions(
            ids=self.ids[order],
            groups=self.groups[order],
            repeat=self.repeat[order],
            fold=self.fold[order],
            gold=self.gold[order],
            pred=self.pred[order],
            proba=take(self.proba),
            targets=take(self.targets),
            test_type=take(self.test_type),
            articles=take(self.articles),
        )


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


CI_METHOD = "bca"  # chosen by coverage in perf/stats_sim.py (see bench.stats)


def intervals(
    p: Predictions, labels, f_avg_idx, n_boot: int, level: float, random_state: int
) -> dict:
    """CIs of every metric from one cluster bootstrap (``bench.stats.cluster_bootstrap``):
    sentence groups are resampled with replacement, each carrying all its predictions
    (every repeat), every metric is recomputed on each resample, and the interval is BCa
    (bias-corrected and accelerated; the acceleration from the leave-one-group-out
    jackknife), the method with the best measured coverage at this benchmark's sizes.
    Below ``MIN_CLUSTERS["bca"]`` groups the bootstrap draws at least
    ``FEW_CLUSTERS_ROUNDS`` resamples (``bench.stats.interval_rounds``). A side whose
    BCa tail lies beyond the resamples is **open**: null in [low, high], and named under
    the key ``open`` (metric -> ["low"] / ["high"]; metrics.json's ``ci_open``), never
    clipped to the most extreme resample."""
    from bench import stats

    if n_boot == 0:
        return {}
    L = len(labels)
    W = width(L, p.pred)
    _, g = np.unique(p.groups, return_inverse=True)
    G = int(g.max()) + 1
    parts: list[np.ndarray] = [confusions(p.gold, p.pred, L, g, G, W).reshape(G, L * W)]
    if p.proba is not None:  # log-loss: the sum of its terms and their count, per group
        nll = _nll(p.proba, p.gold)
        parts += [np.bincount(g, weights=nll, minlength=G), np.bincount(g, minlength=G)]

    def statistics(sums: list[np.ndarray]) -> dict[str, np.ndarray]:
        s = scores(sums[0].reshape(-1, L, W), f_avg_idx)
        out = {name: s[name] for name in NAMED}
        out.update({f"f1:{lab}": s["f1"][:, i] for i, lab in enumerate(labels)})
        if len(sums) == 3:
            with np.errstate(divide="ignore", invalid="ignore"):
                out["log_loss"] = sums[1] / sums[2]
        return out

    reps = stats.cluster_bootstrap(
        parts,
        statistics,
        n_boot=stats.interval_rounds(n_boot, G, CI_METHOD),
        rng=np.random.default_rng(random_state),
        method=CI_METHOD,
    )
    opened: dict = {}

    def interval(name: str, where: dict, key: str):
        r = reps[name]
        if not len(r.values) or not np.isfinite(r.estimate):
            return [None, None]
        iv = r.interval(level)
        sides = stats.open_sides(iv)
        if sides:
            where[key] = sides
        return [None if s in sides else float(v) for s, v in (("low", iv.low), ("high", iv.high))]

    out: dict = {name: interval(name, opened, name) for name in NAMED}
    per_class: dict = {}
    out["per_class_f1"] = {lab: interval(f"f1:{lab}", per_class, lab) for lab in labels}
    if per_class:
        opened["per_class_f1"] = per_class
    if p.proba is not None:
        out["log_loss"] = interval("log_loss", opened, "log_loss")
    if opened:
        out["open"] = opened
    return out


def present_scores(cms: np.ndarray, f_idx) -> dict[str, np.ndarray]:
    """The scores of a subset (a target, an article): macro-F1 over the labels present in
    each matrix (gold or predicted), so a label a target never has nor gets is not a zero
    F1 (a convenience, not a SemEval score); F_avg as SemEval-2016 Task 6's official
    ``eval.pl`` scores any subset: the mean F1 of the F_avg labels (FAVOR = support,
    AGAINST = condemn), **always over both**, a label absent from gold and predictions
    scoring 0, i.e. ``scores(...)["f_avg"]`` unchanged."""
    s = scores(cms, f_idx)
    present = (s["support"] > 0) | (s["predicted"] > 0)
    f1 = s["f1"]
    with np.errstate(divide="ignore", invalid="ignore"):
        macro = np.where(present.any(-1), (f1 * present).sum(-1) / present.sum(-1), np.nan)
    return {**s, "macro_f1": macro}


def per_target(p: Predictions, L: int, f_idx) -> dict:
    """Every confusion-based score per target (pooled over folds and repeats): F_avg as
    SemEval's ``eval.pl`` computes it on the target's rows (``present_scores``), macro-F1
    over the labels present in that target; empty when the data has a single target."""
    return _per_key(p, p.targets, L, f_idx)


def per_article(p: Predictions, L: int, f_idx) -> dict:
    """The same scores per article (rows of no article, the templated contrast cases,
    left out); empty unless the predictions span two or more articles."""
    return _per_key(p, p.articles, L, f_idx, skip_blank=True)


def _per_key(p: Predictions, keys, L: int, f_idx, skip_blank: bool = False) -> dict:
    if keys is None:
        return {}
    keys = keys.astype(str)
    rows = keys != "" if skip_blank else np.ones(len(keys), dtype=bool)
    names, t = np.unique(keys[rows], return_inverse=True)
    if len(names) < 2:
        return {}
    cms = confusions(p.gold[rows], p.pred[rows], L, t, len(names), width(L, p.pred))
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
) -> ViewMetrics:
    """All metrics of a view: pooled, per class, per repeat (mean and std), per fold, CIs."""
    labels = list(labels)
    L = len(labels)
    W = width(L, p.pred)
    f_idx = [labels.index(lab) for lab in f_avg_labels]
    cm = confusion(p.gold, p.pred, L, W)
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
                "predicted": int(pooled["predicted"][i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion_matrix": cm[:, :L].tolist(),
    }
    if W > L:  # abstentions per gold label: the confusion matrix's no-answer column
        result["no_answer"] = cm[:, L].tolist()
    if p.proba is not None:
        result["pooled"]["log_loss"] = log_loss(p.proba, p.gold)

    keys, k = np.unique(np.stack([p.repeat, p.fold], axis=1), axis=0, return_inverse=True)
    fold_cms = confusions(p.gold, p.pred, L, k.reshape(-1), len(keys), W)
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
        s = scores(confusion(p.gold[mask], p.pred[mask], L, W), f_idx)
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
    if p.articles is not None and (by_article := per_article(p, L, f_idx)):
        result["per_article"] = by_article
    result["ci"] = intervals(p, labels, f_idx, n_boot, level, random_state)
    if "open" in result["ci"]:  # sides beyond the resamples: null in ci, named here
        result["ci_open"] = result["ci"].pop("open")
    return _clean(result)


def answer_counts(gold: np.ndarray, reasons: np.ndarray, policy: str, n_labels: int) -> dict:
    """What a model that can abstain answered (``bench.runs.Answers``): every row asked,
    ``reasons`` "" where it answered a label of the task, else why not
    (``bench.labels.ABSTAIN_REASONS``)."""
    from bench.labels import ABSTAIN_REASONS

    reasons = np.asarray(reasons).astype(str)
    abstained = reasons != ""
    asked, n_abstained = len(reasons), int(abstained.sum())
    return _clean(
        {
            "policy": policy,
            "asked": asked,
            "answered": asked - n_abstained,
            "abstained": n_abstained,
            "by_reason": {r: int((reasons == r).sum()) for r in ABSTAIN_REASONS},
            "abstained_by_gold": np.bincount(
                np.asarray(gold, dtype=np.int64)[abstained], minlength=n_labels
            ).tolist(),
            "scored": asked - n_abstained if policy == "drop" else asked,
            "coverage": (asked - n_abstained) / asked if asked else None,
        }
    )


# ------------------------------------------------------------------ the contrast suite
def by_test_type(p: Predictions, labels: list[str], f_avg_labels) -> dict:
    """Every metric per test type (invariance, directional, mft), and their mean: the
    contrast view's ``balanced`` score. Invariance cases keep their source's label and
    mostly its target, so a model that reads only the target passes them; weighting the
    three types equally keeps them from being half of the score."""
    assert p.test_type is not None
    kinds, k = np.unique(p.test_type.astype(str), return_inverse=True)
    f_idx = [labels.index(lab) for lab in f_avg_labels]
    cms = confusions(p.gold, p.pred, len(labels), k, len(kinds), width(len(labels), p.pred))
    s = scores(cms, f_idx)
    by_type = {str(t): {m: s[m][i] for m in NAMED} for i, t in enumerate(kinds)}
    balanced = {
        m: float(np.mean([by_type[t][m] for t in by_type])) if by_type else None for m in NAMED
    }
    return _clean({"by_test_type": by_type, "balanced": balanced})


def capabilities(cases, p: Predictions, labels: list[str]) -> list[dict]:
    """Failure rate per capability of the contrast suite, with two failing examples.
    ``cases`` (a frame: id, text, capability, test_type) holds the row of each prediction."""
    cap = cases["capability"].to_numpy()
    kind = cases["test_type"].to_numpy()
    ids, texts = cases["id"].to_numpy(), cases["text"].to_numpy()
    wrong = p.pred != p.gold
    out = []
    for name in sorted(set(cap.tolist())):
        mask = cap == name
        n, k = int(mask.sum()), int(wrong[mask].sum())
        lo, hi = proportion_interval(k, n)
        failing = np.flatnonzero(mask & wrong)[:2]
        out.append(
            {
                "capability": str(name),
                "kind": str(kind[mask][0]),
                "n": n,
                "failures": k,
                "failure_rate": k / n,
                "ci": [lo, hi],
                "examples": [
                    {
                        "id": str(ids[i]),
                        "text": str(texts[i]),
                        "expected": labels[int(p.gold[i])],
                        "predicted": label_name(labels, int(p.pred[i])),
                    }
                    for i in failing
                ],
            }
        )
    return out
