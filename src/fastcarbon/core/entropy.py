"""Entropy weights and obstacle degree on plain numpy arrays (000, eqs. 2–8).

Arrays are laid out ``(..., rows, indicators)``: every leading dim is a batch (cities,
scenarios, draws), and each batch item gets its own standardization over its rows.  This layer
validates dtypes and shapes, flattens the batch, picks the serial or the parallel kernel of
:mod:`fastcarbon.kernels.entropy` and turns the kernels' reports into errors and warnings.

Why numba rather than vectorized numpy (measured on 2 shared vCPUs,
``benchmarks/test_bench_index.py``): for 10^5 cities × 10 rows × 5 indicators, weights, obstacle
degrees, ranks and main-obstacle counts take about 50 ms through the kernels (about 110 ms
serial: the work is close to memory-bound, so the second thread adds little), against about
350 ms for the vectorized numpy reference (a dozen input-sized temporaries, ranks through a
double argsort) and about 4 s for that numpy code called once per city.

Source: the Bengbu study, *Scientific Reports* 13:14528 (2023), doi:10.1038/s41598-023-41857-0
(cited as 000; its author list is not in the text fastcarbon works from).
"""

from __future__ import annotations

import warnings
from typing import Literal, NamedTuple

import numpy as np

from fastcarbon._format import show, show_index
from fastcarbon.core._common import as_float_array as _as_float_array
from fastcarbon.core._common import launch, named_buffers, same_or_new, use_parallel, writeable
from fastcarbon.errors import FastcarbonWarning, InputError, InputTypeError, InvalidValueError
from fastcarbon.kernels import entropy as _k

__all__ = [
    "AllConstantError",
    "ConstantIndicatorWarning",
    "EntropyWeights",
    "NonFiniteError",
    "ObstacleDegree",
    "entropy_weights",
    "obstacle_degree",
]


class NonFiniteError(InvalidValueError):
    """A NaN or infinite input value (or a standardized value outside [0, 1]).

    Attributes
    ----------
    variable : str
        ``"x"`` or ``"standardized"``.
    index : tuple of int
        Position of the first bad element in the array as it was passed.
    value : float
    """

    def __init__(self, variable: str, index: tuple[int, ...], value: float, allowed: str, where: str = ""):
        self.variable, self.index, self.value = variable, index, value
        # the labelled layer passes ``where`` as coordinate labels ("region='A', year=2011")
        where = where or show_index(index)
        super().__init__(f"{variable}: bad value {show(value)} at {where}; values {allowed}")


def _of_item(index: tuple[int, ...]) -> str:
    return f" of batch item {index}" if index else ""


class AllConstantError(InvalidValueError):
    """Every indicator of a batch item is constant over its rows: no weight can be defined.

    Attributes
    ----------
    index : tuple of int
        Batch position (the leading dims) of the first such item.
    """

    def __init__(self, index: tuple[int, ...], message: str | None = None):
        self.index = index
        super().__init__(
            message
            or f"x: every indicator is constant over the rows{_of_item(index)}, so all "
            "entropy weights would be 0/0; pass errors='ignore' to get weight 0 for every "
            "indicator there instead"
        )


class ConstantIndicatorWarning(FastcarbonWarning):
    """An indicator is constant over the rows: it carries no information and gets weight 0."""


class EntropyWeights(NamedTuple):
    """Result of :func:`entropy_weights`; shapes for ``x`` of shape (..., m, n)."""

    #: (..., m, n) X of 000 eqs. 2–3, in [0, 1]; 1 for a constant indicator
    standardized: np.ndarray
    #: (..., n) e_j of 000 eq. 5, in [0, 1]; exactly 1 for a constant indicator
    entropy: np.ndarray
    #: (..., n) d_j = 1 − e_j (000 eq. 6); exactly 0 for a constant indicator
    difference: np.ndarray
    #: (..., n) w_j = d_j / Σ d_j (000 eq. 7); sums to 1, or all 0 when every indicator is constant
    weight: np.ndarray
    #: (..., n) bool, indicator constant over the rows
    constant: np.ndarray


class ObstacleDegree(NamedTuple):
    """Result of :func:`obstacle_degree`; shapes for ``standardized`` of shape (..., m, n)."""

    #: (..., m, n) S = 1 − X
    deviation: np.ndarray
    #: (..., m, n) O of 000 eq. 8; each row sums to 1, or is all 0 where ``no_obstacle``
    obstacle: np.ndarray
    #: (..., m, n) int64 competition rank of O within its row, 1 = main obstacle
    rank: np.ndarray
    #: (..., n) int64 rows in which the indicator is a main obstacle (rank 1 and O > 0)
    main_count: np.ndarray
    #: (..., m) bool, rows with no weighted deviation at all (Σ_j S w = 0)
    no_obstacle: np.ndarray



