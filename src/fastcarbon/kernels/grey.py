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
``x`` is a C-contiguous float64 array (B, n): B independent series on one grid of n equally
spaced points.  Outputs are written into caller-provided arrays: ``params`` (B, 2) = (a, b) or
(α, β), ``fitted`` (B, n), ``forecast`` (B, h) for the h grid points after the last (h may be 0),
``residual`` and ``relative_error`` (B, n), ``stats`` (B, 3) = (C, P, MAPE), ``grade`` int8 (B,),
``flag`` int32 (B,), ``window`` int32 (B, 3).  Each work item reads one row and writes one row,
summing in the order written, so the serial and parallel drivers are bit-identical for any
thread count.

Ragged series
-------------
Each row is fitted on its own window: from its first to its last non-NaN value (leading and
trailing NaN mark years a series does not cover).  ``window[i]`` = (first, last, count): the
positions of those values (−1, −1 when there are none) and the number of non-NaN values.  A row
gives exactly what the series cut to its window gives (bits included), placed at its positions:
k = 1 is the window's first point; ``fitted`` is NaN before the window, the model's values inside
it and after it to the end of the grid (out of sample there: ``residual`` and ``relative_error``
are NaN outside the window); ``forecast`` continues the same path on the grid points after the
last, so a series that ends two points early is forecast two steps further ahead.  A NaN inside
the window (a gap) or ±inf anywhere flags :data:`FLAG_MISSING`; fewer than :data:`MIN_POINTS`
values flag :data:`FLAG_TOO_SHORT`.

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

from fastcarbon.kernels._jit import inline_kernel, kernel, parallel_kernel

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

#: a NaN inside the series' window (a gap) or an infinite value (not fitted)
FLAG_MISSING = 1
#: a value <= 0 (not fitted; EGM(1,1) needs a positive series — shift it by a constant)
FLAG_NONPOSITIVE = 2
#: fewer than :data:`MIN_POINTS` non-NaN values (not fitted)
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

# restart the e^{-ak} recurrence from an exact exp every this many values of k (see _egm_next)
_EXACT_EVERY = 16

# rows per work item of the parallel drivers (each item is one call of the serial row loop)
_BLOCK = 256

# How the work is laid out (measured on 2 vCPU AMD EPYC, B = 1000, n = 10, h = 10, one thread):
# - one call of a row loop (`_egm_rows`, `_linear_rows`) per block of rows, with the per-row work
#   written out inside it: every call of a numba function that takes an array costs an atomic
#   incref/decref pair per array (n = 10, h = 10: 262 ns per series with row views and per-row
#   helpers, 158 without the views, 106 without the helpers; 85 with rows taken in pairs, see
#   `_egm_block`);
# - five short passes over each row, each summing in the order the formulas state, so the bits
#   are those of the unfused version (pass over the data, the fit, the response, the diagnostics):
#   A. data check, level ratios and Σx;       B. z̄, ȳ and Σ(x − x̄)² (S1);
#   C. Σ(z − z̄)², Σ(z − z̄)(y − ȳ);           D. fitted values and forecast, residuals, relative
#   errors, Σε, Σ relative error;              E. Σ(ε − ε̄)² and the count for P.
# - φ(a), e^{-a} once per series; one exp per _EXACT_EVERY values of the response.
# - ragged rows (a NaN at either end) take `_egm_rows`, which finds each row's window in
#   `_scan`; a row that fills the grid costs the pair loop two reads of x to know it does.


@kernel
def _level_ratio_bounds(n):
    return math.exp(-2.0 / (n + 1)), math.exp(2.0 / (n + 1))


@kernel
def _unfitted(i, params, fitted, forecast, residual, relative_error, stats):
    for k in range(params.shape[1]):
        params[i, k] = np.nan
    for k in range(fitted.shape[1]):
        fitted[i, k] = np.nan
        residual[i, k] = np.nan
        relative_error[i, k] = np.nan
    for k in range(forecast.shape[1]):
        forecast[i, k] = np.nan
    for k in range(stats.shape[1]):
        stats[i, k] = np.nan


