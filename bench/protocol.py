"""Evaluation protocols: which rows train and which test, fold by fold, seeded.

- ``group_kfold``: repeated stratified group k-fold; groups (sentences) never straddle
  train and test; repeat r shuffles with a seed derived from (seed, r).
- ``leave_one_group_out``: one fold per group.
- ``split``: one fixed train/test split; either a given test set (rows flagged ``is_test``)
  or a seeded grouped split of ``test_size``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.config import ProtocolConfig
from bench.errors import ProtocolError
from bench.io import sha256_json


@dataclass(frozen=True)
class Fold:
    repeat: int
    fold: int
    train: np.ndarray  # row indices
    test: np.ndarray


def derived_seed(*parts: int) -> int:
    """A 32-bit seed for a (seed, repeat, fold, ...) tuple; stable across platforms."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def max_stratified_splits(y: np.ndarray, groups: np.ndarray) -> tuple[int, str]:
    """The largest n_splits that gives every class a group in every test fold, and the
    class that limits it: the number of distinct groups holding the rarest class."""
    limits = {lab: len(np.unique(groups[y == lab])) for lab in np.unique(y)}
    label = min(sorted(limits), key=lambda lab: limits[lab])
    return limits[label], str(label)


def make_folds(
    protocol: ProtocolConfig,
    y,
    groups,
    seed: int,
    is_test: np.ndarray | None = None,
    require_stratified: bool = True,
) -> list[Fold]:
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
    if protocol.kind == "leave_one_group_out":
        uniq = np.unique(groups)
        return [
            Fold(0, i, np.flatnonzero(groups != g), np.flatnonzero(groups == g))
            for i, g in enumerate(uniq)
        ]
    if protocol.kind == "split":
        from sklearn.model_selection import GroupShuffleSplit

        splitter = GroupShuffleSplit(
            n_splits=1, test_size=protocol.test_size, random_state=derived_seed(seed, 0)
        )
        train, test = next(splitter.split(np.zeros(n), y, groups))
        return [Fold(0, 0, np.sort(train), np.sort(test))]
    return _group_kfold(protocol, y, groups, seed, require_stratified)


def _group_kfold(protocol: ProtocolConfig, y, groups, seed: int, strict: bool) -> list[Fold]:
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    k = protocol.n_splits
    largest, label = max_stratified_splits(y, groups)
    if k > largest and strict:
        fix = (
            f"set n_splits = {largest} in [protocol]"
            if largest >= 2
            else 'use kind = "leave_one_group_out" or drop that label'
        )
        raise ProtocolError(
            f"cannot stratify {k} folds: label {label!r} occurs in only {largest} sentence "
            f"group(s); the largest n_splits that works is {max(largest, 1)}; {fix}"
        )
    # Every row its own group: StratifiedKFold makes the same kind of split in O(n), where
    # StratifiedGroupKFold loops over groups in Python (minutes at 300k rows).
    singletons = len(np.unique(groups)) == len(groups)
    folds = []
    for r in range(protocol.n_repeats):
        kind = StratifiedKFold if singletons else StratifiedGroupKFold
        splitter = kind(n_splits=k, shuffle=True, random_state=derived_seed(seed, r))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for i, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
                folds.append(Fold(r, i, train, test))
    return folds


def folds_hash(folds: list[Fold], ids) -> str:
    """A hash of which ids are tested in which (repeat, fold): pairing needs equal hashes."""
    ids = np.asarray(ids)
    return sha256_json([[f.repeat, f.fold, sorted(ids[f.test].tolist())] for f in folds])