def _raise_bad(bad: np.ndarray, arr: np.ndarray, variable: str, allowed: str) -> None:
    flagged = np.flatnonzero(bad >= 0)
    if flagged.size == 0:
        return
    b = int(flagged[0])
    m, n = arr.shape[-2:]
    lead = np.unravel_index(b, arr.shape[:-2]) if arr.ndim > 2 else ()
    idx = tuple(int(k) for k in (*lead, *divmod(int(bad[b]), n)))
    raise NonFiniteError(variable, idx, float(arr[idx]), allowed)


def entropy_weights(
    x,
    negative=None,
    *,
    errors: Literal["raise", "ignore"] = "raise",
    warn: bool = True,
    parallel: bool | None = None,
    out: EntropyWeights | None = None,
) -> EntropyWeights:
    """Entropy weights of indicators, each batch item standardized over its own rows.

    .. math::

        X_{ij} = \\frac{a_{ij} - \\min_i a_{ij}}{\\max_i a_{ij} - \\min_i a_{ij}} \\;(+),\\qquad
        X_{ij} = \\frac{\\max_i a_{ij} - a_{ij}}{\\max_i a_{ij} - \\min_i a_{ij}} \\;(-)

        p_{ij} = \\frac{X_{ij}}{\\sum_i X_{ij}},\\quad
        e_j = -\\frac{1}{\\ln m}\\sum_{i=1}^m p_{ij}\\ln p_{ij}\\;(0 \\ln 0 = 0),\\quad
        d_j = 1 - e_j,\\quad w_j = \\frac{d_j}{\\sum_j d_j}

    (000, eqs. 2–7: the Bengbu study, *Scientific Reports* 13:14528, 2023).

    Parameters
    ----------
    x : array_like (..., m, n)
        m rows (years, or cities) of n indicators; m >= 2, n >= 1; finite real numbers.
    negative : array_like of bool (n,), optional
        True for negative indicators (smaller is better, eq. 3).  Default: all positive.
    errors : {"raise", "ignore"}
        What to do with a batch item whose indicators are *all* constant (Σ d = 0):
        raise :class:`AllConstantError` (default) or give every indicator weight 0.
    warn : bool
        Emit a :class:`ConstantIndicatorWarning` when some indicator is constant.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical results).  Default:
        parallel from ``parallel_threshold`` elements up (:func:`fastcarbon.set_options`).
    out : EntropyWeights, optional
        Arrays to write into, as this function returns them (e.g. an earlier call's result for
        ``x`` of the same shape): C-contiguous, writeable, float64 (bool for ``constant``), not
        sharing memory with ``x`` or each other.  Returned, filled, bit-identical to the
        allocating call.

    Returns
    -------
    EntropyWeights
        ``standardized`` (..., m, n); ``entropy``, ``difference``, ``weight``, ``constant``
        (..., n).

    Raises
    ------
    InputTypeError
        Non-numeric ``x`` or ``negative``.
    InputError
        Fewer than 2 dims, fewer than 2 rows, no indicator, ``negative`` of the wrong length,
        an unknown ``errors``.
    NonFiniteError
        NaN or ±inf in ``x``; carries the index of the first one.
    AllConstantError
        Every indicator constant in some batch item, with ``errors="raise"``.

    Notes
    -----
    A constant indicator (max = min) carries no information.  Eqs. 2–3 give 0/0 for it;
    fastcarbon standardizes it to 1 in every row (every row attains the best value observed),
    which makes the proportions uniform, e = 1 and d = w = 0 exactly: weight 0, never NaN, and
    no deviation in the obstacle degree.  A non-constant indicator always has d > 0 (its
    standardized column holds a 0 and a 1), so ``difference == 0`` exactly when ``constant``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.entropy import entropy_weights
    >>> x = np.array([[0.0, 10.0], [1.0, 10.0], [1.0, 20.0]])   # 3 rows, 2 indicators
    >>> r = entropy_weights(x)
    >>> r.standardized[:, 1].tolist()
    [0.0, 0.0, 1.0]
    >>> round(float(r.entropy[0]), 6), float(r.entropy[1])   # ln 2 / ln 3, and 0
    (0.63093, 0.0)
    >>> np.round(r.weight, 4).tolist()
    [0.2696, 0.7304]
    """
    if errors not in ("raise", "ignore"):
        raise InputError(f"errors must be 'raise' or 'ignore', got {show(errors)}")
    a = _as_float_array(x, "x")
    if a.ndim < 2:
        raise InputError(f"x: needs at least 2 dims (rows, indicators), got shape {a.shape}")
    m, n = a.shape[-2:]
    if m < 2:
        raise InputError(
            f"x: needs at least 2 rows to standardize (and ln m > 0 in eq. 5), got {m} "
            f"(shape {a.shape})"
        )
    if n < 1:
        raise InputError(f"x: needs at least 1 indicator, got shape {a.shape}")
    neg = np.zeros(n, dtype=np.bool_) if negative is None else np.asarray(negative)
    if neg.dtype != np.bool_:
        raise InputTypeError(f"negative: must be booleans, one per indicator, got dtype {neg.dtype}")
    if neg.shape != (n,):
        raise InputError(f"negative: must have shape ({n},), one flag per indicator, got {neg.shape}")

    batch = a.shape[:-2]
    a3 = a.reshape((-1, m, n))
    n_b = a3.shape[0]
    if out is None:
        standardized = np.empty_like(a3)
        entropy, difference, weight = (np.empty((n_b, n)) for _ in range(3))
        constant = np.empty((n_b, n), dtype=np.bool_)
    else:
        per = batch + (n,)
        given = named_buffers(out, EntropyWeights, "entropy_weights", {
            "standardized": (a.shape, np.float64), "entropy": (per, np.float64), "difference": (per, np.float64),
            "weight": (per, np.float64), "constant": (per, np.bool_)}, {"x": a})
        standardized = given["standardized"].reshape(a3.shape)
        entropy, difference, weight, constant = (given[k].reshape(n_b, n)
                                                 for k in ("entropy", "difference", "weight", "constant"))
    bad = np.empty(n_b, dtype=np.int64)
    launch(_k.entropy_weights_serial, _k.entropy_weights_parallel, use_parallel(parallel, a.size),
           a3, np.ascontiguousarray(neg), standardized, entropy, difference, weight, constant, bad)
    _raise_bad(bad, a, "x", "must be finite (no NaN or inf)")

    n_const = constant.sum(axis=-1)
    all_const = n_const == n
    if errors == "raise" and all_const.any():
        raise AllConstantError(tuple(int(k) for k in np.unravel_index(int(np.argmax(all_const)), batch)))
    if warn and n_const.any():
        b = int(np.argmax(n_const > 0))
        where = tuple(int(k) for k in np.unravel_index(b, batch))
        warnings.warn(
            f"x: {int(n_const.sum())} indicator(s) constant over the rows (first: indicator(s) "
            f"{np.flatnonzero(constant[b]).tolist()}{_of_item(where)}); they get weight 0",
            ConstantIndicatorWarning,
            stacklevel=2,
        )
    if out is not None:
        return same_or_new(out, EntropyWeights(**given))
    shape = batch + (n,)
    return EntropyWeights(
        standardized.reshape(a.shape),
        entropy.reshape(shape),
        difference.reshape(shape),
        weight.reshape(shape),
        constant.reshape(shape),
    )