@kernel
def _posterior_grade(mean_x, ss1, ss2, count, n):
    """(C, P, grade) from Σ(x − x̄)², Σ(ε − ε̄)² and the count of |ε − ε̄| < 0.6745·S1.

    Sums of squares that overflow (values beyond ~1e154) give NaN C and P: the numpy API
    recomputes those rows on scaled values (:func:`fastcarbon.core.grey.fit_egm`)."""
    if not (ss1 < math.inf and ss2 < math.inf):
        return math.nan, math.nan, GRADE_UNQUALIFIED
    s1 = math.sqrt(ss1 / n)
    s2 = math.sqrt(ss2 / n)
    if s1 <= _CONSTANT_RTOL * mean_x:
        exact = s2 <= _CONSTANT_RTOL * mean_x
        c = 0.0 if exact else math.inf
        p = 1.0 if exact else 0.0
    else:
        c = s2 / s1
        p = count / n
    if p > 0.95 and c < 0.35:
        grade = GRADE_GOOD
    elif p > 0.80 and c < 0.5:
        grade = GRADE_QUALIFIED
    elif p > 0.70 and c < 0.65:
        grade = GRADE_BARELY
    else:
        grade = GRADE_UNQUALIFIED
    return c, p, grade


@kernel
def _egm_gain(a, b, x_first):
    """g = φ(a)·(b − a·x_first), φ(a) = expm1(a)/a (1 at a = 0): x̂0(k+1) = g·e^{−ak}."""
    phi = math.expm1(a) / a if a != 0.0 else 1.0
    return phi * (b - a * x_first)


@kernel
def _scan(x, i, lo_n, hi_n):
    """Pass A over row i: its window and data flags, shared by the EGM(1,1) and linear fits.

    Returns (s, e, count, flag, total): the positions of the first and last non-NaN value (−1, −1
    when there is none), the number of non-NaN values, the data flags (missing, non-positive,
    too short; level ratios lo < x(k−1)/x(k) < hi, tested without the division, with the bounds
    for the window's length: ``lo_n``, ``hi_n`` are those of the whole grid) and Σx over the
    window.
    """
    n = x.shape[1]
    s = 0
    while s < n and x[i, s] != x[i, s]:  # x != x: NaN only (±inf is a value, flagged below)
        s += 1
    if s == n:
        return -1, -1, 0, FLAG_TOO_SHORT, 0.0
    e = n - 1
    while x[i, e] != x[i, e]:
        e -= 1
    m = e - s + 1
    lo, hi = (lo_n, hi_n) if m == n else _level_ratio_bounds(m)
    flag = 0
    count = m
    ratio_ok = True
    total = 0.0
    prev = 0.0
    for k in range(s, e + 1):
        v = x[i, k]
        if not (v - v == 0.0):  # NaN and ±inf give NaN
            flag |= FLAG_MISSING
            count -= v != v
        elif v <= 0.0:
            flag |= FLAG_NONPOSITIVE
        if k > s:
            ratio_ok &= (prev > lo * v) & (prev < hi * v)
        prev = v
        total += v
    if count < MIN_POINTS:
        flag |= FLAG_TOO_SHORT
    if not (flag & (FLAG_MISSING | FLAG_NONPOSITIVE)) and not ratio_ok:
        flag |= FLAG_LEVEL_RATIO
    return s, e, count, flag, total


@inline_kernel
def _egm_next(v, k, g, a, r):
    """x̂0(k+1) = g·e^{−ak} for k >= 1 from v = x̂0(k): the recurrence e^{−ak} = e^{−a(k−1)}·e^{−a},
    restarted from an exact exp at k = 1, 1 + _EXACT_EVERY, 1 + 2·_EXACT_EVERY, ...: rounding
    drift <= 16 ulp.  The restarts depend on k alone, so every part of the path (fit, the grid
    points after a short window, the forecast) and :func:`egm_forecast` give the same bits.
    Overflow and underflow are sticky (inf·r = inf, 0·r = 0), so a long horizon gives ±inf or 0;
    g = 0 gives 0, never 0·inf = NaN."""
    if g == 0.0:
        return 0.0
    if k == 1:
        return g * r  # e^{-a·1} is e^{-a}: the same exp, bit for bit
    if (k - 1) % _EXACT_EVERY == 0:
        return g * math.exp(-a * k)
    return v * r


