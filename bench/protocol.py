"""Evaluation protocols: which rows train and which test, fold by fold, seeded.

- ``group_kfold``: repeated stratified group k-fold; groups (sentences) never straddle
  train and test; repeat r shuffles with a seed derived from (seed, r).
- ``leave_one_group_out``: one fold per group.
- ``split``: one fixed train/test split; either a given test set (rows flagged ``is_test``)
  or a seeded grouped split of ``test_size`` (a fraction of the groups).

Folds are data: they depend on the seed and the data only, not on library versions. The
algorithms are ours (no scikit-learn splitter), and their only randomness is
``Generator(PCG64(derived_seed(...))).random(n)``: PCG64's output and its 53-bit doubles
have been fixed since numpy 1.17 (``SeedSequence`` too), whereas helpers such as
``permutation``, ``shuffle`` or ``integers`` are only promised stable per numpy version
(NEP 19). Everything after the draw is integer arithmetic and stable sorts, so no
floating-point rounding or platform can move a row from one fold to another.

Stratified group k-fold, for each repeat:

1. count each group's rows per label, plus its rows of any label as one more column
   (a G x (L + 1) table; that column's share per fold is the fold's size);
2. weigh column l by ``W_l ~ 2**K / T_l**2`` (T_l its rows), so a row of a rare label
   counts for more; a group's weight is ``q = sum_l c_l**2 W_l``;
3. order the groups by rows, largest first, then by weight, heaviest first (rare labels
   first), then by count vector (so identical groups are adjacent), then by a seeded
   random key;
4. place them one by one (first-fit decreasing) in the fold that, in order: lacks most of
   the group's labels; has the lowest load ``p_f = sum_l C_fl c_l W_l`` (adding the group
   there raises the summed variance, across folds, of the label shares and of the size
   share least); has fewest rows;
   comes first. A run of identical groups is placed at once: fold f's j-th copy would go
   in at load ``p_f + j q``, so the run takes the smallest of those keys (a k-way merge).

Cost: O(n) to count, O(G log G) to order, O(G k L) to place, with one small numpy step
per run of identical groups (L runs when every row is its own group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.errors import ProtocolError
from bench.io import sha256_json

# Label weights are integers near 2**62 / (2 (L + 1) T_l**2): loads stay below 2**62.
_WEIGHT_SCALE_BITS = 62
# A run of identical groups is placed in chunks of at most this many (copies x folds) keys.
_MAX_KEYS = 1 << 20


@dataclass(frozen=True)
class Fold:
    repeat: int
    fold: int
    train: np.ndarray  # row indices
    test: np.ndarray


def derived_seed(*parts: int) -> int:
    """A 32-bit seed for a (seed, repeat, fold, ...) tuple; stable across platforms."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def random_keys(seed: int, n: int) -> np.ndarray:
    """n uniform doubles from ``Generator(PCG64(seed)).random``: a stream numpy keeps."""
    return np.random.Generator(np.random.PCG64(seed)).random(n)


def max_stratified_splits(y: np.ndarray, groups: np.ndarray) -> tuple[int, str]:
    """The largest n_splits that gives every class a group in every test fold, and the
    class that limits it: the number of distinct groups holding the rarest class."""
    limits = {lab: len(np.unique(groups[y == lab])) for lab in np.unique(y)}
    label = min(sorted(limits), key=lambda lab: limits[lab])
    return limits[label], str(label)


KINDS = ("group_kfold", "leave_one_group_out", "split")


