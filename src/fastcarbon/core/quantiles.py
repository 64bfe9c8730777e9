"""Exact quantiles on plain numpy arrays: numpy's default method, NaN refused, selection kernels.

This layer validates the array, the probabilities and the axis, views the array as
(before, axis, after) without copying, picks the serial or the parallel kernel of
:mod:`fastcarbon.kernels.quantile`, and returns numpy's result shape.
"""

from __future__ import annotations

import numpy as np

from fastcarbon._format import show
from fastcarbon.core._common import check_no_alias, launch, use_parallel
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, NonFiniteSampleError, ShapeError
from fastcarbon.kernels import quantile as _kernels

__all__ = ["quantile", "NonFiniteSampleError", "check_probabilities", "raise_nonfinite"]


def check_probabilities(q, name: str = "q") -> tuple[np.ndarray, bool]:
    """``q`` as a 1-D float64 array of probabilities in [0, 1] and whether it was a scalar, or an
    error naming ``name``."""
    if isinstance(q, (bool, np.bool_)):
        raise InputTypeError(f"{name}: must be a number or a 1-D list of numbers in [0, 1], got {show(q)}")
    arr = np.asarray(q)
    if arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: must be numbers in [0, 1], got {show(q)} (dtype {arr.dtype})")
    if arr.ndim > 1:
        raise InputError(f"{name}: must be a number or 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{name}: needs at least one probability, got an empty list")
    flat = arr.astype(np.float64).reshape(-1)
    bad = ~((flat >= 0.0) & (flat <= 1.0))  # NaN fails both
    if bad.any():
        k = int(np.argmax(bad))
        raise InvalidValueError(f"{name}: probabilities must be in [0, 1], got {show(flat[k])}"
                                + (f" at position {k}" if arr.ndim else ""))
    return flat, arr.ndim == 0


def raise_nonfinite(x: np.ndarray, name: str, hint: str = "") -> None:
    """:class:`NonFiniteSampleError` at the first NaN or infinity of ``x`` (as passed), if any."""
    wild = ~np.isfinite(x)
    if wild.any():
        idx = tuple(int(k) for k in np.unravel_index(int(np.argmax(wild)), x.shape))
        raise NonFiniteSampleError(name, idx, float(x[idx]), hint)


def quantile(a, q, *, axis: int = 0, out: np.ndarray | None = None, parallel: bool | None = None) -> np.ndarray:
    """Exact quantiles along ``axis``, ``np.quantile(a, q, axis=axis)`` by selection kernels.

    numpy's default "linear" method (Hyndman & Fan 1996, *The American Statistician* 50, type 7):
    with the n values along ``axis`` ordered x_(0) <= ... <= x_(n-1), h = (n - 1) q,
    lo = floor(h) and g = h - lo,

    .. math::

        Q(q) = x_{(lo)} + g\\,(x_{(lo+1)} - x_{(lo)}),

    evaluated as numpy's ``_lerp`` does (as x_(lo+1) - (1 - g)(x_(lo+1) - x_(lo)) for g >= 0.5), so
    results equal ``np.quantile`` (bit for bit in practice; the tests allow 1 ulp).  The order
    statistics come from quickselect on a scratch copy, several probabilities sharing the
    partitioning (:mod:`fastcarbon.kernels.quantile`); ``a`` is not modified.

    Parameters
    ----------
    a : array_like
        Real numbers; NaN is refused (a NaN-skipping quantile would hide a broken draw).
        Infinities are allowed and give what numpy gives.
    q : float or 1-D array_like
        Probabilities in [0, 1].
    axis : int
        The axis reduced (default 0, the draw axis of Monte Carlo output).
    out : numpy.ndarray, optional
        C-contiguous, writeable float64 array of the result's shape, not sharing memory with
        ``a``, written in place and returned (bit-identical to the allocating call).
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical).  Default: parallel from
        ``parallel_threshold`` elements (:func:`fastcarbon.set_options`) when more than one
        thread is available.

    Returns
    -------
    numpy.ndarray
        float64, shaped like ``np.quantile``'s: ``a.shape`` without ``axis``, with a leading
        axis of len(q) when ``q`` is 1-D.

    Raises
    ------
    InputTypeError
        Non-numeric ``a`` or ``q``.
    InputError
        A 0-d ``a``, ``axis`` out of range, ``q`` of more than one dim or empty, an ``out`` of the
        wrong shape, dtype or layout.
    ShapeError
        An empty ``axis``.
    InvalidValueError
        A probability outside [0, 1].
    NonFiniteSampleError
        NaN in ``a``, named by its index.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core import quantile
    >>> x = np.arange(101.0)[:, None] * [1.0, -2.0]
    >>> quantile(x, [0.05, 0.5, 0.95]).tolist()
    [[5.0, -190.0], [50.0, -100.0], [95.0, -10.0]]
    >>> bool((quantile(x, 0.3, axis=0) == np.quantile(x, 0.3, axis=0)).all())
    True
    """
    x = np.asarray(a)
    if x.dtype.kind not in "iuf":
        raise InputTypeError(f"a: data must be real numbers (int or float), got dtype {x.dtype}")
    if x.ndim == 0:
        raise InputError("a: needs an axis to reduce, got a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise InputTypeError(f"axis: must be an integer, got {show(axis)}")
    if not -x.ndim <= axis < x.ndim:
        raise InputError(f"axis: {show(axis)} is out of range for an array of {x.ndim} dims (shape {x.shape})")
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    if n == 0:
        raise ShapeError(f"a: axis {axis} is empty (shape {x.shape}); a quantile needs at least one value")
    qs, scalar = check_probabilities(q)
    rest = x.shape[:axis] + x.shape[axis + 1:]
    shape = rest if scalar else (qs.size, *rest)
    pre = int(np.prod(x.shape[:axis], dtype=np.int64))
    post = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    if out is not None:
        if not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != shape \
                or not out.flags.c_contiguous or not out.flags.writeable:
            got = (f"{type(out).__name__}" if not isinstance(out, np.ndarray)
                   else f"dtype {out.dtype}, shape {out.shape}, C-contiguous {out.flags.c_contiguous}")
            raise InputError(f"out: must be a writeable C-contiguous float64 array of shape {shape}, got {got}")
        check_no_alias({"out": out}, {"a": x})
        result = out
    else:
        result = np.empty(shape)
    # a view for C-ordered input (the usual case): the kernel reads the strides it is given
    rows = x.astype(np.float64, copy=False).reshape(pre, n, post)
    flat = result.reshape(qs.size, pre, post)
    if x.size:
        launch(_kernels.quantile_tiles, _kernels.quantile_tiles_parallel, use_parallel(parallel, x.size), rows, qs, flat)
    # NaN results mark rows holding NaN (or inf - inf, as in numpy): only those are looked at again
    if flat.size and np.isnan(flat).any():
        nan_in = np.isnan(x)
        if nan_in.any():
            idx = tuple(int(k) for k in np.argwhere(nan_in)[0])
            raise NonFiniteSampleError("a", idx, float("nan"), "drop or fill the NaN values first; quantiles "
                                       "that skip NaN are explicit: xarray's quantile(skipna=True)")
    return result