@kernel
def _egm_rows(x, start, stop, params, fitted, forecast, residual, relative_error, stats, grade, flags, window):
    """Fit EGM(1,1) to rows start..stop-1, each on its own window (the work of :func:`egm_fit`)."""
    n = x.shape[1]
    h = forecast.shape[1]
    lo_n, hi_n = _level_ratio_bounds(n)
    for i in range(start, stop):
        s, e, count, flag, total = _scan(x, i, lo_n, hi_n)
        window[i, 0] = s
        window[i, 1] = e
        window[i, 2] = count
        if flag & FLAG_FATAL:
            _unfitted(i, params, fitted, forecast, residual, relative_error, stats)
            flags[i] = flag
            grade[i] = GRADE_NONE
            continue
        m = e - s + 1
        scale = total / m  # also x̄ of the posterior test
        # Pass B: means of z and y over k = 2..m on data scaled by their mean (y = x0/x̄);
        # Σ(x − x̄)² for S1.
        inv = 1.0 / scale
        x_first = x[i, s]
        d1 = x_first - scale
        ss1 = d1 * d1
        x1 = x_first * inv
        z_mean = 0.0
        y_mean = 0.0
        for k in range(1, m):
            v = x[i, s + k]
            d1 = v - scale
            ss1 += d1 * d1
            y = v * inv
            x1_next = x1 + y
            z_mean += 0.5 * (x1_next + x1)
            y_mean += y
            x1 = x1_next
        z_mean /= m - 1
        y_mean /= m - 1
        # Pass C: centered cross products (the same x1 recurrence, so the same z values).
        x1 = x_first * inv
        szz = 0.0
        szy = 0.0
        for k in range(1, m):
            y = x[i, s + k] * inv
            x1_next = x1 + y
            dz = 0.5 * (x1_next + x1) - z_mean
            szz += dz * dz
            szy += dz * (y - y_mean)
            x1 = x1_next
        a = -szy / szz
        b = (y_mean + a * z_mean) * scale
        if not (abs(a) < 2.0):
            _unfitted(i, params, fitted, forecast, residual, relative_error, stats)
            flags[i] = flag | FLAG_A_RANGE
            grade[i] = GRADE_NONE
            continue
        params[i, 0] = a
        params[i, 1] = b
        # Pass D: x̂0(1) = x0(1), x̂0(k+1) = g·e^{−ak} (_egm_next) over the window, the grid
        # points after it and the forecast; residuals and relative errors inside the window.
        for k in range(s):
            fitted[i, k] = np.nan
            residual[i, k] = np.nan
            relative_error[i, k] = np.nan
        g = _egm_gain(a, b, x_first)
        r = math.exp(-a)
        fitted[i, s] = x_first
        eps = x_first - x_first
        rel = abs(eps) / x_first
        residual[i, s] = eps
        relative_error[i, s] = rel
        sum_e = 0.0 + eps
        sum_r = 0.0 + rel
        v = 0.0
        for k in range(1, m):
            v = _egm_next(v, k, g, a, r)
            xk = x[i, s + k]
            eps = xk - v
            if not (eps - eps == 0.0):  # an infinite fitted value gives an infinite residual
                flag |= FLAG_OVERFLOW
            rel = abs(eps) / xk
            fitted[i, s + k] = v
            residual[i, s + k] = eps
            relative_error[i, s + k] = rel
            sum_e += eps
            sum_r += rel
        for k in range(m, n - s):  # grid points after the window: the model, out of sample
            v = _egm_next(v, k, g, a, r)
            if not (v - v == 0.0):
                flag |= FLAG_OVERFLOW
            fitted[i, s + k] = v
            residual[i, s + k] = np.nan
            relative_error[i, s + k] = np.nan
        for j in range(h):
            v = _egm_next(v, n - s + j, g, a, r)
            if not (v - v == 0.0):
                flag |= FLAG_OVERFLOW
            forecast[i, j] = v
        # Pass E: Σ(ε − ε̄)² and the count for P (|ε − ε̄| < 0.6745·S1).
        mean_e = sum_e / m
        bound = 0.6745 * math.sqrt(ss1 / m)
        ss2 = 0.0
        hits = 0
        for k in range(s, e + 1):
            d2 = residual[i, k] - mean_e
            ss2 += d2 * d2
            hits += abs(d2) < bound
        c, p, grade[i] = _posterior_grade(scale, ss1, ss2, hits, m)
        stats[i, 0] = c
        stats[i, 1] = p
        stats[i, 2] = sum_r / m
        flags[i] = flag


