"""Monte Carlo of scenario emissions on plain numpy arrays.

Validates the noise specifications and the trajectories, factors the sector correlations,
broadcasts activity, intensity and factor to (batch, sector, year), picks the serial or the
parallel kernel of :mod:`fastcarbon.kernels.montecarlo`, and reshapes the draws back.  The
``draw_offset`` argument makes any split of the draws reproduce the whole: chunk k of a dask
array runs with the global id of its first draw.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numba
import numpy as np

from fastcarbon._format import show, show_index
from fastcarbon.core._common import (
    check_no_alias,
    launch,
    out_array,
    out_fields,
    raise_if_not_finite,
    same_or_new,
    use_parallel,
)
from fastcarbon.errors import InputError, InputTypeError, InvalidValueError, UnknownLabelError
from fastcarbon.kernels import montecarlo as _kernels
from fastcarbon.kernels.random import fill_stream_keys

__all__ = ["Noise", "MonteCarloResult", "MonteCarloValueError", "monte_carlo", "check_seed", "correlation_factor",
           "label_key", "label_keys", "combine_keys", "VARIABLES"]

#: the perturbed variables, in the kernel's order (their variate rows follow this order)
VARIABLES = ("activity", "intensity", "factor")
DISTRIBUTIONS = {"normal": _kernels.NORMAL, "lognormal": _kernels.LOGNORMAL,
                 "uniform": _kernels.UNIFORM, "triangular": _kernels.TRIANGULAR}
MODES = {"level": _kernels.LEVEL, "rate": _kernels.RATE}
#: a correlation matrix may have eigenvalues down to -PSD_TOLERANCE (rounding of printed values)
PSD_TOLERANCE = 1e-10


def _real(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name}: must be a real number, got {show(value)}")
    if not math.isfinite(value):
        raise InvalidValueError(f"{name}: must be finite, got {show(value)}")
    return float(value)


def check_seed(value, name: str = "seed") -> int:
    """``value`` as a Python int in [0, 2**64), or an error: booleans and floats are refused
    (``1.0`` would hide an accidental float computation; ``True`` a flag passed by mistake).

    Examples
    --------
    >>> check_seed(np.int64(7))
    7
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name}: must be an integer in [0, 2**64), got {show(value)} of type {type(value).__name__}")
    value = int(value)
    if not 0 <= value < 2**64:
        raise InvalidValueError(f"{name}: must be in [0, 2**64), got {value}")
    return value


