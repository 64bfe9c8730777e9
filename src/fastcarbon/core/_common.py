"""What every numpy-API module shares: the float64 input check and the serial/parallel choice."""

from __future__ import annotations

import numba
import numpy as np

from fastcarbon.errors import InputTypeError, TimeAxisError

__all__ = ["PARALLEL_THRESHOLD", "as_float_array", "check_time_values", "show_number", "use_parallel"]

#: Elements below which the kernels run serial.  Waking the second thread costs tens of
#: microseconds to milliseconds on 2 vCPUs; below ~2.5e5 elements (≈2 MB, well under a
#: millisecond of serial work) that is more than the parallel speed-up recovers.
PARALLEL_THRESHOLD = 1 << 18


def as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a C-contiguous float64 array (no copy when it already is one), or an
    :class:`InputTypeError` naming ``name`` when it is not real numbers."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: data must be real numbers (int or float), got dtype {arr.dtype}")
    # float64 throughout: the kernels are compiled for one dtype (one compile, one cache entry).
    return np.ascontiguousarray(arr, dtype=np.float64)


def use_parallel(parallel: bool | None, size: int, threshold: int = PARALLEL_THRESHOLD) -> bool:
    """The caller's choice, or by default: parallel kernels from ``threshold`` elements on, when
    numba has more than one thread (serial and parallel results are bit-identical)."""
    if parallel is None:
        return size >= threshold and numba.get_num_threads() > 1
    return bool(parallel)


#: what each step rule of check_time_values means, for its messages
STEP_RULES = {
    "annual": "consecutive years (the method steps one year at a time)",
    "equal": "equally spaced (the method assumes equal steps)",
    "increasing": "strictly increasing",
}


def check_time_values(values, name: str, steps: str = "increasing", *, sort_hint: str = "sort them",
                      fill_hint: str | None = None) -> np.ndarray:
    """The one time-axis rule, for the numpy API and (through
    :func:`fastcarbon._validate.check_time`) the labelled one: ``values`` as float64, or an
    error naming ``name`` and the fix.

    Times are real numbers (not strings, not datetimes), finite and strictly increasing;
    with ``steps="annual"`` consecutive integers (a recursion year on year, an AR(1)); with
    ``steps="equal"`` equally spaced (grey models).  Disorder is never sorted silently: a rate
    applied year to year would run backwards; ``sort_hint`` says how to sort.
    """
    raw = np.asarray(values)
    if raw.dtype.kind not in "iuf":
        shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in raw.reshape(-1)[:3])
        hint = ("pass .dt.year" if raw.dtype.kind == "M"
                else "convert them to numbers, e.g. .astype(int)")
        raise InputTypeError(f"{name} must be numeric years, got {shown}{', ...' if raw.size > 3 else ''} "
                             f"(dtype {raw.dtype}); {hint}")
    t = raw.astype(np.float64).reshape(-1)
    if not np.isfinite(t).all():
        k = int(np.flatnonzero(~np.isfinite(t))[0])
        raise TimeAxisError(f"{name} must be finite, got {show_number(t[k])} at position {k}")
    step = np.diff(t)
    if (step <= 0).any():
        k = int(np.flatnonzero(step <= 0)[0])
        what = "is repeated" if step[k] == 0 else f"is followed by {show_number(t[k + 1])}"
        raise TimeAxisError(
            f"{name} must be strictly increasing; {show_number(t[k])} {what}. "
            f"{'Drop the repeated years' if step[k] == 0 else 'Sort with ' + sort_hint}"
        )
    if steps == "annual":
        bad = (step != 1) | (t[1:] != np.round(t[1:]))
    elif steps == "equal":
        bad = ~np.isclose(step, step[0], rtol=1e-9, atol=0) if step.size else step.astype(bool)
    elif steps == "increasing":
        return t
    else:  # a programming error, not the user's
        raise ValueError(f"steps: {steps!r}")
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        if steps == "annual":
            fix = f"fill the missing years first (e.g. {fill_hint or 'interpolate'} over every year)"
        else:
            fix = f"resample to equal steps first (e.g. {fill_hint or 'interpolate'})"
        raise TimeAxisError(
            f"{name} must be {STEP_RULES[steps]}; {show_number(t[k])} is followed by "
            f"{show_number(t[k + 1])}; {fix}"
        )
    return t


def show_number(x) -> str:
    """A year or a value as people write it: 2021, not 2021.0 or np.float64(2021.0)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