@kernel
def _egm_block(x, start, stop, params, fitted, forecast, residual, relative_error, stats, grade, flags, window):
    """Fit EGM(1,1) to rows start..stop-1 two at a time (the work of :func:`egm_fit`).

    Each pass runs over both rows of a pair in one loop.  A row's work is a chain of short
    dependent sums (without fastmath every sum is sequential), so one row at a time leaves the
    core waiting on latencies; two independent chains interleaved fill them (measured 104 -> 85
    ns per series for n = 10, h = 10; 153 -> 124 for n = 20).  Every value is computed by the same operations in the same
    order as in :func:`_egm_rows`, so the bits are the same; a pair with a row that does not fill
    the grid (a NaN at either end: a ragged series), a row that is not fitted, or an odd last row
    goes through :func:`_egm_rows`.
    """
    n = x.shape[1]
    h = forecast.shape[1]
    lo, hi = _level_ratio_bounds(n)
    if n < MIN_POINTS:
        _egm_rows(x, start, stop, params, fitted, forecast, residual, relative_error, stats, grade, flags, window)
        return
    last = n - 1
    for i0 in range(start, stop - 1, 2):
        i1 = i0 + 1
        # Both windows are the whole grid (x == x is False for NaN only): two reads per row.
        if not ((x[i0, 0] == x[i0, 0]) & (x[i0, last] == x[i0, last])
                & (x[i1, 0] == x[i1, 0]) & (x[i1, last] == x[i1, last])):
            _egm_rows(x, i0, i0 + 2, params, fitted, forecast, residual, relative_error, stats, grade, flags, window)
            continue
        # Pass A
        flag0 = 0
        flag1 = 0
        ok0 = True
        ok1 = True
        total0 = 0.0
        total1 = 0.0
        prev0 = 0.0
        prev1 = 0.0
        for k in range(n):
            v0 = x[i0, k]
            v1 = x[i1, k]
            if not (v0 - v0 == 0.0):
                flag0 |= FLAG_MISSING
            elif v0 <= 0.0:
                flag0 |= FLAG_NONPOSITIVE
            if not (v1 - v1 == 0.0):
                flag1 |= FLAG_MISSING
            elif v1 <= 0.0:
                flag1 |= FLAG_NONPOSITIVE
            if k > 0:
                ok0 &= (prev0 > lo * v0) & (prev0 < hi * v0)
                ok1 &= (prev1 > lo * v1) & (prev1 < hi * v1)
            prev0 = v0
            prev1 = v1
            total0 += v0
            total1 += v1
        if (flag0 | flag1) & FLAG_FATAL:
            _egm_rows(x, i0, i0 + 2, params, fitted, forecast, residual, relative_error, stats, grade, flags, window)
            continue
        if not ok0:
            flag0 |= FLAG_LEVEL_RATIO
        if not ok1:
            flag1 |= FLAG_LEVEL_RATIO
        scale0 = total0 / n
        scale1 = total1 / n
        # Pass B
        inv0 = 1.0 / scale0
        inv1 = 1.0 / scale1
        first0 = x[i0, 0]
        first1 = x[i1, 0]
        d0 = first0 - scale0
        d1 = first1 - scale1
        ss1_0 = d0 * d0
        ss1_1 = d1 * d1
        c0 = first0 * inv0
        c1 = first1 * inv1
        zm0 = 0.0
        zm1 = 0.0
        ym0 = 0.0
        ym1 = 0.0
        for k in range(1, n):
            v0 = x[i0, k]
            v1 = x[i1, k]
            d0 = v0 - scale0
            d1 = v1 - scale1
            ss1_0 += d0 * d0
            ss1_1 += d1 * d1
            y0 = v0 * inv0
            y1 = v1 * inv1
            cn0 = c0 + y0
            cn1 = c1 + y1
            zm0 += 0.5 * (cn0 + c0)
            zm1 += 0.5 * (cn1 + c1)
            ym0 += y0
            ym1 += y1
            c0 = cn0
            c1 = cn1
        zm0 /= n - 1
        zm1 /= n - 1
        ym0 /= n - 1
        ym1 /= n - 1
        # Pass C
        c0 = first0 * inv0
        c1 = first1 * inv1
        szz0 = 0.0
        szz1 = 0.0
        szy0 = 0.0
        szy1 = 0.0
        for k in range(1, n):
            y0 = x[i0, k] * inv0
            y1 = x[i1, k] * inv1
            cn0 = c0 + y0
            cn1 = c1 + y1
            dz0 = 0.5 * (cn0 + c0) - zm0
            dz1 = 0.5 * (cn1 + c1) - zm1
            szz0 += dz0 * dz0
            szz1 += dz1 * dz1
            szy0 += dz0 * (y0 - ym0)
            szy1 += dz1 * (y1 - ym1)
            c0 = cn0
            c1 = cn1
        a0 = -szy0 / szz0
        a1 = -szy1 / szz1
        if not (abs(a0) < 2.0 and abs(a1) < 2.0):
            _egm_rows(x, i0, i0 + 2, params, fitted, forecast, residual, relative_error, stats, grade, flags, window)
            continue
        b0 = (ym0 + a0 * zm0) * scale0
        b1 = (ym1 + a1 * zm1) * scale1
        params[i0, 0] = a0
        params[i0, 1] = b0
        params[i1, 0] = a1
        params[i1, 1] = b1
        # Pass D
        g0 = _egm_gain(a0, b0, first0)
        g1 = _egm_gain(a1, b1, first1)
        r0 = math.exp(-a0)
        r1 = math.exp(-a1)
        fitted[i0, 0] = first0
        fitted[i1, 0] = first1
        e0 = first0 - first0
        e1 = first1 - first1
        rel0 = abs(e0) / first0
        rel1 = abs(e1) / first1
        residual[i0, 0] = e0
        residual[i1, 0] = e1
        relative_error[i0, 0] = rel0
        relative_error[i1, 0] = rel1
        se0 = 0.0 + e0
        se1 = 0.0 + e1
        sr0 = 0.0 + rel0
        sr1 = 0.0 + rel1
        w0 = 0.0
        w1 = 0.0
        for k in range(1, n):
            if g0 == 0.0:
                w0 = 0.0
            elif k == 1:
                w0 = g0 * r0
            elif (k - 1) % _EXACT_EVERY == 0:
                w0 = g0 * math.exp(-a0 * k)
            else:
                w0 *= r0
            if g1 == 0.0:
                w1 = 0.0
            elif k == 1:
                w1 = g1 * r1
            elif (k - 1) % _EXACT_EVERY == 0:
                w1 = g1 * math.exp(-a1 * k)
            else:
                w1 *= r1
            x0k = x[i0, k]
            x1k = x[i1, k]
            e0 = x0k - w0
            e1 = x1k - w1
            if not (e0 - e0 == 0.0):
                flag0 |= FLAG_OVERFLOW
            if not (e1 - e1 == 0.0):
                flag1 |= FLAG_OVERFLOW
            rel0 = abs(e0) / x0k
            rel1 = abs(e1) / x1k
            fitted[i0, k] = w0
            fitted[i1, k] = w1
            residual[i0, k] = e0
            residual[i1, k] = e1
            relative_error[i0, k] = rel0
            relative_error[i1, k] = rel1
            se0 += e0
            se1 += e1
            sr0 += rel0
            sr1 += rel1
        for j in range(h):
            k = n + j  # the restarts of _egm_next
            if g0 == 0.0:
                w0 = 0.0
            elif (k - 1) % _EXACT_EVERY == 0:
                w0 = g0 * math.exp(-a0 * k)
            else:
                w0 *= r0
            if g1 == 0.0:
                w1 = 0.0
            elif (k - 1) % _EXACT_EVERY == 0:
                w1 = g1 * math.exp(-a1 * k)
            else:
                w1 *= r1
            if not (w0 - w0 == 0.0):
                flag0 |= FLAG_OVERFLOW
            if not (w1 - w1 == 0.0):
                flag1 |= FLAG_OVERFLOW
            forecast[i0, j] = w0
            forecast[i1, j] = w1
        # Pass E
        me0 = se0 / n
        me1 = se1 / n
        bound0 = 0.6745 * math.sqrt(ss1_0 / n)
        bound1 = 0.6745 * math.sqrt(ss1_1 / n)
        ss2_0 = 0.0
        ss2_1 = 0.0
        count0 = 0
        count1 = 0
        for k in range(n):
            d0 = residual[i0, k] - me0
            d1 = residual[i1, k] - me1
            ss2_0 += d0 * d0
            ss2_1 += d1 * d1
            count0 += abs(d0) < bound0
            count1 += abs(d1) < bound1
        cc0, p0, grade[i0] = _posterior_grade(scale0, ss1_0, ss2_0, count0, n)
        cc1, p1, grade[i1] = _posterior_grade(scale1, ss1_1, ss2_1, count1, n)
        stats[i0, 0] = cc0
        stats[i0, 1] = p0
        stats[i0, 2] = sr0 / n
        stats[i1, 0] = cc1
        stats[i1, 1] = p1
        stats[i1, 2] = sr1 / n
        flags[i0] = flag0
        flags[i1] = flag1
        window[i0, 0] = 0
        window[i0, 1] = last
        window[i0, 2] = n
        window[i1, 0] = 0
        window[i1, 1] = last
        window[i1, 2] = n
    if (stop - start) % 2:
        _egm_rows(x, stop - 1, stop, params, fitted, forecast, residual, relative_error, stats, grade, flags, window)