@dataclass(frozen=True)
class Noise:
    """Multiplicative noise on one variable's trajectories (activity, intensity or factor).

    Each perturbed value is multiplied by a factor ξ of mean 1 (formulas:
    :mod:`fastcarbon.kernels.montecarlo`): ``on="rate"`` multiplies the annual reduction (or
    growth) rate r(t) = 1 - x(t)/x(t-1), ``on="level"`` the value x(t) itself.

    Parameters
    ----------
    distribution : {"lognormal", "normal", "uniform", "triangular"}
        Law of ξ: lognormal exp(σe - σ²/2); normal 1 + σe; uniform on [1 - σ, 1 + σ];
        symmetric triangular on [1 - σ, 1 + σ].
    spread : float or array (M,)
        σ >= 0, one value or one per sector.  0 reproduces the deterministic trajectory exactly.
    on : {"rate", "level"}
        What ξ multiplies.
    ar1 : float
        Correlation of ξ's underlying normal between consecutive years, in [-1, 1] (1: the same
        factor every year).
    sector_correlation : float or array (M, M), optional
        Correlation across sectors: one ρ for every pair (PSD for -1/(M-1) <= ρ <= 1) or a
        symmetric positive semi-definite matrix with unit diagonal.  None: independent.

    Examples
    --------
    >>> Noise("lognormal", 0.1, on="rate", ar1=0.5, sector_correlation=0.3).distribution
    'lognormal'
    >>> Noise("gamma")
    Traceback (most recent call last):
    ...
    fastcarbon.errors.UnknownLabelError: Noise.distribution: unknown distribution 'gamma'; allowed: ['normal', 'lognormal', 'uniform', 'triangular']
    """

    distribution: str = "lognormal"
    spread: float | np.ndarray = 0.1
    on: str = "rate"
    ar1: float = 0.0
    sector_correlation: float | np.ndarray | None = field(default=None)

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise UnknownLabelError(f"Noise.distribution: unknown distribution {show(self.distribution)}; "
                                    f"allowed: {list(DISTRIBUTIONS)}")
        if self.on not in MODES:
            raise UnknownLabelError(f"Noise.on: must be one of {list(MODES)}, got {show(self.on)}")
        s = np.asarray(self.spread)
        if s.dtype.kind not in "iuf" or s.ndim > 1:
            raise InputTypeError(f"Noise.spread: must be a real number or a 1-D array (one per sector), got {show(self.spread)}")
        bad = ~(np.isfinite(s) & (s >= 0))
        if bad.any():
            k = int(np.flatnonzero(np.ravel(bad))[0])
            raise InvalidValueError(f"Noise.spread: must be finite and >= 0, got {show(float(np.ravel(s)[k]))}"
                                    + (f" at sector position {k}" if s.ndim else ""))
        ar1 = _real(self.ar1, "Noise.ar1")
        if not -1.0 <= ar1 <= 1.0:
            raise InvalidValueError(f"Noise.ar1: must be in [-1, 1], got {show(ar1)}")
        c = self.sector_correlation
        if c is not None and np.ndim(c) == 0:
            rho = _real(c, "Noise.sector_correlation")
            if not -1.0 <= rho <= 1.0:
                raise InvalidValueError(f"Noise.sector_correlation: must be in [-1, 1], got {show(rho)}")
        elif c is not None:
            _check_correlation(np.asarray(c))

    def correlation(self, n_m: int) -> np.ndarray:
        """The (n_m, n_m) sector correlation matrix (identity when ``sector_correlation`` is None)."""
        c = self.sector_correlation
        if c is None:
            return np.eye(n_m)
        if np.ndim(c) == 0:
            corr = np.full((n_m, n_m), float(c))
            np.fill_diagonal(corr, 1.0)
        else:
            corr = np.asarray(c, dtype=np.float64)
            if corr.shape != (n_m, n_m):
                raise InputError(f"Noise.sector_correlation: must be ({n_m}, {n_m}) for {n_m} sectors, got shape {corr.shape}")
        _check_correlation(corr)
        return corr

    def spreads(self, n_m: int) -> np.ndarray:
        """σ per sector, shape (n_m,)."""
        s = np.asarray(self.spread, dtype=np.float64)
        if s.ndim == 1 and s.shape[0] != n_m:
            raise InputError(f"Noise.spread: one value per sector needs {n_m} values, got {s.shape[0]}")
        return np.broadcast_to(s, (n_m,)).copy()


def _check_correlation(c: np.ndarray) -> None:
    name = "Noise.sector_correlation"
    if c.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: must be real numbers, got dtype {c.dtype}")
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise InputError(f"{name}: must be a square (sector, sector) matrix, got shape {c.shape}")
    c = c.astype(np.float64)
    if not np.isfinite(c).all():
        raise InvalidValueError(f"{name}: must be finite")
    if not np.allclose(c, c.T, rtol=0, atol=1e-12):
        i, j = np.unravel_index(int(np.argmax(np.abs(c - c.T))), c.shape)
        raise InvalidValueError(f"{name}: must be symmetric, got {show(c[i, j])} at ({i}, {j}) and {show(c[j, i])} at ({j}, {i})")
    if not (np.diag(c) == 1.0).all():
        k = int(np.flatnonzero(np.diag(c) != 1.0)[0])
        raise InvalidValueError(f"{name}: the diagonal must be 1, got {show(c[k, k])} at ({k}, {k})")
    low = float(np.linalg.eigvalsh(c)[0])
    if low < -PSD_TOLERANCE:
        raise InvalidValueError(f"{name}: not positive semi-definite (smallest eigenvalue {low:.6g}); "
                                f"a correlation matrix needs every eigenvalue >= 0")


