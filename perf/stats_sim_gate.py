"""Issue 24's gate sections of perf/stats_sim.py (registered in its ``SECTIONS``): the gate
over a family of rows, on a model of the seed's layout. Run them through stats_sim.py:

    python perf/stats_sim.py --only fwer,power,maxdrop,mde,ci,reference,repeats [--procs maxt]

Kept in a module of their own so that their data model (the model of the tiers sections,
drawn in the same order) and their numbers stay as they were validated.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small matrices: BLAS threads cost more than they give

import numpy as np  # noqa: E402
from scipy.special import ndtri  # noqa: E402

from bench.metrics import scores  # noqa: E402
from bench.stats import FamilyRow, flip_family, holm, replicates, sign_flip_test  # noqa: E402

L = 4
REPEATS = 5
COPY = 0.85
SD_SHARED_CLUSTER, SD_SHARED_ITEM = 1.0, 0.5
SD_OWN_CLUSTER, SD_OWN_ITEM = 0.8, 0.5
MU = 0.6
ALPHA = 0.05


def macro_f1(cms: np.ndarray) -> np.ndarray:
    return scores(cms, [0, 1])["macro_f1"]


# =========================================================================================
# The gate over a family of rows (issue 24): the data model of the seed's layout
# =========================================================================================
# 25 items in 19 sentence groups (14 of one item, 4 of two, 1 of three), gold labels
# support / condemn / skeptical / fact in 9 / 3 / 4 / 9; at 100 groups the same mix of
# group sizes (131 items) with labels drawn at those prevalences. Views of a run: cv (5
# repeats of CV: each later repeat copies an item's first prediction with probability
# .85), cross_target (one prediction per item, harder; its right/wrong copies cv's with
# probability VIEW_COPY), contrast (4 invariance cases and, with probability .8, one
# directional case per item, in the item's sentence group; plus the MFT suite: 19 phrases
# x 4 targets grouped by phrase, the 4 targets predicted identically with probability
# .95). P(right) = sigmoid(mu + view offset + shared effects (hard sentences are hard for
# every model) + the run's own effects, shared by its views with correlation RHO_VIEW).
# A wrong prediction goes to a label fixed per (run, item).
PREV = np.array([9, 3, 4, 9]) / 25
RHO_VIEW = 0.8
VIEW_MU = {"cv": 0.0, "cross_target": -0.8, "contrast": -0.4, "mft": 0.3}
MFT_LABELS = np.array([0] * 4 + [1] * 4 + [2] * 4 + [3] * 4 + [2] * 3)  # 19 phrases
MFT_TARGETS = 4
MFT_COPY = 0.95
VIEW_COPY = 0.45
N_BOOT = 2000  # the gate's default rounds (joint flips: N_BOOT - 1 and the data)
VIEWS = ("cv", "cross_target", "contrast")
GATE_GROUPS = (19, 100)


def f1_macro(cms: np.ndarray) -> np.ndarray:
    """bench.metrics.scores(cms, ...)["macro_f1"] without the other scores (F1 = 2 tp /
    (gold + predicted), 0 when both are 0; checked against it in ``_check_f1``)."""
    tp = np.diagonal(cms, axis1=-2, axis2=-1)
    den = cms.sum(axis=-1) + cms.sum(axis=-2)
    return np.divide(2 * tp, den, out=np.zeros_like(tp), where=den > 0).mean(axis=-1)


def _check_f1(rng: np.random.Generator) -> None:
    cms = rng.integers(0, 4, size=(50, L, L)).astype(np.float64)
    cms[:5, 2] = cms[:5, :, 2] = 0  # an absent label
    assert np.allclose(f1_macro(cms), macro_f1(cms), atol=1e-12)


@dataclass(frozen=True)
class Layout:
    G: int
    group: np.ndarray  # (N,) item -> sentence group
    gold: np.ndarray
    case_item: np.ndarray  # contrast case -> source item
    case_gold: np.ndarray
    case_dir: np.ndarray  # directional (else invariance)
    mft_phrase: np.ndarray
    mft_gold: np.ndarray

    @property
    def N(self) -> int:
        return len(self.gold)


def group_sizes(G: int) -> np.ndarray:
    if G == 19:
        return np.array([1] * 14 + [2] * 4 + [3])
    n2, n3 = round(G * 4 / 19), round(G * 1 / 19)
    return np.array([1] * (G - n2 - n3) + [2] * n2 + [3] * n3)


def layout(rng: np.random.Generator, G: int) -> Layout:
    group = np.repeat(np.arange(G), group_sizes(G))
    N = len(group)
    if G == 19:
        gold = rng.permutation(np.repeat(np.arange(L), [9, 3, 4, 9]))
    else:
        gold = rng.choice(L, size=N, p=PREV)
    n_dir = rng.random(N) < 0.8
    case_item = np.concatenate([np.repeat(np.arange(N), 4), np.flatnonzero(n_dir)])
    case_dir = np.concatenate([np.zeros(4 * N, bool), np.ones(int(n_dir.sum()), bool)])
    flip = np.array([1, 0, 3, 3])  # support <-> condemn, skeptical -> fact, fact -> fact
    case_gold = np.where(case_dir, flip[gold[case_item]], gold[case_item])
    case_gold = np.where(case_dir & (case_gold == gold[case_item]), 0, case_gold)
    mft_phrase = np.repeat(np.arange(len(MFT_LABELS)), MFT_TARGETS)
    return Layout(
        G, group, gold, case_item, case_gold, case_dir, mft_phrase, MFT_LABELS[mft_phrase]
    )


@dataclass(frozen=True)
class Shared:
    """Effects shared by every model (hard sentences are hard for all)."""

    u: np.ndarray
    e: np.ndarray
    e_case: np.ndarray
    u_phrase: np.ndarray


def shared(rng: np.random.Generator, lay: Layout) -> Shared:
    return Shared(
        SD_SHARED_CLUSTER * rng.standard_normal(lay.G),
        SD_SHARED_ITEM * rng.standard_normal(lay.N),
        0.5 * rng.standard_normal(len(lay.case_item)),
        SD_SHARED_CLUSTER * rng.standard_normal(len(MFT_LABELS)),
    )


@dataclass(frozen=True)
class RunPreds:
    cv: np.ndarray  # (R, N)
    ct: np.ndarray
    con: np.ndarray
    mft: np.ndarray


def _sig(x):
    return 1 / (1 + np.exp(-x))


def draw_run(rng, lay: Layout, sh: Shared, mu: float, repeats: int = REPEATS) -> RunPreds:
    G, N = lay.G, lay.N
    a, b = math.sqrt(RHO_VIEW), math.sqrt(1 - RHO_VIEW)
    common_g, common_i = rng.standard_normal(G), rng.standard_normal(N)
    wrong_item = (lay.gold + 1 + rng.integers(0, L - 1, N)) % L

    def own() -> np.ndarray:
        g = a * common_g + b * rng.standard_normal(G)
        i = a * common_i + b * rng.standard_normal(N)
        return SD_OWN_CLUSTER * g[lay.group] + SD_OWN_ITEM * i

    base = sh.u[lay.group] + sh.e
    right = rng.random((repeats, N)) < _sig(mu + VIEW_MU["cv"] + base + own())
    copy = rng.random((repeats, N)) < COPY
    copy[0] = False
    right = np.where(copy, right[0], right)
    cv = np.where(right, lay.gold, wrong_item)
    p = _sig(mu + VIEW_MU["cross_target"] + base + own())
    right_ct = np.where(rng.random(N) < VIEW_COPY, right[0], rng.random(N) < p)
    ct = np.where(right_ct, lay.gold, wrong_item)
    src = lay.case_item
    o = own()
    p = _sig(mu + VIEW_MU["contrast"] + base[src] + o[src] + sh.e_case)
    wrong = (lay.case_gold + 1 + rng.integers(0, L - 1, len(src))) % L
    same = ~lay.case_dir & (rng.random(len(src)) < VIEW_COPY)  # invariance: like its source
    right_con = np.where(same, right[0][src], rng.random(len(src)) < p)
    con = np.where(right_con, lay.case_gold, wrong)
    nP = len(MFT_LABELS)
    own_phrase = math.hypot(SD_OWN_CLUSTER, SD_OWN_ITEM) * rng.standard_normal(nP)
    p = _sig(mu + VIEW_MU["mft"] + sh.u_phrase + own_phrase)
    phrase_pred = np.where(
        rng.random(nP) < p, MFT_LABELS, (MFT_LABELS + 1 + rng.integers(0, L - 1, nP)) % L
    )
    ph = lay.mft_phrase
    fresh_right = rng.random(len(ph)) < p[ph]
    fresh = np.where(
        fresh_right, lay.mft_gold, (lay.mft_gold + 1 + rng.integers(0, L - 1, len(ph))) % L
    )
    mft = np.where(rng.random(len(ph)) < MFT_COPY, phrase_pred[ph], fresh)
    return RunPreds(cv, ct, con, mft)


def mix(lay: Layout, base: RunPreds, other: RunPreds, rng, q: float) -> RunPreds:
    """A small shared code change: each item (with its contrast cases) and each MFT phrase
    takes, with probability q, the predictions of an equally good independent draw."""
    hit = rng.random(lay.N) < q
    hit_p = rng.random(len(MFT_LABELS)) < q
    return RunPreds(
        np.where(hit[None], other.cv, base.cv),
        np.where(hit, other.ct, base.ct),
        np.where(hit[lay.case_item], other.con, base.con),
        np.where(hit_p[lay.mft_phrase], other.mft, base.mft),
    )


def _counts(unit, gold, pred, U) -> np.ndarray:
    code = (np.ravel(unit) * L + np.ravel(gold)) * L + np.ravel(pred)
    return np.bincount(code.ravel(), minlength=U * L * L).reshape(U, L, L).astype(np.float64)


def view_counts(lay: Layout, r: RunPreds, view: str) -> tuple[np.ndarray, np.ndarray]:
    """(counts (U, L, L), units (U,)) of one view: sentence groups 0..G-1, then the MFT
    phrase groups."""
    G = lay.G
    if view == "cv":
        R = r.cv.shape[0]
        return _counts(np.tile(lay.group, R), np.tile(lay.gold, R), r.cv, G), np.arange(G)
    if view == "cross_target":
        return _counts(lay.group, lay.gold, r.ct, G), np.arange(G)
    U = G + len(MFT_LABELS)
    unit = np.concatenate([lay.group[lay.case_item], G + lay.mft_phrase])
    gold = np.concatenate([lay.case_gold, lay.mft_gold])
    return _counts(unit, gold, np.concatenate([r.con, r.mft]), U), np.arange(U)


def score_counts(lay: Layout, r: RunPreds) -> np.ndarray:
    """(U, 4, L, L) counts of the rank score's components (cross_target, invariance,
    directional, mft) over G + 19 units."""
    G, U = lay.G, lay.G + len(MFT_LABELS)
    out = np.zeros((U, 4, L, L))
    out[:G, 0] = _counts(lay.group, lay.gold, r.ct, G)
    g = lay.group[lay.case_item]
    for c, mask in ((1, ~lay.case_dir), (2, lay.case_dir)):
        out[:G, c] = _counts(g[mask], lay.case_gold[mask], r.con[mask], G)
    out[G:, 3] = _counts(lay.mft_phrase, lay.mft_gold, r.mft, len(MFT_LABELS))
    return out


def rank_score(cms: np.ndarray) -> np.ndarray:
    """(n, 4, L, L) -> the rank score as bench.ranking weighs it: (cross_target + the mean
    of the contrast suite's three test types) / 2."""
    f = f1_macro(cms)
    return 0.5 * f[..., 0] + 0.5 * f[..., 1:].mean(axis=-1)


@dataclass(frozen=True)
class Family:
    rows: list  # bench.stats.FamilyRow
    changed: list  # per row: its config really changed


def make_family(rng, G, n_configs, scenario, *, drop_shift=0.0, q=0.15, repeats=REPEATS) -> Family:
    """scenario: equal (every config re-drawn, same skill) | one-drop-identical (config 0
    drops by ``drop_shift`` on the logit scale, the others unchanged: identical runs) |
    one-drop-equal (the others re-drawn) | one-drop-shared (the others change a little:
    a fraction q of items re-predicted) | drop (every config drops; for the MDE)."""
    lay = layout(rng, G)
    sh = shared(rng, lay)
    rows, changed = [], []
    mus = MU + np.linspace(0.6, -0.6, n_configs) if n_configs > 1 else np.array([MU + 0.6])
    for j in range(n_configs):
        mu = float(mus[j])
        b = draw_run(rng, lay, sh, mu, repeats)
        is_changed = scenario == "drop" or (scenario.startswith("one-drop") and j == 0)
        if is_changed:
            c = draw_run(rng, lay, sh, mu - drop_shift, repeats)
        elif scenario in ("equal", "one-drop-equal"):
            c = draw_run(rng, lay, sh, mu, repeats)
        elif scenario == "one-drop-shared":
            c = mix(lay, b, draw_run(rng, lay, sh, mu, repeats), rng, q)
        else:
            c = b
        for v in VIEWS:
            cb, units = view_counts(lay, b, v)
            cc, _ = view_counts(lay, c, v)
            rows.append(FamilyRow(cb, cc, units, f1_macro, f"c{j}/{v}"))
            changed.append(is_changed)
    return Family(rows, changed)


def _boot_deltas(rng, base: np.ndarray, cand: np.ndarray, n: int) -> np.ndarray:
    """Paired cluster-bootstrap deltas of macro-F1: one draw of the units for both runs."""
    G = base.shape[0]
    idx = rng.integers(0, G, size=(n, G)) + G * np.arange(n)[:, None]  # n draws of G groups
    w = np.bincount(idx.ravel(), minlength=n * G).reshape(n, G).astype(np.float64)
    fb, fc = base.reshape(G, -1), cand.reshape(G, -1)
    return f1_macro((w @ fc).reshape(n, L, L)) - f1_macro((w @ fb).reshape(n, L, L))


def before_decider(rng, rows, alpha=ALPHA) -> np.ndarray:
    """What the gate did before issue 24: each row's paired expanded-percentile bootstrap
    p-value (B = 2000; one draw of the units for every row on the same units, as compare
    drew them with one seed), Holm over every row (identical rows included)."""
    p = np.ones(len(rows))
    by_units: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        by_units.setdefault(r.base.shape[0], []).append(i)
    for U, idx in by_units.items():
        idx = [i for i in idx if rows[i].delta != 0]
        if not idx:
            continue
        F = np.concatenate(
            [np.stack([rows[i].base, rows[i].cand], 1).reshape(U, -1) for i in idx], 1
        )
        w = np.bincount(
            (rng.integers(0, U, size=(N_BOOT, U)) + U * np.arange(N_BOOT)[:, None]).ravel(),
            minlength=N_BOOT * U,
        ).reshape(N_BOOT, U)
        v = f1_macro((w @ F).reshape(N_BOOT, len(idx), 2, L, L))
        for j, i in enumerate(idx):
            reps = replicates(
                v[:, j, 1] - v[:, j, 0], rows[i].delta, method="expanded", n_clusters=U
            )
            p[i] = reps.p_value()
    return holm(p) < alpha


PROCS = ("maxt",)  # the default: the shipped decider only (--procs before,maxt,tarone-holm)
PROC_LABEL = {
    "before": "before (bootstrap B = 2000, Holm over all m)",
    "tarone-holm": "sign flip per row, Tarone-Holm",
    "maxt": "**joint sign flips, step-down max-T (shipped)**",
}


def decide_all(rng, fam: Family, procs=PROCS) -> dict:
    out: dict = {"k": np.array([r.n_discordant for r in fam.rows])}
    out["delta"] = np.array([r.delta for r in fam.rows])
    if "before" in procs:
        out["before"] = before_decider(rng, fam.rows)
    for method in ("maxt", "tarone-holm"):
        if method in procs:
            dec = flip_family(fam.rows, alpha=ALPHA, method=method, n_flips=N_BOOT - 1, rng=rng)
            out[method] = np.array([d.significant for d in dec])
            out[f"{method}-dec"] = dec
    return out


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def fmt(p: float, n: int) -> str:
    return f"{p:.3f} ({_se(p, n):.3f})"


def calibrate_drop(seed: int, G: int, target: float = 0.40) -> float:
    """Logit shift whose mean cv macro-F1 drop is ``target`` (bisection, 300 sets)."""
    lo, hi = 0.0, 6.0
    for _ in range(14):
        mid = (lo + hi) / 2
        r2 = np.random.default_rng(seed)
        drops = []
        for _ in range(300):
            lay = layout(r2, G)
            sh = shared(r2, lay)
            b, c = draw_run(r2, lay, sh, MU + 0.6), draw_run(r2, lay, sh, MU + 0.6 - mid)
            cb, cc = view_counts(lay, b, "cv")[0], view_counts(lay, c, "cv")[0]
            drops.append(f1_macro(cb.sum(0)[None])[0] - f1_macro(cc.sum(0)[None])[0])
        lo, hi = (mid, hi) if np.mean(drops) < target else (lo, mid)
    return (lo + hi) / 2


# ---------------------------------------------------------------------- the cells
def task_fwer(G, n_configs, reps, seed, procs, repeats=REPEATS):
    rng = np.random.default_rng(seed)
    rej = dict.fromkeys(procs, 0)
    ks, deltas = [], []
    for _ in range(reps):
        fam = make_family(rng, G, n_configs, "equal", repeats=repeats)
        res = decide_all(rng, fam, procs)
        for p in procs:
            rej[p] += int(res[p].any())
        ks.append(res["k"].mean())
        deltas.append(res["delta"].reshape(n_configs, len(VIEWS)))
    d = np.concatenate(deltas)
    return {
        "rates": {p: rej[p] / reps for p in procs},
        "k": float(np.mean(ks)),
        "corr": float(np.corrcoef(d[:, 0], d[:, 1])[0, 1]),
    }


def task_power(G, scenario, reps, seed, drop, procs, n_configs=18, repeats=REPEATS):
    rng = np.random.default_rng(seed)
    hit = dict.fromkeys(procs, 0)
    false = dict.fromkeys(procs, 0)
    bound = single = 0
    drops, ks = [], []
    for _ in range(reps):
        fam = make_family(rng, G, n_configs, scenario, drop_shift=drop, repeats=repeats)
        res = decide_all(rng, fam, procs)
        ch = np.array(fam.changed)
        for p in procs:
            hit[p] += int(res[p][0])  # row 0: the changed config's cv row
            false[p] += int(res[p][~ch].any())
        bound += int(res["maxt-dec"][0].reachable)
        single += int(sign_flip_test(fam.rows[0], rng=rng).p_value <= ALPHA)
        drops.append(-res["delta"][0])
        ks.append(res["k"][0])
    return {
        "power": {p: hit[p] / reps for p in procs},
        "false": {p: false[p] / reps for p in procs},
        "bound": bound / reps,
        "single": single / reps,
        "drop": float(np.mean(drops)),
        "k": float(np.mean(ks)),
    }


def task_mde(G, shifts, reps, seed):
    """One config (3 rows), every row dropping by a logit shift: the cv row's power, its
    reported MDE (the shipped flip_mde), and the MDE before (z at the Holm level,
    bootstrap se) with that procedure's power."""
    rng = np.random.default_rng(seed)
    out = []
    for s in shifts:
        sig = sig_old = 0
        new, old, deltas, verdicts = [], [], [], []
        for _ in range(reps):
            fam = make_family(rng, G, 1, "drop", drop_shift=s)
            d0 = flip_family(fam.rows, alpha=ALPHA, n_flips=N_BOOT - 1, rng=rng)[0]
            sig += int(d0.significant)
            new.append(np.nan if d0.mde.value is None else d0.mde.value)
            deltas.append(d0.delta)
            verdicts.append((d0.significant, d0.mde.value, abs(d0.delta)))
            ps, ses = [], []
            for r in fam.rows:
                v = _boot_deltas(rng, r.base, r.cand, N_BOOT)
                G_ = r.base.shape[0]
                ps.append(
                    1.0
                    if r.delta == 0
                    else replicates(v, r.delta, method="expanded", n_clusters=G_).p_value()
                )
                ses.append(v.std(ddof=1))
            q = holm(ps)
            sig_old += int(q[0] < ALPHA)
            a_row = ALPHA * ps[0] / q[0] if q[0] > 0 else ALPHA
            ok = fam.rows[0].n_discordant >= 10 and ses[0] > 0
            old.append((ndtri(1 - a_row / 2) + ndtri(0.8)) * ses[0] if ok else np.nan)
        out.append(
            {
                "shift": s,
                "delta": -float(np.mean(deltas)),
                "power_new": sig / reps,
                "power_old": sig_old / reps,
                "mde_new": float(np.nanmedian(new)) if np.isfinite(new).any() else np.nan,
                "mde_na": float(np.mean(np.isnan(new))),
                "mde_old": float(np.nanmedian(old)) if np.isfinite(old).any() else np.nan,
                "verdicts": verdicts,
            }
        )
    return out


def task_maxdrop(G, reps, seed, q=0.15, taus=(0.02, 0.05, 0.10, 0.20)):
    """How often "fail on a rank-score drop > tau that is not significant" fires with no
    true effect: 18 configs after a shared code change (a fraction q of items re-predicted
    by equally good models), and one config re-drawn (a new seed)."""
    rng = np.random.default_rng(seed)
    any_drop = dict.fromkeys(taus, 0)
    one_drop = dict.fromkeys(taus, 0)
    for _ in range(reps):
        lay = layout(rng, G)
        sh = shared(rng, lay)
        drops, d1 = [], 0.0
        for j, mu in enumerate(MU + np.linspace(0.6, -0.6, 18)):
            b = draw_run(rng, lay, sh, float(mu), repeats=1)
            other = draw_run(rng, lay, sh, float(mu), repeats=1)
            c = mix(lay, b, other, rng, q)
            sb, sc = score_counts(lay, b).sum(0), score_counts(lay, c).sum(0)
            drops.append(rank_score(sb[None])[0] - rank_score(sc[None])[0])
            if j == 0:
                d1 = rank_score(sb[None])[0] - rank_score(score_counts(lay, other).sum(0)[None])[0]
        for t in taus:
            any_drop[t] += int(max(drops) > t)
            one_drop[t] += int(d1 > t)
    return {
        "any": {t: v / reps for t, v in any_drop.items()},
        "one": {t: v / reps for t, v in one_drop.items()},
    }


def task_ci(G, shifts, reps, seed):
    """Coverage of the printed interval delta +- critical (one config, 3 rows) of the mean
    delta, and how often the bootstrap interval at the same per-row level would
    contradict the verdict."""
    rng = np.random.default_rng(seed)
    out = []
    for sft in shifts:
        ds, lo_, hi_, contra = [], [], [], 0
        for _ in range(reps):
            fam = make_family(rng, G, 1, "drop", drop_shift=sft)
            d0 = flip_family(fam.rows, alpha=ALPHA, n_flips=N_BOOT - 1, rng=rng)[0]
            c = d0.critical if math.isfinite(d0.critical) else math.inf
            ds.append(d0.delta)
            lo_.append(d0.delta - c)
            hi_.append(d0.delta + c)
            v = np.sort(_boot_deltas(rng, fam.rows[0].base, fam.rows[0].cand, N_BOOT))
            k = max(0, math.ceil(d0.level / 2 * (N_BOOT + 1)) - 1)
            lo, hi = (v[k - 1], v[N_BOOT - k]) if k > 0 else (-np.inf, np.inf)
            contra += int((lo > 0 or hi < 0) != d0.significant)
        truth = float(np.mean(ds))
        cover = float(np.mean((np.array(lo_) <= truth) & (truth <= np.array(hi_))))
        out.append({"shift": sft, "delta": truth, "cover": cover, "contra": contra / reps})
    return out


def run_cells(jobs: dict, workers: int) -> dict:
    _check_f1(np.random.default_rng(0))
    with ProcessPoolExecutor(workers) as pool:
        futures = {k: pool.submit(f, *a) for k, (f, a) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


def _seeds(seed: np.random.SeedSequence, n: int):
    return iter(seed.spawn(n))


# ------------------------------------------------------------------------- sections
def section_fwer(args, seed) -> str:
    """Family-wise error for families of 3, 18 and 54 rows of equal runs."""
    reps = args.reps or (100 if args.quick else 400)
    procs = tuple(args.procs.split(","))
    ss = _seeds(seed, 6)
    jobs = {
        (G, C): (task_fwer, (G, C, reps, next(ss), procs)) for G in GATE_GROUPS for C in (1, 6, 18)
    }
    res = run_cells(jobs, args.workers)
    cols = [(G, C) for G in GATE_GROUPS for C in (1, 6, 18)]
    out = [
        f"### Family-wise error, families of equal runs (any row flagged), alpha {ALPHA}; "
        f"{reps} families per cell, MC s.e. in parentheses",
        "",
        "| procedure | " + " | ".join(f"G={G}, m={3 * C}" for G, C in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for p in procs:
        out.append(
            f"| {PROC_LABEL[p]} | " + " | ".join(fmt(res[c]["rates"][p], reps) for c in cols) + " |"
        )
    ks = ", ".join(f"G={G}: {res[G, 18]['k']:.1f}" for G in GATE_GROUPS)
    cc = ", ".join(f"G={G}: {res[G, 18]['corr']:.2f}" for G in GATE_GROUPS)
    bound = ALPHA + 2 * _se(ALPHA, reps)
    out += [
        "",
        f"Bound alpha + 2 s.e. = {bound:.3f}. Mean differing groups per row at m=54: {ks}; "
        f"correlation of the cv and cross_target deltas of a config: {cc}.",
    ]
    return "\n".join(out)


def _drops(args) -> dict[int, float]:
    return {G: calibrate_drop(args.seed + G, G, 0.40) for G in GATE_GROUPS}


SCENARIOS = (
    ("one-drop-identical", "unchanged (identical predictions)"),
    ("one-drop-equal", "re-drawn (equal skill: e.g. every seed changed)"),
    ("one-drop-shared", "a shared change (15% of items re-predicted)"),
)


def section_power(args, seed) -> str:
    """Power to flag one config's cv row (macro-F1 drop 0.40) among 18 configs x 3 views."""
    reps = args.reps or (50 if args.quick else 200)
    procs = tuple(args.procs.split(","))
    drop = _drops(args)
    ss = _seeds(seed, 6)
    jobs = {
        (G, sc): (task_power, (G, sc, reps, next(ss), drop[G], procs))
        for G in GATE_GROUPS
        for sc, _ in SCENARIOS
    }
    res = run_cells(jobs, args.workers)
    out = [
        f"### Power to flag config 0's cv row (macro-F1 drop ~0.40), 18 configs x 3 views = "
        f"54 rows; {reps} families per cell",
        "",
        "| the other 17 configs | G | mean drop | differing groups | "
        + " | ".join(PROC_LABEL[p] for p in procs)
        + " | bound: the row can reach the critical value | that row alone at .05 |",
        "|---" * (6 + len(procs)) + "|",
    ]
    for G in GATE_GROUPS:
        for sc, lab in SCENARIOS:
            r = res[G, sc]
            out.append(
                f"| {lab} | {G} | {r['drop']:.3f} | {r['k']:.1f} | "
                + " | ".join(fmt(r["power"][p], reps) for p in procs)
                + f" | {r['bound']:.3f} | {r['single']:.3f} |"
            )
    out += ["", "False flags among the 17 other configs (any of their 51 rows):", ""]
    out += ["| the other 17 configs | G | " + " | ".join(PROC_LABEL[p] for p in procs) + " |"]
    out += ["|---" * (2 + len(procs)) + "|"]
    for G in GATE_GROUPS:
        for sc, lab in SCENARIOS[1:]:
            r = res[G, sc]
            out.append(
                f"| {lab} | {G} | " + " | ".join(fmt(r["false"][p], reps) for p in procs) + " |"
            )
    shifts = ", ".join(f"G={G}: {drop[G]:.2f}" for G in GATE_GROUPS)
    out += ["", f"(logit shifts giving a 0.40 drop: {shifts})"]
    return "\n".join(out)


def section_repeats(args, seed) -> str:
    """Do the 5 CV repeats matter? FWER and power at 19 groups, 54 rows, 1 vs 5 repeats."""
    reps_f = args.reps or (50 if args.quick else 150)
    reps_p = args.reps or (50 if args.quick else 150)
    procs = tuple(args.procs.split(","))
    drop = calibrate_drop(args.seed + 19, 19, 0.40)
    ss = _seeds(seed, 4)
    jobs = {}
    for R in (1, 5):
        jobs["fwer", R] = (task_fwer, (19, 18, reps_f, next(ss), procs, R))
        jobs["power", R] = (
            task_power,
            (19, "one-drop-equal", reps_p, next(ss), drop, procs, 18, R),
        )
    res = run_cells(jobs, args.workers)
    out = [
        "### CV repeats: 54 rows at 19 groups, the other configs re-drawn",
        "",
        "| repeats | "
        + " | ".join(f"FWER {PROC_LABEL[p]}" for p in procs)
        + " | "
        + " | ".join(f"power {PROC_LABEL[p]}" for p in procs)
        + " |",
        "|---" * (1 + 2 * len(procs)) + "|",
    ]
    for R in (1, 5):
        f, p_ = res["fwer", R], res["power", R]
        out.append(
            f"| {R} | "
            + " | ".join(fmt(f["rates"][q], reps_f) for q in procs)
            + " | "
            + " | ".join(fmt(p_["power"][q], reps_p) for q in procs)
            + " |"
        )
    return "\n".join(out)


def _power_at_mde(pts, mde_key, pow_key) -> float:
    """Power where the true drop equals the median reported MDE (linear interpolation)."""
    x = np.array([p["delta"] - p[mde_key] for p in pts], dtype=float)
    y = np.array([p[pow_key] for p in pts])
    ok = np.isfinite(x)
    x, y = x[ok], y[ok]
    if len(x) < 2 or not (x.min() <= 0 <= x.max()):
        return float("nan")
    o = np.argsort(x)
    return float(np.interp(0.0, x[o], y[o]))


def section_mde(args, seed) -> str:
    """The MDE and the power it really has (one config, 3 rows, the cv row)."""
    reps = args.reps or (50 if args.quick else 200)
    grid = {19: (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0), 100: (0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.2)}
    ss = _seeds(seed, 2)
    res = run_cells(
        {G: (task_mde, (G, grid[G], reps, next(ss))) for G in GATE_GROUPS}, args.workers
    )
    out = [
        f"### MDE and its real power (one config, 3 rows; cv row; {reps} families per point)",
        "",
        "| G | logit shift | true drop | power (shipped) | median MDE (share n/a) | "
        "power before | median MDE before |",
        "|---" * 7 + "|",
    ]
    for G in GATE_GROUPS:
        for r in res[G]:
            out.append(
                f"| {G} | {r['shift']} | {r['delta']:.3f} | {fmt(r['power_new'], reps)} | "
                f"{r['mde_new']:.3f} ({r['mde_na']:.2f}) | {r['power_old']:.3f} | "
                f"{r['mde_old']:.3f} |"
            )
    out += ["", "| G | power at a true drop equal to the median reported MDE: shipped | before |"]
    out += ["|---|---|---|"]
    for G in GATE_GROUPS:
        new = _power_at_mde(res[G], "mde_new", "power_new")
        old = _power_at_mde(res[G], "mde_old", "power_old")
        out.append(f"| {G} | {new:.3f} | {old:.3f} |")
    out += [
        "",
        "Non-significant cv rows: share that is inconclusive under the rule MDE > |delta| "
        "(or n/a), and under a tolerance fixed in advance (MDE > tolerance or n/a):",
        "",
        "| G | logit shift | non-significant | MDE > abs delta | tolerance .10 | tolerance .20 |",
        "|---" * 6 + "|",
    ]
    for G in GATE_GROUPS:
        for r in res[G]:
            ns = [(m, d) for s, m, d in r["verdicts"] if not s]
            if not ns:
                continue
            a = np.mean([m is None or m > d for m, d in ns])
            b = np.mean([m is None or m > 0.10 for m, _ in ns])
            c = np.mean([m is None or m > 0.20 for m, _ in ns])
            share = len(ns) / len(r["verdicts"])
            out.append(f"| {G} | {r['shift']} | {share:.3f} | {a:.3f} | {b:.3f} | {c:.3f} |")
    return "\n".join(out)


def section_maxdrop(args, seed) -> str:
    """Choosing --max-drop: how often a rank-score drop > tau happens with no true effect."""
    reps = args.reps or (200 if args.quick else 1000)
    ss = _seeds(seed, 2)
    res = run_cells({G: (task_maxdrop, (G, reps, next(ss))) for G in GATE_GROUPS}, args.workers)
    taus = (0.02, 0.05, 0.10, 0.20)
    out = [
        f"### --max-drop: share of changes without a true effect whose rank-score drop exceeds "
        f"tau ({reps} sets per cell)",
        "",
        "| G | situation | " + " | ".join(f"tau = {t}" for t in taus) + " |",
        "|---" * (2 + len(taus)) + "|",
    ]
    for G in GATE_GROUPS:
        r = res[G]
        out.append(
            f"| {G} | any of 18 configs, a shared change (15% of items re-predicted) | "
            + " | ".join(fmt(r["any"][t], reps) for t in taus)
            + " |"
        )
        out.append(
            f"| {G} | one config re-drawn (a new seed) | "
            + " | ".join(fmt(r["one"][t], reps) for t in taus)
            + " |"
        )
    return "\n".join(out)


def section_ci(args, seed) -> str:
    """The printed interval delta +- critical: coverage, and the bootstrap's contradictions."""
    reps = args.reps or (50 if args.quick else 200)
    grid = {19: (0.0, 1.0, 2.0, 3.0), 100: (0.0, 0.4, 0.8)}
    ss = _seeds(seed, 2)
    res = run_cells({G: (task_ci, (G, grid[G], reps, next(ss))) for G in GATE_GROUPS}, args.workers)
    out = [
        f"### The printed interval (one config, 3 rows, cv row; {reps} sets per point)",
        "",
        "| G | logit shift | mean delta | covers the mean delta | a bootstrap interval at "
        "the same level would contradict the verdict |",
        "|---" * 5 + "|",
    ]
    for G in GATE_GROUPS:
        for r in res[G]:
            out.append(
                f"| {G} | {r['shift']} | {r['delta']:+.3f} | {fmt(r['cover'], reps)} | "
                f"{fmt(r['contra'], reps)} |"
            )
    return "\n".join(out)


def section_reference(args, seed) -> str:
    """The issue's scenario 1 on the committed reference runs, through `compare` itself:
    cue_lexicon's predictions replaced by majority's, the other 17 configs unchanged."""
    import json
    import shutil
    import tempfile
    from pathlib import Path

    from bench.compare import Gate, compare
    from bench.io import dumps_json
    from bench.runs import metrics_digest

    ref = Path(args.reference)
    with tempfile.TemporaryDirectory() as tmp:
        cand = Path(tmp) / "cand"
        shutil.copytree(ref, cand)
        shutil.copy2(cand / "majority" / "predictions.jsonl", cand / "cue_lexicon")
        doc = json.loads((cand / "majority" / "metrics.json").read_text(encoding="utf-8"))
        doc["config"] = "cue_lexicon"
        doc["metrics_sha256"] = metrics_digest(doc)  # consistent, as a re-run writes it
        (cand / "cue_lexicon" / "metrics.json").write_text(dumps_json(doc), encoding="utf-8")
        c = compare(ref, cand, Gate(), random_state=seed.generate_state(1)[0])
    out = [
        "### Scenario 1 on results/reference: cue_lexicon's predictions replaced by majority's",
        "",
        f"{len(c.rows)} rows, {c.family_size} differ (the family); critical |t| "
        f"{c.critical_t:.2f}; {'all ' if c.exact else ''}{c.n_flips} joint flips of "
        f"{c.n_units} sentence groups; gate {'FAILS' if c.failed else 'passes'}.",
        "",
        "| row | Δ | differing groups | p (adj.) | verdict | MDE |",
        "|---|---|---|---|---|---|",
    ]
    for r in c.rows:
        if r.in_family:
            mde = "n/a" if r.mde.value is None else f"{r.mde.value:.3f}"
            out.append(
                f"| {r.config} {r.label} | {r.delta:+.3f} | {r.n_discordant} | "
                f"{r.p_adjusted:.4f} | {r.verdict} | {mde} |"
            )
    return "\n".join(out)


# name -> (the function, a fixed number that seeds it with --seed), for stats_sim.SECTIONS
GATE_SECTIONS = {
    "fwer": (section_fwer, 1),
    "power": (section_power, 2),
    "repeats": (section_repeats, 3),
    "mde": (section_mde, 4),
    "maxdrop": (section_maxdrop, 5),
    "ci": (section_ci, 6),
    "reference": (section_reference, 7),
}