def make_folds(
    kind: str,
    y,
    groups,
    seed: int,
    *,
    n_splits: int = 3,
    n_repeats: int = 1,
    test_size: float = 0.25,
    is_test: np.ndarray | None = None,
    require_stratified: bool = True,
) -> list[Fold]:
    """The folds of protocol ``kind`` (one of ``KINDS``) for labels ``y`` and ``groups``,
    seeded by ``seed``: ``n_splits`` folds repeated ``n_repeats`` times (group_kfold), one
    fold per group (leave_one_group_out), or one split that tests ``test_size`` of the
    groups (split), or the rows flagged ``is_test`` when given.

    With ``require_stratified=False`` (cross-target evaluation, where groups are targets
    and a label may live in one target only) ``group_kfold`` stratifies as well as it can
    instead of raising when a label is in fewer groups than ``n_splits``.
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    n = len(y)
    if n == 0:
        raise ProtocolError("the dataset has no rows for this task")
    if is_test is not None:
        test = np.flatnonzero(is_test)
        train = np.flatnonzero(~is_test)
        if len(train) == 0 or len(test) == 0:
            raise ProtocolError("a fixed split needs both training and test rows")
        return [Fold(0, 0, train, test)]
    if len(np.unique(y)) < 2:
        raise ProtocolError(f"only one label ({y[0]!r}) in the data; a classifier needs two")
    if kind not in KINDS:
        raise ValueError(f"unknown protocol kind {kind!r}; choose from {', '.join(KINDS)}")
    if kind == "leave_one_group_out":
        uniq = np.unique(groups)
        if len(uniq) < 2:
            raise ProtocolError(
                f"leave_one_group_out needs two groups or more; the data has {len(uniq)} "
                "(every row in one group leaves nothing to train on)"
            )
        return [
            Fold(0, i, np.flatnonzero(groups != g), np.flatnonzero(groups == g))
            for i, g in enumerate(uniq)
        ]
    if kind == "split":
        return [_grouped_split(groups, test_size, seed)]
    return _group_kfold(n_splits, n_repeats, y, groups, seed, require_stratified)


def _grouped_split(groups: np.ndarray, test_size: float, seed: int) -> Fold:
    """Test on ceil(test_size * G) groups drawn at random (as GroupShuffleSplit sizes it)."""
    uniq, group_of_row = np.unique(groups, return_inverse=True)
    n_groups = len(uniq)
    n_test = int(np.ceil(test_size * n_groups))
    if n_groups < 2 or not 0 < n_test < n_groups:
        raise ProtocolError(
            f"a split with test_size = {test_size} of {n_groups} group(s) leaves an empty "
            "train or test set; change test_size in [protocol] or add groups"
        )
    order = np.argsort(random_keys(derived_seed(seed, 0), n_groups), kind="stable")
    in_test = np.zeros(n_groups, dtype=bool)
    in_test[order[:n_test]] = True
    mask = in_test[group_of_row.reshape(-1)]
    return Fold(0, 0, np.flatnonzero(~mask), np.flatnonzero(mask))


def _group_kfold(
    k: int, n_repeats: int, y, groups, seed: int, require_stratified: bool
) -> list[Fold]:
    _, label_of_row = np.unique(y, return_inverse=True)
    uniq, group_of_row = np.unique(groups, return_inverse=True)
    label_of_row = label_of_row.reshape(-1)
    group_of_row = group_of_row.reshape(-1)
    if require_stratified:
        largest, label = max_stratified_splits(y, groups)
        if k > largest:
            fix = (
                f"set n_splits = {largest} in [protocol]"
                if largest >= 2
                else 'use kind = "leave_one_group_out" or drop that label'
                if len(uniq) >= 2
                else "the data has one group: add groups"
            )
            works = (
                f"the largest n_splits that works is {largest}"
                if largest >= 2
                else "no n_splits (at least 2) works"
            )
            raise ProtocolError(
                f"cannot stratify {k} folds: label {label!r} occurs in only {largest} "
                f"sentence group(s); {works}; {fix}"
            )
    elif k > len(uniq):
        raise ProtocolError(
            f"cannot make {k} folds from {len(uniq)} group(s); set n_splits = {len(uniq)} "
            'in [protocol] (if that is at least 2), or use kind = "leave_one_group_out"'
        )
    n_labels = int(label_of_row.max()) + 1
    counts = np.bincount(
        group_of_row * n_labels + label_of_row, minlength=len(uniq) * n_labels
    ).reshape(len(uniq), n_labels)
    folds = []
    for r in range(n_repeats):
        fold_of_group = assign_groups(counts, k, derived_seed(seed, r))
        fold_of_row = fold_of_group[group_of_row]
        for i in range(k):
            test = fold_of_row == i
            folds.append(Fold(r, i, np.flatnonzero(~test), np.flatnonzero(test)))
    return folds


def _label_weights(totals: np.ndarray) -> np.ndarray:
    """Integer weights near ``S / T_l**2``, with S as large as int64 loads allow."""
    scale = (1 << _WEIGHT_SCALE_BITS) // (2 * (len(totals) + 1))
    totals = np.maximum(totals.astype(np.int64), 1)
    return np.array([scale // (int(t) * int(t)) for t in totals], dtype=np.int64)


def assign_groups(counts: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The fold (0..k-1) of each group, from its (G, L) label counts: seeded greedy
    stratification (see the module docstring). Every fold gets a group when G >= k."""
    counts = np.asarray(counts, dtype=np.int64)
    n_groups, n_labels = counts.shape
    sizes = counts.sum(axis=1)
    # The rows of all labels are one more "label": its share per fold is the fold's size.
    counts = np.c_[counts, sizes]
    weights = _label_weights(counts.sum(axis=0))
    weight = np.zeros(n_groups, dtype=np.int64)  # sum_l c_l**2 W_l, column by column
    for col in range(n_labels + 1):
        weight += counts[:, col] * counts[:, col] * weights[col]
    order = np.lexsort((random_keys(seed, n_groups), *counts.T[::-1], -weight, -sizes))
    ordered = counts[order]
    starts = np.flatnonzero(np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)])
    ends = np.r_[starts[1:], n_groups]

    fold_counts = np.zeros((k, n_labels + 1), dtype=np.int64)
    fold_sizes = np.zeros(k, dtype=np.int64)
    fold_ids = np.arange(k)
    placed = np.empty(n_groups, dtype=np.int64)  # the fold of each group, in `order`
    chunk = max(1, _MAX_KEYS // k)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        vec = ordered[start]
        present = np.flatnonzero(vec)
        labels = present[:-1]  # the last column (all rows) is never lacking
        step = int(weight[order[start]])
        size = int(vec[-1])
        for lo in range(start, end, chunk):
            m = min(chunk, end - lo)
            load = fold_counts[:, present] @ (vec[present] * weights[present])
            lacking = (fold_counts[:, labels] == 0).sum(axis=1)
            if m == 1:
                best = int(np.lexsort((fold_ids, fold_sizes, load, -lacking))[0])
                placed[lo] = best
                fold_counts[best] += vec
                fold_sizes[best] += size
                continue
            copy = np.arange(m, dtype=np.int64)[:, None]  # (m, 1) x (k,) -> (m, k) keys
            first = -(lacking * (copy == 0))
            pick = np.lexsort(
                (
                    np.broadcast_to(fold_ids, (m, k)).ravel(),
                    (fold_sizes + copy * size).ravel(),
                    (load + copy * step).ravel(),
                    first.ravel(),
                )
            )[:m]
            chosen = pick % k
            placed[lo : lo + m] = chosen
            taken = np.bincount(chosen, minlength=k)
            fold_counts += taken[:, None] * vec
            fold_sizes += taken * size
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    fold_of_group[order] = placed
    return fold_of_group


def folds_hash(folds: list[Fold], ids) -> str:
    """A hash of which ids are tested in which (repeat, fold): pairing needs equal hashes."""
    ids = np.asarray(ids)
    return sha256_json([[f.repeat, f.fold, sorted(ids[f.test].tolist())] for f in folds])
