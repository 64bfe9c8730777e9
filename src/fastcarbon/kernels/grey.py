"""Grey forecasting kernels: EGM(1,1) and a linear-trend baseline, one series per work item.

EGM(1,1), the even grey model of Deng's grey system theory, as used by the Bengbu study
(Scientific Reports 13:14528 (2023), "000", eqs. 9–13), with fastcarbon's conventions
(``METHODS.md``).  For a positive series x0(1..n):

- x1(k) = Σ_{m<=k} x0(m); background value z(k) = 0.5·(x1(k) + x1(k−1)), k = 2..n;
- least squares on x0(k) + a·z(k) = b, k = 2..n, in centered form on data scaled by their mean x̄
  (a is scale-free, b scales with x):

  .. math:: a = -\\frac{\\sum (z-\\bar z)(y-\\bar y)}{\\sum (z-\\bar z)^2}, \\qquad
            b = \\bar x\\,(\\bar y + a \\bar z)

  with y = x0/x̄, z from x0/x̄ and the means over k = 2..n (no inv(BᵀB));
- time response, restored by first differences in the stable form

  .. math:: \\hat x^{(0)}(1) = x^{(0)}(1), \\qquad
            \\hat x^{(0)}(k+1) = \\varphi(a)\\,(b - a\\,x^{(0)}(1))\\,e^{-ak}, \\quad
            \\varphi(a) = \\frac{\\operatorname{expm1}(a)}{a} \\;(\\varphi(0) = 1)

  so a = 0 (a constant series) works and a near 0 loses no precision, and a long horizon gives
  ±inf (flagged :data:`FLAG_OVERFLOW`), never the inf − inf = NaN of the x1-difference form.

Diagnostics per series (Liu Sifeng's posterior-difference test): residuals ε(k) = x0(k) − x̂0(k)
over all n points (ε(1) = 0), S1 and S2 the population standard deviations of x0 and ε,
C = S2/S1, P = share of k with |ε(k) − ε̄| < 0.6745·S1; MAPE = mean of |ε(k)|/x0(k) over
k = 1..n (a fraction); level ratios σ(k) = x0(k−1)/x0(k) admissible in
(e^{−2/(n+1)}, e^{2/(n+1)}).

The linear baseline fits x̂(k) = α + β·k, k = 1..n, by centered least squares and reports the
same diagnostics, so the two models compare as in 000 Table 6.

Layout
------
``x`` is a C-contiguous float64 array (B, n): B independent series of n equally spaced points.
Outputs are written into caller-provided arrays: ``params`` (B, 2) = (a, b) or (α, β),
``fitted`` (B, n), ``forecast`` (B, h) for the h points after the last (h may be 0),
``residual`` and ``relative_error`` (B, n), ``stats`` (B, 3) = (C, P, MAPE), ``grade`` int8 (B,), ``flag`` int32 (B,).  Each work item reads
one row and writes one row, summing in the order written, so the serial and parallel drivers are
bit-identical for any thread count.

Flags and grades
----------------
``flag`` is a bit-field (0 = clean).  The bits in :data:`FLAG_FATAL` mean the series was not
fitted: its params, fitted values, forecast and statistics are NaN and its grade is
:data:`GRADE_NONE`.  The other bits are warnings; the fit is kept.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import kernel, parallel_kernel

__all__ = [
    "FLAG_MISSING",
    "FLAG_NONPOSITIVE",
    "FLAG_TOO_SHORT",
    "FLAG_A_RANGE",
    "FLAG_LEVEL_RATIO",
    "FLAG_OVERFLOW",
    "FLAG_FATAL",
    "GRADE_GOOD",
    "GRADE_QUALIFIED",
    "GRADE_BARELY",
    "GRADE_UNQUALIFIED",
    "GRADE_NONE",
    "MIN_POINTS",
    "egm_fit",
    "egm_fit_parallel",
    "egm_forecast",
    "linear_fit",
    "linear_fit_parallel",
    "linear_forecast",
]

#: a NaN or infinite value in the series (not fitted)
FLAG_MISSING = 1
#: a value <= 0 (not fitted; EGM(1,1) needs a positive series — shift it by a constant)
FLAG_NONPOSITIVE = 2
#: fewer than :data:`MIN_POINTS` points (not fitted)
FLAG_TOO_SHORT = 4
#: |a| >= 2 or a not finite: the EGM(1,1) model is meaningless (not fitted).  For positive data
#: the least-squares a stayed inside (−2, 2) in every case tried (2e5 random 4-point series over six
#: decades; a jump of 10^6 gives −1.99999), so this guards the limit against rounding.
FLAG_A_RANGE = 8
#: a level ratio outside (e^{-2/(n+1)}, e^{2/(n+1)}) (warning; the fit is kept)
FLAG_LEVEL_RATIO = 16
#: a fitted or forecast value beyond the float64 range, written as ±inf (warning)
FLAG_OVERFLOW = 32
#: bits that leave the series unfitted
FLAG_FATAL = FLAG_MISSING | FLAG_NONPOSITIVE | FLAG_TOO_SHORT | FLAG_A_RANGE

#: posterior-difference grades (000 Table 7): P > 0.95 and C < 0.35
GRADE_GOOD = 0
#: P > 0.80 and C < 0.5
GRADE_QUALIFIED = 1
#: P > 0.70 and C < 0.65
GRADE_BARELY = 2
#: anything else
GRADE_UNQUALIFIED = 3
#: not graded (the series was not fitted)
GRADE_NONE = -1

#: fewest points a series needs (000: "the grey prediction model meets four data series")
MIN_POINTS = 4

# A series whose S1 is below this fraction of its mean is constant up to rounding: its C and P
# would be a ratio of rounding errors.  Such a series is graded by whether its residuals vanish
# to the same tolerance (C = 0, P = 1) or not (C = inf, P = 0).
_CONSTANT_RTOL = 1e-12

# restart the e^{-ak} recurrence from an exact exp every this many values (see _egm_response)
_EXACT_EVERY = 16


@kernel
def _check(x, lo, hi):
    """Data flags of one series: missing (NaN/inf), non-positive, too short, and, for a series
    that passes those, the level-ratio warning."""
    flag = FLAG_TOO_SHORT if x.shape[0] < MIN_POINTS else 0
    for k in range(x.shape[0]):
        v = x[k]
        if not (v - v == 0.0):  # NaN and ±inf give NaN
            flag |= FLAG_MISSING
        elif v <= 0.0:
            flag |= FLAG_NONPOSITIVE
    if flag & (FLAG_MISSING | FLAG_NONPOSITIVE):
        return flag
    for k in range(1, x.shape[0]):
        # lo < x(k-1)/x(k) < hi without the division (x(k) > 0 here)
        if not (x[k - 1] > lo * x[k] and x[k - 1] < hi * x[k]):
            return flag | FLAG_LEVEL_RATIO
    return flag


@kernel
def _level_ratio_bounds(n):
    return math.exp(-2.0 / (n + 1)), math.exp(2.0 / (n + 1))


@kernel
def _diagnostics(x, fitted, residual, relative_error, stats):
    """Residuals, relative errors, and C, P, MAPE into ``stats``; returns (overflow flag, grade).
    ``x`` is positive and finite."""
    n = x.shape[0]
    flag = 0
    mean_x = 0.0
    mean_e = 0.0
    mape = 0.0
    for k in range(n):
        e = x[k] - fitted[k]
        if not (e - e == 0.0):
            flag |= FLAG_OVERFLOW
        r = abs(e) / x[k]
        residual[k] = e
        relative_error[k] = r
        mean_x += x[k]
        mean_e += e
        mape += r
    mean_x /= n
    mean_e /= n
    ss1 = 0.0
    ss2 = 0.0
    for k in range(n):
        d1 = x[k] - mean_x
        d2 = residual[k] - mean_e
        ss1 += d1 * d1
        ss2 += d2 * d2
    s1 = math.sqrt(ss1 / n)
    s2 = math.sqrt(ss2 / n)
    if s1 <= _CONSTANT_RTOL * mean_x:
        exact = s2 <= _CONSTANT_RTOL * mean_x
        c = 0.0 if exact else math.inf
        p = 1.0 if exact else 0.0
    else:
        c = s2 / s1
        bound = 0.6745 * s1
        count = 0
        for k in range(n):
            if abs(residual[k] - mean_e) < bound:
                count += 1
        p = count / n
    stats[0] = c
    stats[1] = p
    stats[2] = mape / n
    if p > 0.95 and c < 0.35:
        grade = GRADE_GOOD
    elif p > 0.80 and c < 0.5:
        grade = GRADE_QUALIFIED
    elif p > 0.70 and c < 0.65:
        grade = GRADE_BARELY
    else:
        grade = GRADE_UNQUALIFIED
    return flag, grade


@kernel
def _unfitted(params, fitted, forecast, residual, relative_error, stats):
    params[:] = np.nan
    fitted[:] = np.nan
    residual[:] = np.nan
    relative_error[:] = np.nan
    forecast[:] = np.nan
    stats[:] = np.nan


@kernel
def _egm_response(a, b, x_first, k0, out):
    """out[j] = φ(a)·(b − a·x_first)·e^{−a(k0 + j)}; returns FLAG_OVERFLOW if any is ±inf."""
    phi = math.expm1(a) / a if a != 0.0 else 1.0
    g = phi * (b - a * x_first)
    if g == 0.0:
        out[:] = 0.0  # never 0 * inf = NaN
        return 0
    # e^{-ak} by the recurrence e^{-a(k+1)} = e^{-ak}·e^{-a}, restarted from an exact exp every
    # _EXACT_EVERY steps: one exp per 16 values instead of one per value (exp dominated the
    # kernel: 0.4 → 0.2 µs per series of 10 points + 10 forecast), rounding drift <= 16 ulp.
    # Overflow and underflow are sticky (inf·r = inf, 0·r = 0), so a long horizon gives ±inf or 0.
    r = math.exp(-a)
    flag = 0
    v = 0.0
    for j in range(out.shape[0]):
        if j % _EXACT_EVERY == 0:
            v = g * math.exp(-a * (k0 + j))
        else:
            v *= r
        if not (v - v == 0.0):
            flag = FLAG_OVERFLOW
        out[j] = v
    return flag


@kernel
def _egm_item(x, params, fitted, forecast, residual, relative_error, stats, lo, hi):
    """Fit one series; returns (flag, grade)."""
    n = x.shape[0]
    flag = _check(x, lo, hi)
    if flag & FLAG_FATAL:
        _unfitted(params, fitted, forecast, residual, relative_error, stats)
        return flag, GRADE_NONE
    scale = 0.0
    for k in range(n):
        scale += x[k]
    scale /= n
    # Pass 1: means of z and y over k = 2..n, on data scaled by their mean (y = x0/x̄).
    inv = 1.0 / scale
    x1 = x[0] * inv
    z_mean = 0.0
    y_mean = 0.0
    for k in range(1, n):
        y = x[k] * inv
        x1_next = x1 + y
        z_mean += 0.5 * (x1_next + x1)
        y_mean += y
        x1 = x1_next
    z_mean /= n - 1
    y_mean /= n - 1
    # Pass 2: centered cross products (the same x1 recurrence, so the same z values).
    x1 = x[0] * inv
    szz = 0.0
    szy = 0.0
    for k in range(1, n):
        y = x[k] * inv
        x1_next = x1 + y
        dz = 0.5 * (x1_next + x1) - z_mean
        szz += dz * dz
        szy += dz * (y - y_mean)
        x1 = x1_next
    a = -szy / szz
    b = (y_mean + a * z_mean) * scale
    if not (abs(a) < 2.0):
        _unfitted(params, fitted, forecast, residual, relative_error, stats)
        return flag | FLAG_A_RANGE, GRADE_NONE
    params[0] = a
    params[1] = b
    fitted[0] = x[0]
    flag |= _egm_response(a, b, x[0], 1, fitted[1:])
    flag |= _egm_response(a, b, x[0], n, forecast)
    warn, grade = _diagnostics(x, fitted, residual, relative_error, stats)
    return flag | warn, grade


@kernel
def _linear_response(alpha, beta, k0, out):
    """out[j] = α + β·(k0 + j)."""
    for j in range(out.shape[0]):
        out[j] = alpha + beta * (k0 + j)


@kernel
def _linear_item(x, params, fitted, forecast, residual, relative_error, stats, lo, hi):
    """Fit x̂(k) = α + β·k, k = 1..n, to one series; returns (flag, grade)."""
    n = x.shape[0]
    flag = _check(x, lo, hi)
    if flag & FLAG_FATAL:
        _unfitted(params, fitted, forecast, residual, relative_error, stats)
        return flag, GRADE_NONE
    k_mean = 0.5 * (n + 1)
    x_mean = 0.0
    for k in range(n):
        x_mean += x[k]
    x_mean /= n
    skk = 0.0
    skx = 0.0
    for k in range(n):
        dk = (k + 1) - k_mean
        skk += dk * dk
        skx += dk * (x[k] - x_mean)
    beta = skx / skk
    alpha = x_mean - beta * k_mean
    params[0] = alpha
    params[1] = beta
    _linear_response(alpha, beta, 1, fitted)
    _linear_response(alpha, beta, n + 1, forecast)
    warn, grade = _diagnostics(x, fitted, residual, relative_error, stats)
    return flag | warn, grade


@kernel
def egm_fit(x, params, fitted, forecast, residual, relative_error, stats, grade, flag):
    """Fit EGM(1,1) to every row of ``x``, serial (GIL released).

    Parameters
    ----------
    x : float64 array (B, n)
        B series of n equally spaced positive values.
    params : float64 array (B, 2), written
        (a, b): development coefficient and grey input.
    fitted : float64 array (B, n), written
        x̂0(1..n), with x̂0(1) = x0(1).
    forecast : float64 array (B, h), written
        x̂0(n+1..n+h); h may be 0.
    residual, relative_error : float64 arrays (B, n), written
        ε(k) = x0(k) − x̂0(k) and |ε(k)|/x0(k), written in the diagnostics pass (no second
        pass over B × n arrays).
    stats : float64 array (B, 3), written
        (C, P, MAPE) of the posterior-difference test and the mean absolute percentage error
        (a fraction) over k = 1..n.
    grade : int8 array (B,), written
        :data:`GRADE_GOOD` ... :data:`GRADE_UNQUALIFIED`, or :data:`GRADE_NONE`.
    flag : int32 array (B,), written
        Bit-field of ``FLAG_*`` codes, 0 when clean.

    Notes
    -----
    Formulas in the module docstring (000 eqs. 9–13; METHODS.md).  Callable from a user's own
    ``@numba.njit`` code.  Bit-identical to :func:`egm_fit_parallel`.
    """
    lo, hi = _level_ratio_bounds(x.shape[1])
    for i in range(x.shape[0]):
        f, g = _egm_item(
            x[i], params[i], fitted[i], forecast[i], residual[i], relative_error[i], stats[i], lo, hi
        )
        flag[i] = f
        grade[i] = g


# The serial and parallel drivers are separate Python functions on purpose: numba's on-disk cache
# keys on the function and signature, not on the `parallel` flag.  The work is in `_egm_item`.
@parallel_kernel
def egm_fit_parallel(x, params, fitted, forecast, residual, relative_error, stats, grade, flag):
    """Multi-threaded :func:`egm_fit` (series shared among threads), bit-identical to it."""
    lo, hi = _level_ratio_bounds(x.shape[1])
    for i in prange(x.shape[0]):
        f, g = _egm_item(
            x[i], params[i], fitted[i], forecast[i], residual[i], relative_error[i], stats[i], lo, hi
        )
        flag[i] = f
        grade[i] = g


@kernel
def egm_forecast(params, x_first, n, forecast, flag):
    """EGM(1,1) values x̂0(n+1..n+h) from fitted parameters, serial (GIL released).

    Parameters
    ----------
    params : float64 array (B, 2)
        (a, b) from :func:`egm_fit`; a NaN row gives a NaN forecast.
    x_first : float64 array (B,)
        x0(1) of each series (x̂0(1) = x0(1)).
    n : int
        Length of the fitted series: the forecast starts at k = n + 1.
    forecast : float64 array (B, h), written
        The same values :func:`egm_fit` writes for the same h.
    flag : int32 array (B,), written
        :data:`FLAG_OVERFLOW` where a value is ±inf, else 0.
    """
    for i in range(params.shape[0]):
        flag[i] = _egm_response(params[i, 0], params[i, 1], x_first[i], n, forecast[i])


@kernel
def linear_fit(x, params, fitted, forecast, residual, relative_error, stats, grade, flag):
    """Fit the linear trend x̂(k) = α + β·k, k = 1..n, to every row of ``x``, serial.

    Same layout, diagnostics, grades and data flags as :func:`egm_fit`, with
    ``params`` = (α, β) (α is the value at k = 0, β the change per step);
    :data:`FLAG_A_RANGE` never occurs.  The baseline of 000 Table 6.
    """
    lo, hi = _level_ratio_bounds(x.shape[1])
    for i in range(x.shape[0]):
        f, g = _linear_item(
            x[i], params[i], fitted[i], forecast[i], residual[i], relative_error[i], stats[i], lo, hi
        )
        flag[i] = f
        grade[i] = g


@parallel_kernel
def linear_fit_parallel(x, params, fitted, forecast, residual, relative_error, stats, grade, flag):
    """Multi-threaded :func:`linear_fit`, bit-identical to it."""
    lo, hi = _level_ratio_bounds(x.shape[1])
    for i in prange(x.shape[0]):
        f, g = _linear_item(
            x[i], params[i], fitted[i], forecast[i], residual[i], relative_error[i], stats[i], lo, hi
        )
        flag[i] = f
        grade[i] = g


@kernel
def linear_forecast(params, n, forecast):
    """Linear-trend values x̂(n+1..n+h) = α + β·k from (α, β) rows; serial."""
    for i in range(params.shape[0]):
        _linear_response(params[i, 0], params[i, 1], n + 1, forecast[i])