def correlation_factor(corr: np.ndarray) -> np.ndarray:
    """Lower-triangular L with L Lᵀ = ``corr``, also for a singular (PSD) matrix.

    Cholesky where ``corr`` is positive definite; otherwise the eigen-factor
    F = V·sqrt(max(λ, 0)) made triangular by a QR decomposition of Fᵀ (Fᵀ = QR gives
    F Fᵀ = RᵀR, so L = Rᵀ).

    Examples
    --------
    >>> L = correlation_factor(np.ones((3, 3)))  # perfectly correlated: singular
    >>> bool(np.allclose(L @ L.T, 1.0)), bool(np.allclose(L, np.tril(L)))
    (True, True)
    """
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        lam, vec = np.linalg.eigh(corr)
        f = vec * np.sqrt(np.clip(lam, 0.0, None))
        r = np.linalg.qr(f.T, mode="r")
        return np.ascontiguousarray(np.tril(r.T))


def _canonical(label) -> bytes:
    """The bytes a label's stream key hashes: a type tag and a canonical text.

    Labels that compare equal get equal bytes across Python and numpy types: ``"Hefei"`` and
    ``np.str_("Hefei")`` (and the strings pandas hands over as object, categorical or ``str``
    dtype) are ``b"str:Hefei"``; ``3``, ``np.int64(3)``, ``np.uint8(3)`` and ``3.0`` are
    ``b"int:3"``.  A string and a number are never equal labels (``"3" != 3`` in Python and in
    a pandas index), so they get different tags and different streams.
    """
    if isinstance(label, (bytes, np.bytes_)):
        label = bytes(label).decode("utf-8")
    if isinstance(label, str):  # np.str_ is a str
        return b"str:" + label.encode("utf-8")
    if isinstance(label, (bool, np.bool_)):
        raise InputTypeError(f"label_key: a boolean label {show(label)} cannot key a random stream; "
                             f"use strings or integers as labels")
    if isinstance(label, numbers.Integral):
        return b"int:" + str(int(label)).encode("ascii")
    if isinstance(label, numbers.Real):
        value = float(label)
        if not math.isfinite(value):
            raise InvalidValueError(f"label_key: label {show(label)} is not finite; it cannot key a random stream")
        if value.is_integer():
            return b"int:" + str(int(value)).encode("ascii")
        return b"float:" + repr(value).encode("ascii")  # shortest repr: stable across versions
    raise InputTypeError(f"label_key: labels must be strings or numbers, got {show(label)} of type "
                         f"{type(label).__name__}")


