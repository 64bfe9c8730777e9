"""Process-wide options of fastcarbon: when the parallel kernels run, and on how many threads.

``set_options`` is a validated setter that is also a context manager (the pattern of
xarray's and flox's ``set_options``)::

    fastcarbon.set_options(num_threads=1)            # from now on, in every thread
    with fastcarbon.set_options(parallel_threshold=2**22):
        ...                                          # restored on leaving the block

Options
-------
``parallel_threshold`` : int >= 0
    Elements (of the input tensor, the series x points, the draws x outputs: each family counts
    its work as its docstring says) from which the multi-threaded kernels of accounting, peaks,
    entropy, quantiles, draw summaries and Monte Carlo run.  Default 3 * 2**21 = 6.3e6
    (``fastcarbon.core.PARALLEL_THRESHOLD``; why: :data:`DEFAULTS`).
``grey_parallel_threshold`` : int >= 0
    The same for the grey fits (series x points; a fit costs more per element).  Default
    3 * 2**20 = 3.1e6 (``fastcarbon.core.grey.PARALLEL_THRESHOLD``).
``num_threads`` : int or None
    numba threads the parallel kernels of fastcarbon use, 1 .. ``numba.config.NUMBA_NUM_THREADS``;
    None (default): numba's current setting (``numba.get_num_threads()``).  1 makes every
    default-dispatched call serial.  Applied around each parallel kernel call in the calling
    thread and restored after it, so a user's own numba code keeps its own setting.

The serial and parallel kernels give bit-identical results, so no option changes a result.

Thread safety: one dict for the process (as xarray's ``OPTIONS``), written under a lock and read
without one (a dict lookup is atomic under the GIL).  Options set in the main thread apply to the
threads of a dask scheduler or a thread pool, which is what a sweep needs.  The context manager
restores the values it found on entry, so nested blocks in one thread restore correctly; blocks
that set *different* values from several threads at once overlap (the last one entered wins
while both run) -- set the options once before starting the threads instead.

This module imports neither numba nor numpy at import time: ``import fastcarbon`` stays cheap.
"""

from __future__ import annotations

import threading

__all__ = ["DEFAULTS", "OPTIONS", "get_options", "set_options"]

#: The default of every option.  The rule for the thresholds: the smallest size from which the
#: 2-thread kernel's median is not worse than the serial one (<= 1.1 x) on a busy machine, i.e. a
#: 2-vCPU machine with one core held by another process (``benchmarks/threads_busy.py``, table
#: in benchmarks/README.md).  There the 2-thread call waits for a time slice of the busy core
#: (~10 ms whatever the size): bottom_up's 2-thread median was 11 x serial at 6.9e5 elements,
#: 1.3-1.6 x at 2-4e6 and 0.8 x at 6.1e6, hence ``parallel_threshold`` = 3 * 2**21 (6.3e6
#: elements, 50 MB of float64).  The grey fit does more work per element: on that machine
#: 2.9-3.1 x at 1.6e5, 0.93 x at 3.3e5 and 0.82-0.88 x at 6.6e5 values, which gave 2**19.  On a
#: faster machine (2026-12-04, AVX-512 VM: the fit ~2.5 x faster per value, the wait the same)
#: 1.6-2.1 x at 6.6e5, 1.1-1.2 x at 1.3e6 and 1.07 x at 2.6e6 (two runs, 31 and 41 rounds), hence
#: ``grey_parallel_threshold`` = 3 * 2**20 (3.1e6 values); bottom_up there was 1.7-4 x below
#: 4.1e6 elements and 0.91-1.29 x (about parity) from 6.1e6 on (three runs), so 3 * 2**21
#: stands.  On an idle machine two threads win from ~2e4 values (0.55 x) and ~1.6e4 elements
#: (bottom_up, 0.7 x); a user who owns the machine can lower the thresholds with set_options.
DEFAULTS = {
    "parallel_threshold": 3 << 21,
    "grey_parallel_threshold": 3 << 20,
    "num_threads": None,
}

