"""One BLAS kernel on every x86-64 machine, so that results are the same bytes there.

OpenBLAS (the BLAS that numpy and scipy's wheels bundle) picks its kernels for the CPU it
finds when it loads: on an Intel CPU with AVX-512 the ``SkylakeX`` ones, on an AMD EPYC
the ``Haswell`` ones. Both are correct, but they round differently: a logistic regression
fitted by L-BFGS on the same data gave log-losses differing in the 7th digit, so
``stance-bench check`` found the committed reference "not reproduced" on the other
machine. ``pin()`` sets ``OPENBLAS_CORETYPE=Haswell`` (AVX2 and FMA: every x86-64 CPU
since 2013, Intel and AMD) before numpy is imported, unless

- the user set ``OPENBLAS_CORETYPE`` (their choice wins);
- numpy is already imported (too late: OpenBLAS reads it when it loads; ``blas()`` in a
  run's manifest then says which kernels ran);
- the machine is not Linux on x86-64, or its CPU lacks AVX2 or FMA.

Processes started afterwards (loky workers, the CLI in a subprocess) inherit the setting.
Dask workers on other machines do not: set ``OPENBLAS_CORETYPE=Haswell`` in their
environment for the same bytes there. Other libraries' own CPU dispatch (numpy's SIMD
loops) is left as it is: no difference from it has been seen.
"""

from __future__ import annotations

import os
import platform
import sys
from functools import lru_cache

CORE = "Haswell"
VARIABLE = "OPENBLAS_CORETYPE"


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def pin() -> str | None:
    """Set ``OPENBLAS_CORETYPE`` to ``CORE`` where it applies (see the module's doc);
    returns what was set, or None."""
    if VARIABLE in os.environ or "numpy" in sys.modules:
        return None
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    if not {"avx2", "fma"} <= _cpu_flags():
        return None
    os.environ[VARIABLE] = CORE
    return CORE


@lru_cache(maxsize=1)
def blas() -> str | None:
    """The BLAS that numpy loaded and the kernels it runs ("openblas 0.3.31 Haswell"), for
    a run's manifest; None when threadpoolctl cannot tell. Read once per process (the
    scan reads every loaded library; the kernels do not change once loaded)."""
    try:
        import numpy  # noqa: F401  (the BLAS is loaded with it)
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                parts = (lib.get("internal_api"), lib.get("version"), lib.get("architecture"))
                return " ".join(str(p) for p in parts if p) or None
    except Exception:  # a report of the environment, never a reason to fail a run
        return None
    return None