def label_key(label) -> int:
    """The 64-bit random-stream key of a coordinate label (a region's name or code).

    .. math::

        k = \\text{int}_{LE}(\\text{BLAKE2b}_{8\\,\\text{bytes}}(c(\\text{label})))

    with c the canonical form: ``b"str:" + UTF-8`` for strings (Python, numpy, pandas object,
    categorical or ``str`` labels alike), ``b"int:" + decimal`` for integers (Python or numpy,
    and floats with an integer value: equal labels, equal keys), ``b"float:" + repr`` for other
    finite floats.  ``"3"`` and ``3`` differ (a string is never equal to a number as a label).
    BLAKE2b (RFC 7693) is fixed by its specification, unlike ``hash()``: the key is the same in
    every process, Python version and machine.  The key only names the stream; the variates
    are :func:`fastcarbon.kernels.random.stream_key` (seed, k) (a Philox call), so a region's
    draws depend on its label and the seed, never on its position or on the other regions.

    Parameters
    ----------
    label : str, int or float (Python or numpy scalar)

    Returns
    -------
    int
        In [0, 2**64).

    Raises
    ------
    InputTypeError
        A label that is not a string or a number (or a boolean).
    InvalidValueError
        A NaN or infinite label.

    Examples
    --------
    >>> label_key("Hefei") == label_key(np.str_("Hefei")), label_key(3) == label_key(np.int64(3))
    (True, True)
    >>> label_key("3") == label_key(3)
    False
    >>> label_key("Hefei")
    9168252798815633404
    """
    digest = hashlib.blake2b(_canonical(label), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def label_keys(labels) -> np.ndarray:
    """:func:`label_key` of every label of a 1-D sequence (e.g. an index's values), as uint64.

    Examples
    --------
    >>> import pandas as pd
    >>> keys = label_keys(pd.CategoricalIndex(["Hefei", "Bengbu"]))
    >>> keys.dtype, int(keys[0]) == label_key("Hefei")
    (dtype('uint64'), True)
    """
    values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    return np.array([label_key(v) for v in values], dtype=np.uint64)


def combine_keys(*keys) -> np.ndarray:
    """One stream key from the keys of several dims (e.g. region and sub-region), elementwise:
    BLAKE2b-8 of ``b"keys:"`` followed by each key as 8 little-endian bytes, in the order given.
    One dim's keys are returned unchanged, so keying by ``("region",)`` gives each region the
    key :func:`label_key` of its label.

    Examples
    --------
    >>> a = np.array([label_key("A")], np.uint64); b = np.array([label_key(1)], np.uint64)
    >>> bool(combine_keys(a)[0] == a[0]), bool(combine_keys(a, b)[0] != combine_keys(b, a)[0])
    (True, True)
    """
    arrays = np.broadcast_arrays(*(np.asarray(k, dtype=np.uint64) for k in keys))
    if len(arrays) == 1:
        return arrays[0].copy()
    out = np.empty(arrays[0].shape, dtype=np.uint64)
    stacked = np.stack([a.astype("<u8") for a in arrays], axis=-1)
    for pos in np.ndindex(out.shape):
        digest = hashlib.blake2b(b"keys:" + stacked[pos].tobytes(), digest_size=8).digest()
        out[pos] = int.from_bytes(digest, "little")
    return out


def _streams(streams, batch: tuple[int, ...], rho) -> tuple[np.ndarray | None, float]:
    """The stream key of every batch row (flat, uint64) or None, and ρ, validated."""
    if isinstance(rho, (bool, np.bool_)) or not isinstance(rho, numbers.Real):
        raise InputTypeError(f"stream_correlation: must be a real number in [0, 1], got {show(rho)}")
    rho = float(rho)
    if not 0.0 <= rho <= 1.0:  # NaN fails too
        raise InvalidValueError(f"stream_correlation: must be in [0, 1], got {show(rho)}")
    if streams is None:
        return None, rho
    keys = np.asarray(streams)
    if keys.dtype.kind != "u":
        raise InputTypeError(f"streams: must be an unsigned-integer array of stream keys (e.g. label_keys of the "
                             f"region labels, or np.asarray(keys, dtype=np.uint64)), got dtype {keys.dtype}")
    try:
        if np.broadcast_shapes(keys.shape, batch) != batch:
            raise ValueError
        keys = np.broadcast_to(keys, batch)
    except ValueError:
        raise InputError(f"streams: shape {keys.shape} does not broadcast to the batch shape {batch} (the inputs' "
                         f"broadcast shape without the sector and year axes)") from None
    return keys.reshape(-1).astype(np.uint64), rho



class MonteCarloResult(NamedTuple):
    """Outputs of :func:`monte_carlo`."""

    #: total emissions Σ_m E, shape (n_draws, *batch, T)
    emissions: np.ndarray
    #: emissions per sector, shape (n_draws, *batch, M, T); None unless ``by_sector``
    emissions_by_sector: np.ndarray | None


def _trajectory(a, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: must be real numbers (int or float), got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise InputError(f"{name}: needs a year axis (the last one), got a scalar")
    arr = arr.astype(np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]  # (T,) -> one sector
    return arr


class MonteCarloValueError(InvalidValueError):
    """A trajectory value the Monte Carlo cannot use, with where it was found.

    Attributes
    ----------
    variable : str
        ``"activity"``, ``"intensity"`` or ``"factor"``.
    index : tuple of int
        Position of the element in that input as it was passed (for a rise from 0: the year it
        rises in).
    value : float
        The offending value.
    rise : bool
        True for a rise from 0 under ``on="rate"``, False for a value outside the allowed range.
    rate : bool
        Whether the variable's noise is on its rates (values must then also be >= 0).
    """

    def __init__(self, variable: str, index: tuple[int, ...], value: float, rise: bool, rate: bool,
                 where: str | None = None):
        self.variable, self.index, self.value, self.rise, self.rate = variable, index, value, rise, rate
        # the labelled layer passes ``where`` as coordinate labels ("scenario='RS', year=2031")
        super().__init__(self.describe(show_index(index) if where is None else where))

    def describe(self, where: str) -> str:
        """The message with the position stated as ``where`` (e.g. by coordinate labels; empty for
        a 0-d input, which has no position)."""
        at = f" at {where}" if where else ""
        if self.rise:
            return (f"{self.variable}: rises from 0{at}; with noise on='rate' a trajectory that reaches 0 "
                    f"must stay 0 (the rate is undefined there); use on='level'")
        allowed = "finite and >= 0 (rates are ratios of consecutive years)" if self.rate else "finite"
        return f"{self.variable}: bad value {show(self.value)}{at}; values must be {allowed}"


def _check_values(x: np.ndarray, name: str, mode: int | None, shape: tuple[int, ...]) -> None:
    """Raise :class:`MonteCarloValueError` for the first value of ``x`` (an input with its year
    last, before broadcasting) the kernel cannot use; ``shape`` is the input's shape as passed,
    so the error's index is the user's."""
    rate = mode == _kernels.RATE
    bad = ~np.isfinite(x)
    if rate:
        bad |= x < 0
    if bad.any():
        pos = tuple(int(k) for k in np.argwhere(bad)[0])
        raise MonteCarloValueError(name, _as_passed(pos, x.shape, shape), float(x[pos]), rise=False, rate=rate)
    if rate:
        # r(t) = 1 - x(t)/x(t-1) is undefined where x rises from 0.
        rise = (x[..., :-1] == 0) & (x[..., 1:] > 0)
        if rise.any():
            k = tuple(int(i) for i in np.argwhere(rise)[0])
            pos = (*k[:-1], k[-1] + 1)  # the year it rises in
            raise MonteCarloValueError(name, _as_passed(pos, x.shape, shape), float(x[pos]), rise=True, rate=rate)


def _as_passed(pos: tuple[int, ...], shape: tuple[int, ...], passed: tuple[int, ...]) -> tuple[int, ...]:
    """``pos`` in an array of ``shape`` as the position in the same values of shape ``passed``
    (a 1-D input is held as one sector, (1, T))."""
    return tuple(int(k) for k in np.unravel_index(np.ravel_multi_index(pos, shape), passed))


def monte_carlo(
    activity,
    intensity,
    factor=None,
    *,
    n_draws: int,
    seed: int,
    draw_offset: int = 0,
    activity_noise: Noise | None = None,
    intensity_noise: Noise | None = None,
    factor_noise: Noise | None = None,
    by_sector: bool = False,
    parallel: bool | None = None,
    streams=None,
    stream_correlation: float = 0.0,
    out: MonteCarloResult | None = None,
) -> MonteCarloResult:
    """Emissions E = activity × intensity × factor under multiplicative noise, ``n_draws`` draws.

    For every draw, sector m and year t, each variable with a :class:`Noise` is perturbed
    (annual rate or level, AR(1) over years, correlated across sectors; formulas and the random
    number layout in :mod:`fastcarbon.kernels.montecarlo`) and

    .. math::

        E_{d,b,m,t} = (A'_{d,b,m,t}\\, I'_{d,b,m,t})\\, F'_{d,b,m,t}, \\qquad
        E_{d,b,t} = \\sum_m E_{d,b,m,t}

    the top-down scenario emissions of Dai et al. (2025, section 3.2: activity × carbon
    intensity, intensity falling by Table 1's rates) with uncertain rates.  Draw d uses the
    counter-based Philox4x32-10 generator (Salmon et al. 2011) keyed by (``seed``, stream key,
    global draw id ``draw_offset + d``, variate index), so the result does not depend on how the
    draws are split, on the thread count or on the process that computes them.

    **Streams.**  By default every batch row of a draw sees the same noise (common random
    numbers).  ``streams`` gives each batch row a stream key instead: rows with equal keys
    share their noise (the scenarios of one region), rows with different keys draw from
    different Philox streams (:func:`fastcarbon.kernels.random.stream_key`; their normals by
    a vectorised Box–Muller, :func:`fastcarbon.kernels.random.stream_normal`, and their
    lognormal factors by a vectorised exp, both within a few ulp of libm's), independent for
    ``stream_correlation=0``.  A row's draws depend only on (seed, its key, draw id), never on
    its position or on the other rows: adding, removing or reordering regions leaves every
    other region's draws bit-identical.  With ρ = ``stream_correlation`` the innovations follow
    a one-factor model ε = sqrt(ρ) ε_shared + sqrt(1 - ρ) ε_stream (before the sector and AR(1)
    steps; formulas and the correlation it gives each distribution's ξ in
    :mod:`fastcarbon.kernels.montecarlo`); ρ = 1 is the shared noise.

    Parameters
    ----------
    activity, intensity : array_like (..., M, T) or (T,)
        Trajectories with the year last and the sector second to last; they broadcast together
        (with ``factor``) to (*batch, M, T).  A 1-D array is one sector.
    factor : array_like, optional
        A third multiplicative input (emission factor, unit conversion, sector share); 1 if None.
    n_draws : int
        Number of draws, >= 1.
    seed : int
        Integer in [0, 2**64).
    draw_offset : int
        Global id of the first draw (chunk k of a split passes its starting draw).
    activity_noise, intensity_noise, factor_noise : Noise, optional
        Noise per variable; None leaves the variable unperturbed.
    by_sector : bool
        Also return emissions per sector.
    parallel : bool, optional
        Force the serial or the multi-threaded kernel (bit-identical).  Default: parallel from
        ``parallel_threshold`` output elements (:func:`fastcarbon.set_options`) with > 1 thread.
    streams : unsigned-integer array_like, optional
        Stream key of each batch row, broadcastable to the batch shape (the inputs' broadcast
        shape without the sector and year axes), e.g. ``label_keys(regions)[:, None]`` for
        (region, scenario) rows.  None: one noise for every row (common random numbers).
    stream_correlation : float
        ρ in [0, 1], the correlation of different streams' innovations; 0: independent, 1: the
        shared noise.  No effect without ``streams``.
    out : MonteCarloResult, optional
        Arrays to write the draws into, as this function returns them (e.g. an earlier call's
        result with the same shapes): C-contiguous, writeable float64 ``emissions``
        (n_draws, *batch, T) and, with ``by_sector``, ``emissions_by_sector`` (n_draws, *batch,
        M, T) (else None or ignored), not sharing memory with the inputs.  Returned, filled,
        bit-identical to the allocating call.  The inputs are still broadcast into one
        (3, batch, M, T) array per call (input-sized, not draw-sized).

    Returns
    -------
    MonteCarloResult
        ``emissions`` (n_draws, *batch, T) and ``emissions_by_sector`` (n_draws, *batch, M, T)
        or None.

    Raises
    ------
    InputTypeError
        Non-numeric trajectories; a seed, offset or draw count that is not an integer; a noise
        that is not a :class:`Noise`.
    InputError
        Shapes that do not broadcast; per-sector spreads or correlations of the wrong size.
    MonteCarloValueError
        Non-finite values; negative values or a rise from 0 under ``on="rate"``; its index is
        the position in that input as it was passed.
    InvalidValueError
        A negative seed, a draw count below 1, ``stream_correlation`` outside [0, 1].
    OverflowResultError
        Finite inputs whose emissions in some draw exceed the float64 range; the message names
        the output, its index and the draw id.

    Examples
    --------
    >>> import numpy as np
    >>> gdp = np.array([100.0, 106.0, 112.36])
    >>> ci = np.array([[2.0, 1.9, 1.8], [1.0, 0.95, 0.9]])  # two sectors
    >>> r = monte_carlo(gdp, ci, n_draws=4, seed=1)  # no noise: the deterministic path
    >>> bool((r.emissions == (gdp * ci).sum(axis=0)).all())
    True
    >>> r = monte_carlo(gdp, ci, n_draws=1000, seed=1, intensity_noise=Noise("lognormal", 0.2))
    >>> r.emissions.shape, bool(np.all(r.emissions[:, 0] == 300.0))
    ((1000, 3), True)
    >>> half = monte_carlo(gdp, ci, n_draws=500, seed=1, draw_offset=500, intensity_noise=Noise("lognormal", 0.2))
    >>> bool((half.emissions == r.emissions[500:]).all())  # any split reproduces the whole
    True
    >>> two = np.stack([ci, ci])  # two regions with the same paths, each its own stream
    >>> keys = label_keys(["Hefei", "Bengbu"])
    >>> s = monte_carlo(gdp, two, n_draws=1000, seed=1, streams=keys, intensity_noise=Noise("lognormal", 0.2))
    >>> bool((s.emissions[:, 0] != s.emissions[:, 1])[:, 1:].all())
    True
    >>> one = monte_carlo(gdp, ci, n_draws=1000, seed=1, streams=keys[1], intensity_noise=Noise("lognormal", 0.2))
    >>> bool((one.emissions == s.emissions[:, 1]).all())  # Bengbu's draws, with or without Hefei
    True
    """
    seed = check_seed(seed)
    draw_offset = check_seed(draw_offset, "draw_offset")
    if isinstance(n_draws, (bool, np.bool_)) or not isinstance(n_draws, numbers.Integral):
        raise InputTypeError(f"n_draws: must be an integer >= 1, got {show(n_draws)}")
    n_draws = int(n_draws)
    if n_draws < 1:
        raise InvalidValueError(f"n_draws: must be >= 1, got {n_draws}")
    if draw_offset + n_draws > 2**64:
        raise InvalidValueError(f"draw_offset + n_draws: the last draw id must be below 2**64, got {draw_offset + n_draws - 1}")
    noises = (activity_noise, intensity_noise, factor_noise)
    if streams is not None and not isinstance(streams, np.ndarray) and np.ndim(streams) == 0:
        streams = np.asarray(streams)
    for noise, name in zip(noises, VARIABLES):
        if noise is not None and not isinstance(noise, Noise):
            raise InputTypeError(f"{name}_noise: expected a fastcarbon Noise(...) or None, got {type(noise).__name__}")
    arrays = [_trajectory(a, n) for a, n in ((activity, "activity"), (intensity, "intensity"))]
    arrays.append(np.ones((1, 1)) if factor is None else _trajectory(factor, "factor"))
    # checked as passed, before broadcasting: the error's index is the user's, not the kernel's
    # (batch, sector, year), and a broadcast input is not checked once per copy
    passed = (np.shape(activity), np.shape(intensity), (1, 1) if factor is None else np.shape(factor))
    for v, (a, noise) in enumerate(zip(arrays, noises)):
        _check_values(a, VARIABLES[v], None if noise is None else MODES[noise.on], passed[v])
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise InputError(
            "activity, intensity, factor: shapes do not broadcast to (..., sector, year): "
            + ", ".join(f"{n} {a.shape}" for n, a in zip(VARIABLES, arrays))) from None
    *batch, n_m, n_t = shape
    n_b = math.prod(batch)
    row_keys, rho = _streams(streams, tuple(batch), stream_correlation)
    x = np.empty((3, n_b, n_m, n_t))
    for v, a in enumerate(arrays):
        x[v] = np.broadcast_to(a, shape).reshape(n_b, n_m, n_t)

    dist = np.zeros(3, dtype=np.int64)
    mode = np.zeros(3, dtype=np.int64)
    spread = np.zeros((3, n_m))
    phi = np.zeros(3)
    chol = np.zeros((3, n_m, n_m))
    use_chol = np.zeros(3, dtype=np.bool_)
    active = np.zeros(3, dtype=np.bool_)
    for v, noise in enumerate(noises):
        if noise is None:
            continue
        dist[v] = DISTRIBUTIONS[noise.distribution]
        mode[v] = MODES[noise.on]
        spread[v] = noise.spreads(n_m)
        phi[v] = float(noise.ar1)
        corr = noise.correlation(n_m)
        use_chol[v] = not np.array_equal(corr, np.eye(n_m))
        chol[v] = correlation_factor(corr) if use_chol[v] else np.eye(n_m)
        active[v] = bool((spread[v] > 0).any())

    if out is None:
        total = np.empty((n_draws, n_b, n_t))
        sector = np.empty((n_draws if by_sector else 0, n_b, n_m, n_t))
    else:
        out_total, out_sector = out_fields(out, MonteCarloResult._fields, "monte_carlo")
        out_total = out_array(out_total, "out.emissions", (n_draws, *batch, n_t), np.float64)
        if by_sector and out_sector is None:
            raise InputError("out.emissions_by_sector: is None, but by_sector=True; pass an array of shape "
                             f"{(n_draws, *batch, n_m, n_t)} (an earlier by_sector call's result has one)")
        out_sector = (out_array(out_sector, "out.emissions_by_sector", (n_draws, *batch, n_m, n_t), np.float64)
                      if by_sector else None)
        # the inputs were copied into x above, so only the two buffers can overlap
        check_no_alias({"out.emissions": out_total, "out.emissions_by_sector": out_sector}, {})
        total = out_total.reshape(n_draws, n_b, n_t)
        sector = out_sector.reshape(n_draws, n_b, n_m, n_t) if by_sector else np.empty((0, n_b, n_m, n_t))
    parallel = use_parallel(parallel, n_draws * n_b * n_m * n_t)
    if row_keys is None or rho == 1.0:
        # one stream keyed by the seed itself: the shared noise, bit for bit as before streams
        keys, row_stream, w_shared, w_stream = np.full(1, seed, np.uint64), np.zeros(n_b, np.int64), 0.0, 1.0
        fast = False
    else:
        unique, row_stream = np.unique(row_keys, return_inverse=True)
        keys = np.empty(unique.shape[0], np.uint64)
        fill_stream_keys(np.uint64(seed), unique, keys)
        row_stream = row_stream.reshape(-1).astype(np.int64)
        w_shared, w_stream = math.sqrt(rho), math.sqrt(1.0 - rho)
        fast = True  # the streams' normals: vectorised Box-Muller (kernels.random.stream_normal)
    # dynamic scheduling of the parallel kernel's (stream × draw block) items (no effect on the
    # values); the setting is per thread and restored afterwards
    previous = numba.set_parallel_chunksize(1) if parallel else None
    try:
        launch(_kernels.monte_carlo_streams, _kernels.monte_carlo_streams_parallel, parallel,
               x, keys, row_stream, np.uint64(seed), w_shared, w_stream, fast, np.uint64(draw_offset), dist, mode,
               spread, phi, chol, use_chol, active, total, sector)
    finally:
        if parallel:
            numba.set_parallel_chunksize(previous)
    # Finite inputs (checked above) can still overflow: activity × intensity × factor near the
    # float64 range, or a wide noise.  The draw is named by its global id, the same under any
    # split of the draws.
    def hint(idx):
        return (f"draw id {draw_offset + idx[0]} (seed {seed}); check the inputs' magnitudes and units, "
                f"or the noise spreads")

    if by_sector:
        raise_if_not_finite(sector.reshape(n_draws, *batch, n_m, n_t), "emissions_by_sector", hint)
    raise_if_not_finite(total.reshape(n_draws, *batch, n_t), "emissions", hint)
    if out is not None:
        return same_or_new(out, MonteCarloResult(out_total, out_sector))
    return MonteCarloResult(
        emissions=total.reshape(n_draws, *batch, n_t),
        emissions_by_sector=sector.reshape(n_draws, *batch, n_m, n_t) if by_sector else None,
    )
