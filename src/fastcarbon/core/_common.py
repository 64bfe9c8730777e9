"""What every numpy-API module shares: the float64 input check and the serial/parallel choice."""

from __future__ import annotations

import numba
import numpy as np

from fastcarbon.errors import InputTypeError, OverflowResultError

__all__ = ["PARALLEL_THRESHOLD", "as_float_array", "raise_if_not_finite", "use_parallel"]

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


def raise_if_not_finite(result: np.ndarray, variable: str, hint="") -> None:
    """Raise :class:`~fastcarbon.errors.OverflowResultError` naming ``variable`` and the index of
    the first non-finite element of ``result``, an output computed from finite inputs.

    ``hint(index)``, when given as a callable, says more about that element (e.g. which draw);
    a string is used as is.  The shared check of every numpy-API function that can overflow."""
    wild = ~np.isfinite(result)
    if wild.any():
        idx = tuple(int(k) for k in np.unravel_index(int(np.argmax(wild)), wild.shape))
        raise OverflowResultError(variable, idx, float(result[idx]), hint=hint(idx) if callable(hint) else hint)