@kernel
def _linear_rows(x, start, stop, params, fitted, forecast, residual, relative_error, stats, grade, flags, window):
    """Fit x̂(k) = α + β·k, k = 1..m, to rows start..stop-1, each on its own window of m points
    (the work of :func:`linear_fit`); k = 1 is the window's first point."""
    n = x.shape[1]
    h = forecast.shape[1]
    lo_n, hi_n = _level_ratio_bounds(n)
    for i in range(start, stop):
        s, e, count, flag, total = _scan(x, i, lo_n, hi_n)
        window[i, 0] = s
        window[i, 1] = e
        window[i, 2] = count
        if flag & FLAG_FATAL:
            _unfitted(i, params, fitted, forecast, residual, relative_error, stats)
            flags[i] = flag
            grade[i] = GRADE_NONE
            continue
        m = e - s + 1
        k_mean = 0.5 * (m + 1)
        # Centered least squares; Σ(x − x̄)² for S1.
        x_mean = total / m
        skk = 0.0
        skx = 0.0
        ss1 = 0.0
        for k in range(m):
            dk = (k + 1) - k_mean
            d1 = x[i, s + k] - x_mean
            skk += dk * dk
            skx += dk * d1
            ss1 += d1 * d1
        beta = skx / skk
        alpha = x_mean - beta * k_mean
        params[i, 0] = alpha
        params[i, 1] = beta
        for k in range(s):
            fitted[i, k] = np.nan
            residual[i, k] = np.nan
            relative_error[i, k] = np.nan
        sum_e = 0.0
        sum_r = 0.0
        for k in range(m):
            v = alpha + beta * (k + 1)
            xk = x[i, s + k]
            eps = xk - v
            if not (eps - eps == 0.0):
                flag |= FLAG_OVERFLOW
            rel = abs(eps) / xk
            fitted[i, s + k] = v
            residual[i, s + k] = eps
            relative_error[i, s + k] = rel
            sum_e += eps
            sum_r += rel
        for k in range(m, n - s):  # grid points after the window: the trend, out of sample
            fitted[i, s + k] = alpha + beta * (k + 1)
            residual[i, s + k] = np.nan
            relative_error[i, s + k] = np.nan
        for j in range(h):
            forecast[i, j] = alpha + beta * (n - s + 1 + j)
        mean_e = sum_e / m
        bound = 0.6745 * math.sqrt(ss1 / m)
        ss2 = 0.0
        hits = 0
        for k in range(s, e + 1):
            d2 = residual[i, k] - mean_e
            ss2 += d2 * d2
            hits += abs(d2) < bound
        c, p, grade[i] = _posterior_grade(x_mean, ss1, ss2, hits, m)
        stats[i, 0] = c
        stats[i, 1] = p
        stats[i, 2] = sum_r / m
        flags[i] = flag


