"""The one place that owns numba compilation options.

Every kernel in :mod:`fastcarbon.kernels` is decorated with :func:`kernel` (serial, GIL released,
callable from dask threads and from a user's own ``@numba.njit`` code) or :func:`parallel_kernel`
(``prange`` over independent work items).  Options:

- ``cache=True``: compile once per machine, not per process (compiling costs seconds per kernel).
- ``nogil=True``: dask's threaded scheduler runs several serial kernels at once.
- ``fastmath=False``: no reassociation, so every output is summed in the order the code states
  and results are bit-identical for any thread count and any chunking.
- ``error_model="numpy"``: division follows IEEE rules instead of raising, as numpy does.

Each dispatcher's cache is :class:`fastcarbon.kernels._load.QuickLoadCache`: numba's own, but a
cached kernel loads without numba's first target refresh when its machine code needs nothing
the refresh provides (0.1-0.15 s of every process's first call; see ``_load.py``).

Working on the kernels: numba's cache checks a kernel's own source file (its time stamp and
size) and nothing else, so editing a module whose functions other modules' kernels call (e.g.
``_simd.py``, inlined into the bottom-up kernels of ``accounting.py``) leaves those kernels'
cached machine code stale in a checkout: delete the ``*.nbi`` / ``*.nbc`` files under
``src/fastcarbon/kernels/__pycache__`` after such an edit.  This happened twice: 2026-12-03,
the 3-fuel tests failed against a cache built before the 3-fuel pass existed; 2026-12-04, a
benchmark after an edit of ``_simd.py`` ran the old kernels although ``accounting.py`` had been
touched after the edit, so touching the calling modules is not a sure way.  An install writes
every file anew, so it does not hit installed copies.
"""

from __future__ import annotations

import numba

from fastcarbon.kernels._blas import preload_when_numba_checks_blas
from fastcarbon.kernels._load import install

# numba's first target refresh (a user's first compilation, or a kernel the quick load cannot
# take) would import all of scipy.linalg (0.1-0.16 s); this loads only the BLAS module it checks
# for, when it checks (see _blas.py)
preload_when_numba_checks_blas()

__all__ = ["inline_kernel", "kernel", "parallel_kernel"]

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


def kernel(fn):
    """Compile ``fn`` lazily as a serial, GIL-free numba kernel."""
    return install(numba.njit(**_OPTIONS)(fn))


def parallel_kernel(fn):
    """Compile ``fn`` lazily as a multi-threaded numba kernel (``prange`` loops run in parallel)."""
    return install(numba.njit(parallel=True, **_OPTIONS)(fn))


def inline_kernel(fn):
    """Compile ``fn`` as a serial kernel that numba inlines into its callers at the IR level.

    For small per-work-item helpers called millions of times: passing several arrays to an
    out-of-line call costs more than the helper's own work (measured on the bottom-up pass).
    """
    return install(numba.njit(inline="always", **_OPTIONS)(fn))
