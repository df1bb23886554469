"""stance-bench: a fact-and-stance classification benchmark.

Heavy libraries (scikit-learn, datasets, pandas) are imported only where used, so that
``import bench`` and ``stance-bench --help`` stay instant.
"""

from __future__ import annotations

from bench import kernels

kernels.pin()  # before numpy loads: the same BLAS kernels, the same bytes on every x86-64

__version__ = "0.1.0"
__all__ = ["__version__", "load_dataset"]


def load_dataset(task: str = "joint", **kwargs):
    """The derived seed dataset for ``task`` (``joint``, ``stance`` or ``fact``).

    See :func:`bench.data.load_dataset`.
    """
    from bench.data import load_dataset as _load

    return _load(task, **kwargs)