@kernel
def egm_fit(x, params, fitted, forecast, residual, relative_error, stats, grade, flag, window):
    """Fit EGM(1,1) to every row of ``x``, each on its own window, serial (GIL released).

    Parameters
    ----------
    x : float64 array (B, n)
        B series on one grid of n equally spaced points: positive values, NaN before a series'
        first and after its last value (see "Ragged series" in the module docstring).
    params : float64 array (B, 2), written
        (a, b): development coefficient and grey input.
    fitted : float64 array (B, n), written
        x̂0 from the window's first point (x̂0(1) = x0(1)) to the end of the grid; NaN before.
    forecast : float64 array (B, h), written
        x̂0 at the h grid points after the last; h may be 0.
    residual, relative_error : float64 arrays (B, n), written
        ε(k) = x0(k) − x̂0(k) and |ε(k)|/x0(k) inside the window (NaN outside), written in the
        diagnostics pass (no second pass over B × n arrays).
    stats : float64 array (B, 3), written
        (C, P, MAPE) of the posterior-difference test and the mean absolute percentage error
        (a fraction) over the window's m points.
    grade : int8 array (B,), written
        :data:`GRADE_GOOD` ... :data:`GRADE_UNQUALIFIED`, or :data:`GRADE_NONE`.
    flag : int32 array (B,), written
        Bit-field of ``FLAG_*`` codes, 0 when clean.
    window : int32 array (B, 3), written
        (first, last, count): positions of the first and last non-NaN value (−1, −1: none) and
        the number of non-NaN values; a fitted series uses last − first + 1 = count points.

    Notes
    -----
    Formulas in the module docstring (000 eqs. 9–13; METHODS.md).  Callable from a user's own
    ``@numba.njit`` code.  Bit-identical to :func:`egm_fit_parallel`.
    """
    # np.int64(0): a literal 0 would compile _egm_block once more than egm_fit_parallel's int64
    _egm_block(x, np.int64(0), x.shape[0], params, fitted, forecast, residual, relative_error, stats, grade, flag, window)


