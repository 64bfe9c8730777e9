"""LMDI-I decomposition on plain numpy arrays (Ang 2004, 2005, 2015; Ang & Liu 2007).

This layer validates the factors and the pairs of periods, builds the offset tables through which
the kernels of :mod:`fastcarbon.kernels.lmdi` read every factor at its own shape (no broadcast
copies), picks the serial or the parallel kernel, and reshapes the results.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from fastcarbon._format import show, show_index
from fastcarbon.core._common import use_parallel
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, OverflowResultError
from fastcarbon.kernels import lmdi as _kernels

__all__ = ["lmdi", "LmdiResult", "BadFactorError", "ZeroTotalError", "KINDS"]

KINDS = ("additive", "multiplicative")


class LmdiResult(NamedTuple):
    """Results of :func:`lmdi`; ``batch`` is the broadcast shape of the factors without the
    period axis and the ``n_over`` sub-category axes, P the number of pairs, K of factors."""

    #: (*batch, P, K): ΔV_k (additive) or D_k (multiplicative)
    effect: np.ndarray
    #: (*batch, P, K, *over): ΔV_{k,i}, summing to ``effect`` over the sub-categories, or
    #: exp(ΔV_{k,i}/L(V^T, V^0)), multiplying to it; None with ``detail=False``
    effect_by: np.ndarray | None
    #: (*batch, P): V^T − V^0 (additive) or V^T / V^0 (multiplicative)
    total: np.ndarray
    #: (*batch, P): V^0 = Σ_i Π_k x_{k,i}^0
    v_base: np.ndarray
    #: (*batch, P): V^T
    v_target: np.ndarray


class BadFactorError(InvalidValueError):
    """A factor value that is negative, NaN or infinite at a period that is decomposed.

    LMDI-I takes logarithms of every factor's change: a negative value has none, and NaN or an
    infinity has no finite effect.

    Attributes
    ----------
    factor : int
        Which factor (position in the sequence passed).
    index : tuple of int
        Position of the value in that factor's array as passed.
    value : float
    """

    def __init__(self, factor: int, index: tuple[int, ...], value: float, name: str | None = None,
                 where: str | None = None):
        self.factor, self.index, self.value = factor, tuple(int(k) for k in index), float(value)
        super().__init__(
            f"{name or f'factors[{factor}]'}: bad value {show(self.value)} at {where or show_index(self.index)}; "
            f"LMDI-I needs finite values >= 0 (a negative value has no logarithm, NaN and infinity no "
            f"finite effect)"
        )


class ZeroTotalError(InvalidValueError):
    """``kind="multiplicative"`` where the total V^0 or V^T of a batch item is 0: the ratio
    V^T / V^0 and the logarithmic mean L(V^T, V^0) are undefined (use ``kind="additive"``).

    Attributes
    ----------
    index : tuple of int
        Position (*batch, pair) in the results.
    v_base, v_target : float
    """

    def __init__(self, index: tuple[int, ...], v_base: float, v_target: float, where: str | None = None):
        self.index, self.v_base, self.v_target = tuple(int(k) for k in index), float(v_base), float(v_target)
        super().__init__(
            f"multiplicative LMDI is undefined at {where or show_index(self.index)}: the total is "
            f"{show(self.v_base)} at the base and {show(self.v_target)} at the target, and V^T/V^0 needs both "
            f"> 0; use kind='additive' (its zero cases follow Ang & Liu 2007)"
        )


def _flat(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``arr`` as a flat float64 array and the element stride of each axis (0 along size-1 axes).

    No copy when ``arr`` is dense in some axis order (C, Fortran, or transposed as xarray and
    ``apply_ufunc`` hand it over); otherwise one C-ordered copy of this factor.
    """
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)  # one compiled signature
    if not arr.flags.c_contiguous:
        order = np.argsort([-s for s in arr.strides], kind="stable")
        if not arr.transpose(order).flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
    if arr.flags.c_contiguous:
        flat = arr.reshape(-1)
    else:
        flat = arr.transpose(order).reshape(-1)  # a view: the data are dense in this order
    strides = np.array([s // 8 if n > 1 else 0 for s, n in zip(arr.strides, arr.shape)], dtype=np.int64)
    return flat, strides


def lmdi(
    factors,
    pairs,
    *,
    n_over: int,
    kind: Literal["additive", "multiplicative"] = "additive",
    detail: bool = True,
    parallel: bool | None = None,
    names=None,
) -> LmdiResult:
    """LMDI-I decomposition of V = Σ_i Π_k x_{k,i} between pairs of periods.

    Additive (Ang 2004, 2005): ΔV_k = Σ_i L(V_i^T, V_i^0) · ln(x_{k,i}^T / x_{k,i}^0), with
    V_i = Π_k x_{k,i} and L(a, b) = (a − b)/(ln a − ln b), L(a, a) = a; Σ_k ΔV_k = V^T − V^0.
    Multiplicative (Ang 2015): D_k = exp(ΔV_k / L(V^T, V^0)); Π_k D_k = V^T / V^0.
    Zero values take the analytical limits of Ang & Liu (2007): see
    :mod:`fastcarbon.kernels.lmdi` (several factors going from 0 in one sub-category share
    V_i^T equally; several going to 0 share −V_i^0).

    Parameters
    ----------
    factors : sequence of K array_like
        Mutually broadcastable (numpy rules) arrays of shape (*batch, T, *over): the period axis
        T at position ``-(n_over + 1)``, the sub-category axes last.  Size 1 along an axis means
        the factor is constant along it (size 1 along T: its effect is exactly 0, or 1).  Finite
        values >= 0.
    pairs : array_like of int (P, 2)
        (base, target) positions along the period axis.
    n_over : int
        Number of trailing sub-category axes summed over (>= 0).
    kind : {"additive", "multiplicative"}
    detail : bool
        Also return ``effect_by`` (K times the size of the sub-category grid per item and pair).
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results); default parallel
        for large inputs when numba has more than one thread.
    names : sequence of str, optional
        The factors' names for messages (default ``factors[k]``).

    Returns
    -------
    LmdiResult

    Raises
    ------
    InputTypeError
        Non-numeric factors or pairs.
    InputError
        No factors, shapes that do not broadcast, too few axes, empty axes, pairs out of range.
    BadFactorError
        A negative, NaN or infinite value at a decomposed period (the first one found).
    ZeroTotalError
        ``kind="multiplicative"`` with V^0 = 0 or V^T = 0.
    OverflowResultError
        A product V_i outside the float64 range (over- or underflowing to 0 from non-zero
        factors).

    Examples
    --------
    >>> import numpy as np
    >>> activity = np.array([[10.0], [12.0]])              # (T=2, sector=1): constant over sectors
    >>> intensity = np.array([[0.5, 0.2], [0.4, 0.2]])     # (T=2, sector=2)
    >>> r = lmdi([activity, intensity], [(0, 1)], n_over=1)
    >>> r.total, r.effect.sum(-1)                          # ΔV = 12·0.6 − 10·0.7
    (array([0.2]), array([0.2]))
    >>> np.round(r.effect, 4)                              # activity, intensity effects
    array([[ 1.2933, -1.0933]])
    """
    if kind not in KINDS:
        raise InputError(f"kind must be 'additive' or 'multiplicative', got {show(kind)}")
    if isinstance(n_over, bool) or not isinstance(n_over, (int, np.integer)) or n_over < 0:
        raise InputError(f"n_over must be an integer >= 0, got {show(n_over)}")
    arrays = [np.asarray(f) for f in factors]
    if not arrays:
        raise InputError("factors: at least one factor is needed")
    label = list(names) if names is not None else [f"factors[{k}]" for k in range(len(arrays))]
    for a, nm in zip(arrays, label):
        if a.dtype.kind not in "iuf":
            raise InputTypeError(f"{nm}: data must be real numbers (int or float), got dtype {a.dtype}")
        if a.ndim < n_over + 1:
            raise InputError(f"{nm}: needs a period axis and {n_over} sub-category axes, got shape {a.shape}")
        if a.size == 0:
            raise InputError(f"{nm}: is empty (shape {a.shape})")
    try:
        full = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise InputError(f"factors: shapes {[a.shape for a in arrays]} do not broadcast together") from None
    nd = len(full)
    n_t = full[nd - n_over - 1]
    batch, over = full[: nd - n_over - 1], full[nd - n_over:]
    pairs = np.asarray(pairs)
    if pairs.dtype.kind not in "iu" or pairs.ndim != 2 or pairs.shape[1] != 2:
        raise InputError(f"pairs: must be integer (base, target) positions of shape (P, 2), got {show(pairs)}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n_t):
        raise InputError(f"pairs: positions must lie in 0..{n_t - 1} (the period axis), got {show(pairs.tolist())}")
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)

    flats, n_k = [], len(arrays)
    n_b = int(np.prod(batch, dtype=np.int64))
    n_i = int(np.prod(over, dtype=np.int64))
    batch_strides = np.zeros((n_k, len(batch)), dtype=np.int64)
    time_strides = np.zeros(n_k, dtype=np.int64)
    own_offsets, own_start, sub_index = [], [0], np.empty((n_k, n_i), dtype=np.int64)
    grid = np.indices(over, dtype=np.int64).reshape(len(over), -1) if over else np.zeros((0, 1), np.int64)
    for k, a in enumerate(arrays):
        a = a.reshape((1,) * (nd - a.ndim) + a.shape)  # numpy's leading-axis broadcasting
        flat, strides = _flat(a)
        flats.append(flat)
        batch_strides[k] = strides[: len(batch)]
        time_strides[k] = strides[len(batch)]
        offsets = strides[len(batch) + 1:] @ grid if over else np.zeros(1, np.int64)
        # the factor's own elements once each: its logarithms are taken once, not per sub-category
        own, inverse = np.unique(offsets, return_inverse=True)
        own_offsets.append(own)
        sub_index[k] = own_start[-1] + inverse.reshape(-1)
        own_start.append(own_start[-1] + own.size)
    own_offsets = np.concatenate(own_offsets).astype(np.int64)
    own_start = np.array(own_start, dtype=np.int64)

    n_p = pairs.shape[0]
    effect = np.empty((n_b, n_p, n_k))
    effect_by = np.empty((n_b, n_p, n_k, n_i)) if detail else np.empty((1, 1, 1, 1))
    v_base = np.empty((n_b, n_p))
    v_target = np.empty((n_b, n_p))
    status = np.zeros((n_b, n_p), dtype=np.int8)
    if n_p:
        kern = _kernels.lmdi_pairs_parallel if use_parallel(parallel, n_b * n_p * n_i * n_k) else _kernels.lmdi_pairs
        kern(tuple(flats), np.array(batch, dtype=np.int64), batch_strides, time_strides, own_offsets, own_start,
             sub_index, pairs, kind == "multiplicative", bool(detail), effect, effect_by, v_base, v_target, status)
    if status.any():
        _raise(status, arrays, full, n_over, pairs, v_base, v_target, label)
    total = v_target - v_base if kind == "additive" else v_target / v_base
    shape = tuple(batch) + (n_p,)
    return LmdiResult(
        effect=effect.reshape(shape + (n_k,)),
        effect_by=effect_by.reshape(shape + (n_k,) + tuple(over)) if detail else None,
        total=total.reshape(shape),
        v_base=v_base.reshape(shape),
        v_target=v_target.reshape(shape),
    )


def _raise(status, arrays, full, n_over, pairs, v_base, v_target, label):
    """The error for the first batch item and pair whose status is not OK (error path only)."""
    flat_pos = int(np.argmax(status != _kernels.OK))
    code = int(status.reshape(-1)[flat_pos])
    b, p = np.unravel_index(flat_pos, status.shape)
    batch = full[: len(full) - n_over - 1]
    bidx = tuple(int(k) for k in np.unravel_index(int(b), batch)) if batch else ()
    if code == _kernels.BAD_VALUE:
        # the first bad value of this item and pair, by factor then position
        for k, a in enumerate(arrays):
            pad = len(full) - a.ndim
            here = tuple(0 if a.shape[d - pad] == 1 else i for d, i in enumerate(bidx) if d >= pad)
            t_axis = a.ndim - n_over - 1
            for t in pairs[p]:
                tt = 0 if a.shape[t_axis] == 1 else int(t)
                block = np.asarray(a[here + (tt,)], dtype=np.float64)
                bad = ~((block >= 0) & (block < np.inf))
                if bad.any():
                    rest = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
                    index = here + (tt,) + tuple(int(i) for i in rest)
                    raise BadFactorError(k, index, float(a[index]), name=label[k])
        raise AssertionError("status BAD_VALUE without a bad value")  # pragma: no cover
    index = bidx + (int(p),)
    if code == _kernels.BAD_ZERO_TOTAL:
        raise ZeroTotalError(index, float(v_base[b, p]), float(v_target[b, p]))
    raise OverflowResultError(
        "V_i", index, float("inf"),
        hint="a product of factors Π_k x_k of one sub-category leaves the float64 range (or underflows to 0 "
             "from non-zero factors); check the factors' units or magnitudes",
    )