#: The current values (read by ``fastcarbon.core`` at every dispatch).
OPTIONS = dict(DEFAULTS)

_LOCK = threading.Lock()


def _show(value) -> str:
    # imported on the error path only: fastcarbon._format imports numpy
    from fastcarbon._format import show

    return show(value)


def _check_threshold(key: str, value) -> int:
    # bool is an int: True would silently mean a threshold of 1
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"set_options: {key} must be an integer number of elements >= 0, got {_show(value)} "
                        f"of type {type(value).__name__}")
    value = int(value.__index__())
    if value < 0:
        raise ValueError(f"set_options: {key} must be an integer number of elements >= 0, got {value}")
    return value


def _check_num_threads(key: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"set_options: {key} must be None or an integer >= 1, got {_show(value)} "
                        f"of type {type(value).__name__}")
    value = int(value.__index__())
    import numba  # only when a thread count is set: its upper bound is numba's

    most = int(numba.config.NUMBA_NUM_THREADS)
    if not 1 <= value <= most:
        raise ValueError(f"set_options: {key} must be in 1..{most} (numba.config.NUMBA_NUM_THREADS, set by "
                         f"the NUMBA_NUM_THREADS environment variable before numba starts), got {value}")
    return value


_VALIDATORS = {
    "parallel_threshold": _check_threshold,
    "grey_parallel_threshold": _check_threshold,
    "num_threads": _check_num_threads,
}


def _errors():
    # fastcarbon.errors is light (no numpy); the error classes are ValueError / TypeError subclasses
    from fastcarbon.errors import InputError, InputTypeError

    return InputError, InputTypeError


class set_options:
    """Set fastcarbon's options, for the process or (as a context manager) for a block.

    Parameters
    ----------
    parallel_threshold : int, optional
        Elements from which the parallel kernels run (all families but grey).
    grey_parallel_threshold : int, optional
        The same for the grey fits.
    num_threads : int or None, optional
        numba threads for fastcarbon's parallel kernels (1 .. NUMBA_NUM_THREADS); None: numba's.

    Raises
    ------
    InputError
        An unknown option (the message lists the valid ones) or a value out of range.
    InputTypeError
        A value of the wrong type.

    Examples
    --------
    >>> import fastcarbon
    >>> with fastcarbon.set_options(parallel_threshold=10**9):
    ...     fastcarbon.get_options()["parallel_threshold"]
    1000000000
    >>> fastcarbon.set_options(colour=1)
    Traceback (most recent call last):
    ...
    fastcarbon.errors.InputError: set_options: unknown option 'colour'; valid options: grey_parallel_threshold, num_threads, parallel_threshold
    """

    def __init__(self, **kwargs):
        input_error, type_error = _errors()
        unknown = sorted(set(kwargs) - set(_VALIDATORS))
        if unknown:
            names = ", ".join(repr(k) for k in unknown)
            raise input_error(f"set_options: unknown option{'s' if len(unknown) > 1 else ''} {names}; "
                              f"valid options: {', '.join(sorted(_VALIDATORS))}")
        checked = {}
        for key, value in kwargs.items():
            try:
                checked[key] = _VALIDATORS[key](key, value)
            except TypeError as exc:
                raise type_error(str(exc)) from None
            except ValueError as exc:
                raise input_error(str(exc)) from None
        with _LOCK:  # all or nothing: a bad value above changed nothing
            self._old = {key: OPTIONS[key] for key in checked}
            OPTIONS.update(checked)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        with _LOCK:
            OPTIONS.update(self._old)


def get_options() -> dict:
    """A copy of the current options (a plain dict: changing it changes nothing).

    >>> import fastcarbon
    >>> sorted(fastcarbon.get_options())
    ['grey_parallel_threshold', 'num_threads', 'parallel_threshold']
    """
    return dict(OPTIONS)