# The serial and parallel drivers are separate Python functions on purpose: numba's on-disk cache
# keys on the function and signature, not on the `parallel` flag.  The work is in `_egm_rows`.
@parallel_kernel
def egm_fit_parallel(x, params, fitted, forecast, residual, relative_error, stats, grade, flag, window):
    """Multi-threaded :func:`egm_fit` (series shared among threads), bit-identical to it."""
    n_b = x.shape[0]
    n_blocks = (n_b + _BLOCK - 1) // _BLOCK
    for c in prange(n_blocks):
        _egm_block(x, c * _BLOCK, min(n_b, (c + 1) * _BLOCK), params, fitted, forecast, residual,
                   relative_error, stats, grade, flag, window)


@kernel
def egm_forecast(params, x_first, first, n, forecast, flag):
    """EGM(1,1) values at the h grid points after the last, from fitted parameters, serial.

    Parameters
    ----------
    params : float64 array (B, 2)
        (a, b) from :func:`egm_fit`; a NaN row gives a NaN forecast.
    x_first : float64 array (B,)
        x0(1) of each series, its value at position ``first`` (x̂0(1) = x0(1)).
    first : int64 array (B,)
        Position of each series' first point on the grid (``window[:, 0]`` of :func:`egm_fit`;
        0 for a series that fills it).
    n : int
        Length of the grid: the forecast is at positions n..n+h−1, i.e. k = n − first + 1 ...
    forecast : float64 array (B, h), written
        The same values (bits included) :func:`egm_fit` writes for the same h.
    flag : int32 array (B,), written
        :data:`FLAG_OVERFLOW` where a value is ±inf, else 0.
    """
    h = forecast.shape[1]
    for i in range(params.shape[0]):
        a = params[i, 0]
        g = _egm_gain(a, params[i, 1], x_first[i])
        r = math.exp(-a)
        k0 = n - first[i]  # the first forecast value is x̂0(k0 + 1) = g·e^{-a·k0}
        # The fit reached k0 by the recurrence from its last exact restart at or before k0:
        # start there, so the bits are the fit's.
        restart = k0 - (k0 - 1) % _EXACT_EVERY
        # restart 1 (k0 <= 16, e.g. every 10-year grid) is e^{-a·1} = r, bit for bit: one exp less
        # (1e4 series, h = 10: 0.45-0.47 -> 0.43 ms; two rows interleaved as in the fit gained nothing)
        v = 0.0 if g == 0.0 else g * r if restart == 1 else g * math.exp(-a * restart)
        for k in range(restart + 1, k0):
            v = _egm_next(v, k, g, a, r)
        f = 0
        for j in range(h):
            v = _egm_next(v, k0 + j, g, a, r)
            if not (v - v == 0.0):
                f = FLAG_OVERFLOW
            forecast[i, j] = v
        flag[i] = f