def obstacle_degree(standardized, weight, *, parallel: bool | None = None,
                    out: ObstacleDegree | None = None) -> ObstacleDegree:
    """Obstacle degree ("resistance") of each indicator in each row, with rankings.

    .. math::

        S_{ij} = 1 - X_{ij},\\qquad O_{ij} = \\frac{S_{ij} w_j}{\\sum_j S_{ij} w_j}

    (000, eq. 8: the Bengbu study's resistance model, with factor contribution w_j and index
    deviation S_ij).

    Parameters
    ----------
    standardized : array_like (..., m, n)
        Standardized indicators X in [0, 1], e.g. ``entropy_weights(x).standardized``.
    weight : array_like (..., n)
        Weights w >= 0, broadcastable to the batch of ``standardized`` (one weight vector for
        every city is fine).  They need not sum to 1: O is normalized per row.
    parallel : bool, optional
        As in :func:`entropy_weights`.
    out : ObstacleDegree, optional
        Arrays to write into, as this function returns them: C-contiguous, writeable, float64
        ``deviation`` and ``obstacle``, int64 ``rank`` and ``main_count``, bool ``no_obstacle``,
        not sharing memory with the inputs or each other.  Returned, filled, bit-identical.

    Returns
    -------
    ObstacleDegree
        ``deviation``, ``obstacle``, ``rank`` (..., m, n); ``main_count`` (..., n);
        ``no_obstacle`` (..., m).

    Raises
    ------
    InputTypeError, InputError
        Non-numeric data, too few dims, shapes that do not match or broadcast.
    NonFiniteError
        A standardized value outside [0, 1] or NaN.
    InvalidValueError
        A negative or non-finite weight.

    Notes
    -----
    - A constant indicator has S = 0 and w = 0: it is never an obstacle.
    - A row with Σ_j S_ij w_j = 0 (every weighted indicator at its best) has no obstacle: its O is
      0 for every indicator (not 0/0), ``no_obstacle`` is True, and it counts for no indicator.
    - Ties are ranked competition-style ("1224"): rank = 1 + the number of indicators with a
      strictly larger O, so tied indicators share the better rank, and every indicator tied for
      rank 1 with O > 0 counts as a main obstacle of that row (so ``main_count`` can sum to more
      than m when there are exact ties).

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.core.entropy import obstacle_degree
    >>> X = np.array([[0.0, 0.5], [1.0, 1.0]])
    >>> r = obstacle_degree(X, [0.25, 0.75])
    >>> r.obstacle.tolist()          # row 0: S w = (0.25, 0.375); row 1 is at the best
    [[0.4, 0.6], [0.0, 0.0]]
    >>> r.rank.tolist(), r.main_count.tolist(), r.no_obstacle.tolist()
    ([[2, 1], [1, 1]], [0, 1], [False, True])
    """
    s = _as_float_array(standardized, "standardized")
    w = _as_float_array(weight, "weight")
    if s.ndim < 2:
        raise InputError(f"standardized: needs at least 2 dims (rows, indicators), got shape {s.shape}")
    if w.ndim < 1 or w.shape[-1] != s.shape[-1]:
        raise InputError(
            f"weight: needs a last axis of {s.shape[-1]} indicators to match standardized "
            f"{s.shape}, got shape {w.shape}"
        )
    m, n = s.shape[-2:]
    batch = s.shape[:-2]
    try:
        w = np.broadcast_to(w, batch + (n,))
    except ValueError:
        raise InputError(
            f"weight: batch dims {w.shape[:-1]} do not broadcast to those of standardized {batch}"
        ) from None
    bad_w = ~(np.isfinite(w) & (w >= 0))
    if bad_w.any():
        idx = tuple(int(k) for k in np.argwhere(bad_w)[0])
        raise InvalidValueError(f"weight: bad value {show(float(w[idx]))} at {show_index(idx)}; weights must be finite and >= 0")
    s3 = s.reshape((-1, m, n))
    # the weights are (batch, n): small, so a contiguous copy is cheap (and a read-only broadcast
    # view would compile the kernel a second time: see `writeable`)
    w2 = writeable(np.ascontiguousarray(w).reshape((-1, n)))
    n_b = s3.shape[0]
    if out is None:
        deviation, obstacle = np.empty_like(s3), np.empty_like(s3)
        rank = np.empty(s3.shape, dtype=np.int64)
        main_count = np.empty((n_b, n), dtype=np.int64)
        no_obstacle = np.empty((n_b, m), dtype=np.bool_)
    else:
        given = named_buffers(out, ObstacleDegree, "obstacle_degree", {
            "deviation": (s.shape, np.float64), "obstacle": (s.shape, np.float64), "rank": (s.shape, np.int64),
            "main_count": (batch + (n,), np.int64), "no_obstacle": (batch + (m,), np.bool_)},
            {"standardized": s, "weight": w})
        deviation, obstacle, rank = (given[k].reshape(s3.shape) for k in ("deviation", "obstacle", "rank"))
        main_count, no_obstacle = given["main_count"].reshape(n_b, n), given["no_obstacle"].reshape(n_b, m)
    bad = np.empty(n_b, dtype=np.int64)
    launch(_k.obstacle_degree_serial, _k.obstacle_degree_parallel, use_parallel(parallel, s.size),
           s3, w2, deviation, obstacle, rank, main_count, no_obstacle, bad)
    _raise_bad(bad, s, "standardized", "must lie in [0, 1]")
    if out is not None:
        return same_or_new(out, ObstacleDegree(**given))
    return ObstacleDegree(
        deviation.reshape(s.shape),
        obstacle.reshape(s.shape),
        rank.reshape(s.shape),
        main_count.reshape(batch + (n,)),
        no_obstacle.reshape(batch + (m,)),
    )
