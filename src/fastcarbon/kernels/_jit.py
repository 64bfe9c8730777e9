"""The one place that owns numba compilation options.

Every kernel in :mod:`fastcarbon.kernels` is decorated with :func:`kernel` (serial, GIL released,
callable from dask threads and from a user's own ``@numba.njit`` code) or :func:`parallel_kernel`
(``prange`` over independent work items).  Options:

- ``cache=True``: compile once per machine, not per process (compiling costs seconds per kernel).
- ``nogil=True``: dask's threaded scheduler runs several serial kernels at once.
- ``fastmath=False``: no reassociation, so every output is summed in the order the code states
  and results are bit-identical for any thread count and any chunking.
- ``error_model="numpy"``: division follows IEEE rules instead of raising, as numpy does.

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

import gc

import numba

from fastcarbon.kernels._blas import preload_cython_blas

# before any kernel is compiled or loaded: numba's first refresh would import all of scipy.linalg
# (0.1-0.16 s of every process's first call; see _blas.py)
preload_cython_blas()

__all__ = ["inline_kernel", "kernel", "parallel_kernel", "ready_target"]

_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")

#: set once :func:`ready_target` has loaded numba's CPU target in this process
_target_ready = False


def ready_target() -> None:
    """Load numba's CPU target once per process, with Python's cyclic garbage collector paused.

    A process's first call of any numba function refreshes numba's CPU target: it imports about
    fifty of numba's typing and lowering modules, builds about a thousand template classes for
    their ``@overload`` declarations and compiles the NRT helpers.  Those allocations trigger the
    cyclic collector again and again, and each full collection walks the whole heap, which holds
    xarray, pandas, dask and pint once a labelled call is made (and a simulation code's own data
    when fastcarbon is embedded).  Measured on a 2-vCPU Xeon (2026-12-04): the refresh took
    0.137-0.143 s after ``import fastcarbon.grey`` and 0.094-0.102 s with the collector paused.

    The refresh makes long-lived objects (classes, functions, registries), not garbage, so the
    collections it triggers find almost nothing to free.  Paused, the full collection that those
    new objects make due comes later instead, in the caller's own work (in a loop of 3 000
    labelled calls after the first: one gen-1 collection of ~9 ms and one full collection of
    ~50 ms).  So the first call gains more than the process: in a fresh venv, 11 whole-process
    runs each way (import, first call, exit), median 0.993 s paused against 1.015 s unpaused;
    with 3 000 more labelled calls, 1.393 s against 1.419 s.  A collector the caller had disabled
    stays disabled.
    Called by every fastcarbon kernel before its first load or compile; calling it again is a
    flag check.  The kernel's own load or compile runs with the collector on (a cold compile
    allocates cyclic IR for seconds).
    """
    global _target_ready
    if _target_ready:
        return
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target

    enabled = gc.isenabled()
    gc.disable()
    try:
        # the lock numba's dispatcher holds around its own refresh
        with global_compiler_lock:
            cpu_target.target_context.refresh()
    finally:
        if enabled:
            gc.enable()
    _target_ready = True


def _readied(dispatcher):
    """``dispatcher`` with :func:`ready_target` run before its loads and compiles.

    numba's dispatcher (C code) looks ``_compile_for_args`` up as an attribute when no compiled
    signature matches the arguments, so an instance attribute wraps exactly those calls; calls
    that match cost nothing extra.  Calls from other jitted code do not pass here (they are
    typed and linked by the caller's compile, after its own refresh).
    """
    compile_for_args = getattr(dispatcher, "_compile_for_args", None)
    if compile_for_args is None:  # another numba: its dispatcher runs its own refresh
        return dispatcher

    def _compile_for_args_ready(*args, **kws):
        if not _target_ready:
            ready_target()
        return compile_for_args(*args, **kws)

    try:
        dispatcher._compile_for_args = _compile_for_args_ready
    except AttributeError:  # a dispatcher without instance attributes: left as numba made it
        pass
    return dispatcher


def kernel(fn):
    """Compile ``fn`` lazily as a serial, GIL-free numba kernel."""
    return _readied(numba.njit(**_OPTIONS)(fn))


def parallel_kernel(fn):
    """Compile ``fn`` lazily as a multi-threaded numba kernel (``prange`` loops run in parallel)."""
    return _readied(numba.njit(parallel=True, **_OPTIONS)(fn))


def inline_kernel(fn):
    """Compile ``fn`` as a serial kernel that numba inlines into its callers at the IR level.

    For small per-work-item helpers called millions of times: passing several arrays to an
    out-of-line call costs more than the helper's own work (measured on the bottom-up pass).
    """
    return _readied(numba.njit(inline="always", **_OPTIONS)(fn))