@kernel
def linear_fit(x, params, fitted, forecast, residual, relative_error, stats, grade, flag, window):
    """Fit the linear trend x̂(k) = α + β·k, k = 1..m, to every row of ``x`` on its own window of
    m points, serial.

    Same layout, windows, diagnostics, grades and data flags as :func:`egm_fit`, with
    ``params`` = (α, β) (α is the value one step before the window's first point, β the change
    per step); :data:`FLAG_A_RANGE` never occurs.  The baseline of 000 Table 6.
    """
    # np.int64(0): a literal 0 would compile _linear_rows once more than linear_fit_parallel's int64
    _linear_rows(x, np.int64(0), x.shape[0], params, fitted, forecast, residual, relative_error, stats, grade, flag, window)


@parallel_kernel
def linear_fit_parallel(x, params, fitted, forecast, residual, relative_error, stats, grade, flag, window):
    """Multi-threaded :func:`linear_fit`, bit-identical to it."""
    n_b = x.shape[0]
    n_blocks = (n_b + _BLOCK - 1) // _BLOCK
    for c in prange(n_blocks):
        _linear_rows(x, c * _BLOCK, min(n_b, (c + 1) * _BLOCK), params, fitted, forecast, residual,
                     relative_error, stats, grade, flag, window)


@kernel
def linear_forecast(params, first, n, forecast):
    """Linear-trend values α + β·k at the h grid points after the last (k = n − first + 1 ...,
    ``first`` as in :func:`egm_forecast`) from (α, β) rows; serial."""
    for i in range(params.shape[0]):
        k0 = n - first[i] + 1
        for j in range(forecast.shape[1]):
            forecast[i, j] = params[i, 0] + params[i, 1] * (k0 + j)
