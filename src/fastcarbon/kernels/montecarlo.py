"""Monte Carlo of scenario emissions: noise, perturbed trajectories and emissions fused per draw.

For draw d (global id g = draw_offset + d), variable v in (activity, intensity, factor) =
(0, 1, 2), sector m < M and year t < T, with seed s:

1. **Innovations** ε[v, m, t] = :func:`fastcarbon.kernels.random.normal` (k, g, i) with variate
   index i = (v·M + m)·T2 + t, T2 = T rounded up to even (each (v, m) row starts on a Box–Muller
   pair).  The layout is fixed: switching a variable's noise on or off never changes another's.
   The Philox key k is the batch row's stream (below): k = s for the shared noise, or
   k = :func:`~fastcarbon.kernels.random.stream_key` (s, σ_b) for a row with stream key σ_b,
   whose innovations are :func:`~fastcarbon.kernels.random.stream_normal` (k, g, i): the same
   Box–Muller pairs with a vectorised log and sincos (within 4e-15 of ``normal``); its lognormal
   factors below take :func:`~fastcarbon.kernels.random.exp_run` (a vectorised exp, within
   2.3e-16 of libm's) for ``exp``.
   With a stream correlation ρ in (0, 1) the innovations follow a one-factor model::

       ε[v, m, t] = sqrt(ρ) normal(s, g, i) + sqrt(1 - ρ) stream_normal(k, g, i)

   (ρ = 0: the stream alone; ρ = 1: the shared noise, computed as such).  The step is linear
   and comes before the sector and AR(1) steps, so every e below is still N(0, 1) with the same
   correlations over sectors and years, and two streams' e at the same (v, m, t) have
   correlation ρ (lagged k years: ρ φ^k; sectors m, m': ρ C_v[m, m']).
2. **Across sectors**: η[v, :, t] = L_v ε[v, :, t] with L_v a lower-triangular factor of the
   sector correlation C_v = L_v L_vᵀ (skipped where C_v = I).
3. **Across years**, stationary AR(1) with coefficient φ_v:
   e[0] = η[0], e[t] = φ_v e[t-1] + sqrt(1 - φ_v²) η[t]; every e[v, m, t] is N(0, 1),
   corr(e[t], e[t+k]) = φ_v^k, corr across sectors = C_v.
4. **Multiplicative factor** ξ = F(e) with spread σ[v, m] (mean 1 for every distribution):

   - 0 normal: ξ = 1 + σ e
   - 1 lognormal: ξ = exp(σ e - σ²/2)  (σ = sd of log ξ)
   - 2 uniform on [1 - σ, 1 + σ]: ξ = 1 + σ (2 Φ(e) - 1)
   - 3 triangular on [1 - σ, 1 + σ], mode 1: ξ = F⁻¹_tri(Φ(e))

   Uniform and triangular are Gaussian copulas: AR(1) and sector correlations act on e.
5. **Perturbed trajectory** x' of the input x[v, b, m, :] (mode 0 "level", 1 "rate")::

       level:  x'[t] = x[t] ξ[t]
       rate:   r[t] = 1 - x[t]/x[t-1]  (the annual reduction rate; a growth rate is r < 0)
               x'[0] = x[0];  x'[t] = x'[t-1] max(0, 1 - r[t] ξ[t])
               computed as x'[t] = x[t] Π_{τ<=t} max(0, 1 - r ξ)/(1 - r), and where x[t] = 0
               (a 100 % reduction) as x'[t] = x'[t-1] max(0, 1 - ξ[t]);
               for a stream's rows the quotient is written max(0, 1 + g (1 - ξ)) with
               g = r/(1 - r) made once per call (no division per draw; the same value to a
               few ulps, ~1e-16 relative: stream results differ from the quotient's by rounding)

   so ξ = 1 gives x' = x bit for bit, and a perturbed rate never takes a value below zero.
   The rate form needs x >= 0 and, once 0, staying 0 (checked by the numpy API).
6. **Emissions** E[d, b, m, t] = (A'·I')·F' and the total Σ_m E, summed in sector order.

**Streams.**  :func:`monte_carlo_emissions` gives every batch row b (scenario, region...) of a
draw the same ξ (common random numbers: the draws compare scenarios under the same states of the
world).  :func:`monte_carlo_streams` takes a stream per row: rows of one stream (the scenarios of
one region) share ξ, computed once per (draw, stream); rows of different streams draw from
different keys.  The key depends on (seed, stream key) only, never on the row's position, so
adding, removing or reordering streams leaves the others' values bit-identical.  Under the
one-factor model the correlation between two streams' ξ at the same (v, m, t) is, for e's
correlation ρ and spread σ:

- normal: ρ (ξ is linear in e);
- lognormal: (exp(ρ σ²) - 1) / (exp(σ²) - 1) (slightly below ρ);
- uniform: (6/π) arcsin(ρ/2), the rank correlation of the Gaussian copula (at most 0.0181 below ρ);
- triangular: the same rank correlation (6/π) arcsin(ρ/2); the Pearson correlation has no closed
  form: between that and ρ, at most 0.003 below ρ (Gauss–Hermite quadrature, any σ: ξ is affine
  in σ).

Each (stream, draw) writes only its own outputs, so the parallel driver, which shares
(stream × block of draws) work items among threads, and any split of the draws (with matching
``draw_offset``) give bit-identical results.

**Loop order.**  ξ is made year-major (V, T, M) and each row is transposed to (T, M) once per
call, with its rate terms r[t] = 1 - x[t]/x[t-1] (the streams: g[t] = r/(1 - r)) and 1 - r[t]:
the cumulative product of step 5 runs over years with the sectors as vector lanes, the Philox
words of a variable are made in one vectorisable pass, and the sector sum of step 6 keeps the
sector order for every year.  For the streams, the rows of a stream are also laid side by side
(once per call) so that a year of up to :data:`GROUP_ROWS` of them is one loop of R·M' lanes: loops of M' = 24
lanes cost more in set-up (LLVM's vector body takes 32) than in arithmetic.  Every value is the
same sequence of IEEE operations as the formulas above, so the results do not depend on the
loop order either.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import kernel, parallel_kernel
from fastcarbon.kernels.random import (exp_run, normal_block_run, normal_cdf, normal_pair, stream_normal_run,
                                       triangular_ppf)

__all__ = [
    "NORMAL", "LOGNORMAL", "UNIFORM", "TRIANGULAR", "LEVEL", "RATE",
    "perturbation_factors", "stream_factors", "monte_carlo_emissions", "monte_carlo_emissions_parallel",
    "monte_carlo_streams", "monte_carlo_streams_parallel",
]

#: distribution codes of the multiplicative factor ξ
NORMAL, LOGNORMAL, UNIFORM, TRIANGULAR = 0, 1, 2, 3
#: perturbation modes: the level x[t] or the annual rate 1 - x[t]/x[t-1]
LEVEL, RATE = 0, 1
#: the streams: at most this many rows of a stream side by side in the rows' lanes
GROUP_ROWS = 8


@kernel
def _factor(e, dist, s):
    if dist == NORMAL:
        return 1.0 + s * e
    if dist == LOGNORMAL:
        return math.exp(s * e - 0.5 * s * s)
    u = normal_cdf(e)
    if dist == UNIFORM:
        return 1.0 + s * (2.0 * u - 1.0)
    return triangular_ppf(u, 1.0 - s, 1.0, 1.0 + s)


@kernel
def perturbation_factors(seed, draw, dist, spread, phi, chol, use_chol, active, z, xi):
    """The factors ξ[v, m, t] of one draw (steps 1–4 of the module docstring).

    Parameters
    ----------
    seed, draw : int
        Key and global draw id (unsigned 64-bit).
    dist : int64 array (V,)
        Distribution code per variable (:data:`NORMAL` ... :data:`TRIANGULAR`).
    spread : float64 array (V, M)
        σ per variable and sector.
    phi : float64 array (V,)
        AR(1) coefficient per variable, in [-1, 1].
    chol : float64 array (V, M, M)
        Lower-triangular factor of each variable's sector correlation.
    use_chol, active : bool arrays (V,)
        Apply ``chol``; draw noise for the variable at all (else ξ = 1).
    z : float64 array (M, T2), scratch
    xi : float64 array (V, M, T), written

    Examples
    --------
    >>> import numpy as np
    >>> V, M, T = 3, 2, 3
    >>> xi = np.empty((V, M, T))
    >>> perturbation_factors(1, 0, np.array([1, 1, 1]), np.zeros((V, M)), np.zeros(V),
    ...                      np.zeros((V, M, M)), np.zeros(V, np.bool_),
    ...                      np.array([False, True, False]), np.empty((M, 4)), xi)
    >>> bool((xi == 1.0).all())  # zero spread: exactly 1
    True
    """
    n_v, n_m, n_t = xi.shape
    n_t2 = z.shape[1]
    for v in range(n_v):
        if not active[v]:
            for m in range(n_m):
                for t in range(n_t):
                    xi[v, m, t] = 1.0
            continue
        for m in range(n_m):
            base = ((v * n_m + m) * n_t2) // 2
            for j in range(n_t2 // 2):
                z0, z1 = normal_pair(seed, draw, base + j)
                z[m, 2 * j] = z0
                z[m, 2 * j + 1] = z1
        a = phi[v]
        c = math.sqrt(1.0 - a * a)
        # Rows from the last sector down: row m needs the innovations of sectors k <= m only,
        # so the product overwrites z in place.
        for mm in range(n_m):
            m = n_m - 1 - mm
            for t in range(n_t):
                if use_chol[v]:
                    acc = 0.0
                    for k in range(m + 1):
                        acc += chol[v, m, k] * z[k, t]
                else:
                    acc = z[m, t]
                z[m, t] = acc
            if a != 0.0:
                for t in range(1, n_t):
                    z[m, t] = a * z[m, t - 1] + c * z[m, t]
            s = spread[v, m]
            d = dist[v]
            for t in range(n_t):
                xi[v, m, t] = _factor(z[m, t], d, s)


@kernel
def stream_factors(key, shared, w_shared, w_stream, draw, fast, dist, spread, phi, chol, use_chol, active,
                   u1, u2, wbuf, kbuf, z, zs, zt, row, ex, scale, xi):
    """The factors ξ[v, t, m] of one draw of one stream (steps 1–4; note the (V, T, M) layout).

    Parameters
    ----------
    key : int
        The stream's Philox key (:func:`fastcarbon.kernels.random.stream_key`, or the seed
        itself for the shared noise).
    shared : int
        The shared noise's key (the seed); read only when ``w_shared`` and ``w_stream`` are
        both non-zero.
    w_shared, w_stream : float
        One-factor weights sqrt(ρ) and sqrt(1 - ρ): ε = w_shared ε(shared) + w_stream ε(key).
        With ``w_shared == 0`` (or ``w_stream == 0``) only the stream's (or only the shared)
        innovations are drawn, and ε is exactly that draw.
    draw : int
        Global draw id.
    fast : bool
        Draw the stream's innovations (key ``key``) as
        :func:`~fastcarbon.kernels.random.stream_normal` (vectorised Box–Muller); False: as
        :func:`~fastcarbon.kernels.random.normal` (libm), as the shared noise always is.
    dist, spread, phi, chol, use_chol, active
        As :func:`perturbation_factors`.
    u1, u2, wbuf, kbuf : float64 arrays (M·T2/2,), scratch
    z, zs : float64 arrays (M·T2,), scratch (innovations of one variable, row m at m·T2)
    zt : float64 array (T·M,), scratch (the correlated normals, year-major)
    row : float64 array (T,), scratch
    ex : float64 array (T·M,), scratch; scale : int64 array (T·M,), scratch
    xi : float64 array (V, T, M') with M' >= M, written (lanes M..M'-1: 1)

    Notes
    -----
    Bit-identical to :func:`perturbation_factors` (transposed) when ``key`` is the seed,
    ``w_shared == 0`` and ``fast`` is False: the same innovations, and every later value computed by the same IEEE
    operations in the same order.  The loops run over years or sectors innermost so that LLVM
    vectorises them; the Philox words are made for a whole variable at once
    (:func:`fastcarbon.kernels.random.normal_block_run`).

    Examples
    --------
    >>> import numpy as np
    >>> V, M, T = 3, 2, 3
    >>> xi_a, xi_b = np.empty((V, M, T)), np.empty((V, T, M))
    >>> args = (np.array([1, 1, 1]), np.full((V, M), 0.2), np.zeros(V), np.zeros((V, M, M)),
    ...         np.zeros(V, np.bool_), np.ones(V, np.bool_))
    >>> perturbation_factors(4, 0, *args, np.empty((M, 4)), xi_a)
    >>> stream_factors(4, 4, 0.0, 1.0, 0, False, *args, np.empty(4), np.empty(4), np.empty(4), np.empty(4),
    ...                np.empty(8), np.empty(8), np.empty(6), np.empty(3), np.empty(6), np.empty(6, np.int64), xi_b)
    >>> bool((xi_a == xi_b.transpose(0, 2, 1)).all())
    True
    """
    n_v, n_t, n_mp = xi.shape  # n_mp >= M: lanes past the sectors (padding) get ξ = 1
    n_m = spread.shape[1]
    n_t2 = z.shape[0] // n_m
    n_blocks = u1.shape[0]
    mix = w_shared != 0.0 and w_stream != 0.0
    only_shared = w_stream == 0.0
    for v in range(n_v):
        xv = xi[v]
        if not active[v]:
            for t in range(n_t):
                for m in range(n_mp):
                    xv[t, m] = 1.0
            continue
        first = v * n_blocks  # = (v·M + 0)·T2 / 2: the variable's rows are consecutive blocks
        if only_shared or not fast:
            normal_block_run(shared if only_shared else key, draw, first, u1, u2, z)
        else:
            stream_normal_run(key, draw, first, u1, u2, wbuf, kbuf, z)
        if mix:
            normal_block_run(shared, draw, first, u1, u2, zs)
            for i in range(z.shape[0]):
                z[i] = w_shared * zs[i] + w_stream * z[i]
        # Across sectors, row m = Σ_{k<=m} L[m, k] z[k] summed in k order (as perturbation_factors),
        # vectorised over the years; written year-major for the AR(1) and the rows.
        for m in range(n_m):
            if use_chol[v]:
                for t in range(n_t):
                    row[t] = 0.0
                for k in range(m + 1):
                    c = chol[v, m, k]
                    base = k * n_t2
                    for t in range(n_t):
                        row[t] += c * z[base + t]
                for t in range(n_t):
                    zt[t * n_m + m] = row[t]
            else:
                base = m * n_t2
                for t in range(n_t):
                    zt[t * n_m + m] = z[base + t]
        a = phi[v]
        c = math.sqrt(1.0 - a * a)
        if a != 0.0:
            for t in range(1, n_t):
                for m in range(n_m):
                    zt[t * n_m + m] = a * zt[(t - 1) * n_m + m] + c * zt[t * n_m + m]
        d = dist[v]
        sv = spread[v]
        # one loop per law, so that the normal one vectorises (same expressions as _factor)
        for t in range(n_t):
            zr = zt[t * n_m:(t + 1) * n_m]
            xr = xv[t]
            if d == NORMAL:
                for m in range(n_m):
                    xr[m] = 1.0 + sv[m] * zr[m]
            elif d == LOGNORMAL and not fast:
                for m in range(n_m):
                    s = sv[m]
                    xr[m] = math.exp(s * zr[m] - 0.5 * s * s)
            elif d == LOGNORMAL:
                continue  # below, for the whole variable at once
            else:
                for m in range(n_m):
                    xr[m] = _factor(zr[m], d, sv[m])
            for m in range(n_m, n_mp):
                xr[m] = 1.0
        if d == LOGNORMAL and fast:
            # the streams' lognormal factors: the same argument, a vectorised exp (exp_run)
            for t in range(n_t):
                for m in range(n_m):
                    s = sv[m]
                    zt[t * n_m + m] = s * zt[t * n_m + m] - 0.5 * s * s
            exp_run(zt, scale, ex)
            for t in range(n_t):
                for m in range(n_m):
                    xv[t, m] = ex[t * n_m + m]


@kernel
def _prepare_row(x, mode, active, fast, b, xt, rr, den):
    """Row b, transposed to (T, M), and its rate terms, once per call instead of once per draw.

    den[t] = 1 - r[t] with r[t] = 1 - x[t]/x[t-1] (r = 1, den = 0 where x[t] = 0: the 100 %
    reduction, flagged by den <= 0).  rr[t]: r[t] itself for the shared noise (``fast`` False,
    whose rows divide by den per draw, as before streams), and g[t] = r[t]/(1 - r[t]) for the
    streams (0 where den = 0), whose rows need no division (:func:`_row_emissions_fast`)."""
    n_v, _, n_m, n_t = x.shape
    n_mp = xt.shape[3]
    for v in range(n_v):
        for m in range(n_m):
            for t in range(n_t):
                xt[v, b, t, m] = x[v, b, m, t]
        # padding lanes (the sector count rounded up to whole vectors): x = 0, r = 0, 1 - r = 1
        for t in range(n_t):
            for m in range(n_m, n_mp):
                xt[v, b, t, m] = 0.0
                rr[v, b, t, m] = 0.0
                den[v, b, t, m] = 1.0
        if not active[v] or mode[v] != RATE:
            continue
        for m in range(n_m):
            rr[v, b, 0, m] = 0.0
            den[v, b, 0, m] = 1.0
            for t in range(1, n_t):
                cur = x[v, b, m, t]
                keep = 0.0
                if cur > 0.0:
                    keep = cur / x[v, b, m, t - 1]
                r = 1.0 - keep
                dd = 1.0 - r
                den[v, b, t, m] = dd
                if not fast:
                    rr[v, b, t, m] = r
                else:
                    rr[v, b, t, m] = r / dd if dd > 0.0 else 0.0


@kernel
def _row_emissions(xt, rr, den, b, n_m, xi, mode, active, path, mult, prev, e, tot):
    """Steps 5–6 of one batch row under one draw's ξ: e[t, m] = E and tot[t] = Σ_{m<M} E.

    The lanes run over all M' = ``xt.shape[3]`` (M rounded up to a multiple of 8, so that no
    scalar remainder loop is left); the sum and the outputs take the M real sectors."""
    n_v, _, n_t, n_mp = xt.shape
    for v in range(n_v):
        xv = xt[v, b]
        pv = path[v]
        if not active[v]:
            continue  # the product below reads x itself
        if mode[v] == LEVEL:
            xiv = xi[v]
            for t in range(n_t):
                for m in range(n_mp):
                    pv[t, m] = xv[t, m] * xiv[t, m]
        else:
            # x'[t] = x[t] Π max(0, 1 - r ξ)/(1 - r): the cumulative product runs over the years,
            # so the sectors are the vector lanes; a year with 1 - r <= 0 (x[t] = 0) takes
            # x'[t-1] max(0, 1 - ξ) instead, selected per lane.
            xiv = xi[v]
            rv = rr[v, b]
            dv = den[v, b]
            for m in range(n_mp):
                mult[m] = 1.0
                prev[m] = xv[0, m]
                pv[0, m] = xv[0, m]
            for t in range(1, n_t):
                # one-dimensional rows and the previous year in its own buffer: LLVM then sees
                # no dependence between lanes and vectorises the loop (division included)
                x_t, r_t, d_t, q_t, out = xv[t], rv[t], dv[t], xiv[t], pv[t]
                for m in range(n_mp):
                    q = q_t[m]
                    dd = d_t[m]
                    y = 1.0 - r_t[m] * q
                    y = y if y > 0.0 else 0.0  # max(0, y); y is never NaN or -0.0
                    mu = mult[m] * (y / dd)
                    z = 1.0 - q
                    z = z if z > 0.0 else 0.0
                    ok = dd > 0.0
                    p = x_t[m] * mu if ok else prev[m] * z
                    mult[m] = mu if ok else mult[m]
                    prev[m] = p
                    out[m] = p
    p0 = path[0] if active[0] else xt[0, b]
    p1 = path[1] if active[1] else xt[1, b]
    p2 = path[2] if active[2] else xt[2, b]
    for t in range(n_t):
        a0, a1, a2, et = p0[t], p1[t], p2[t], e[t]
        for m in range(n_mp):
            et[m] = a0[m] * a1[m] * a2[m]
    # Σ_m in sector order for every year: the years are independent chains, the sectors in order.
    for t in range(n_t):
        tot[t] = 0.0
    for m in range(n_m):
        for t in range(n_t):
            tot[t] += e[t, m]


@kernel
def _gather_group(xt, rr, den, order, xg, gg, dg):
    """The rows side by side in stream order, (V, T, B·M'): lane k·M' + m is sector m of row
    order[k] (once per call), so that a year of a stream's rows is one contiguous run of lanes."""
    n_v, _, n_t, n_mp = xt.shape
    for v in range(n_v):
        for t in range(n_t):
            for k in range(order.shape[0]):
                b = order[k]
                for m in range(n_mp):
                    xg[v, t, k * n_mp + m] = xt[v, b, t, m]
                    gg[v, t, k * n_mp + m] = rr[v, b, t, m]
                    dg[v, t, k * n_mp + m] = den[v, b, t, m]


@kernel
def _group_emissions_fast(xg, gg, dg, lane0, rows, n_m, xi, mode, active, xit, path, mult, prev, e, d, out_total,
                          out_sector):
    """Steps 5–6 for the streams: all rows of one stream under its draw's ξ, written to out[d].

    The rate step without a division per draw: max(0, 1 - r ξ)/(1 - r) = max(0, 1 + g (1 - ξ))
    with g = r/(1 - r) made once per call (:func:`_prepare_row`); exact at ξ = 1 (1 + g·0 = 1,
    so x' = x bit for bit) and within a few ulps of the quotient elsewhere.  The 100 % reduction
    (den <= 0) as in :func:`_row_emissions`.  The rows are lanes side by side (:func:`_gather_group`;
    ``rows`` = order[c0:c1] at lanes ``lane0`` = c0·M' onwards; ξ repeated per row in ``xit``):
    one vectorised loop of R·M' lanes per year instead of R short loops of M' lanes, whose set-up
    cost more than their arithmetic.  Every lane's operations are those of its row on its own:
    the grouping changes no bit."""
    n_v, n_t, _ = xg.shape
    n_r = rows.shape[0]
    n_mp = xi.shape[2]
    n_l = n_r * n_mp
    for v in range(n_v):
        if not active[v]:
            continue  # the product below reads x itself
        xv, qv, pv = xg[v], xit[v], path[v]
        for t in range(n_t):
            xr, qr = xi[v, t], qv[t]
            for k in range(n_r):
                for m in range(n_mp):
                    qr[k * n_mp + m] = xr[m]
        if mode[v] == LEVEL:
            for t in range(n_t):
                x_t, q_t, out = xv[t, lane0:lane0 + n_l], qv[t], pv[t]
                for i in range(n_l):
                    out[i] = x_t[i] * q_t[i]
            continue
        gv, dv = gg[v], dg[v]
        x_0, out = xv[0, lane0:lane0 + n_l], pv[0]
        for i in range(n_l):
            mult[i] = 1.0
            prev[i] = x_0[i]
            out[i] = x_0[i]
        for t in range(1, n_t):
            # slices, not x[lane0 + i]: numba's wraparound check on an index it cannot prove
            # non-negative stops the vectorisation (the block ran 2x slower)
            x_t, g_t, d_t = xv[t, lane0:lane0 + n_l], gv[t, lane0:lane0 + n_l], dv[t, lane0:lane0 + n_l]
            q_t, out = qv[t], pv[t]
            for i in range(n_l):
                z = 1.0 - q_t[i]
                w = 1.0 + g_t[i] * z
                w = w if w > 0.0 else 0.0  # max(0, 1 - r ξ)/(1 - r)
                mu = mult[i] * w
                z = z if z > 0.0 else 0.0
                ok = d_t[i] > 0.0
                p = x_t[i] * mu if ok else prev[i] * z
                mult[i] = mu if ok else mult[i]
                prev[i] = p
                out[i] = p
    # an inactive variable is read in place (offset lane0), an active one from path (offset 0)
    o0 = 0 if active[0] else lane0
    o1 = 0 if active[1] else lane0
    o2 = 0 if active[2] else lane0
    p0 = path[0] if active[0] else xg[0]
    p1 = path[1] if active[1] else xg[1]
    p2 = path[2] if active[2] else xg[2]
    for t in range(n_t):
        a0, a1, a2, et = p0[t, o0:o0 + n_l], p1[t, o1:o1 + n_l], p2[t, o2:o2 + n_l], e[t]
        for i in range(n_l):
            et[i] = a0[i] * a1[i] * a2[i]
    keep_sector = out_sector.shape[0] > 0
    for k in range(n_r):
        b = rows[k]
        lane = k * n_mp
        # Σ_m in sector order for every year, as _row_emissions (0.0 + E[0] + E[1] ...): the sum
        # of a year reads its contiguous lanes; the years' chains are independent and overlap
        for t in range(n_t):
            et = e[t]
            acc = 0.0
            for m in range(n_m):
                acc += et[lane + m]
            out_total[d, b, t] = acc
        if keep_sector:
            for m in range(n_m):
                for t in range(n_t):
                    out_sector[d, b, m, t] = e[t, lane + m]


@kernel
def _stream_draws(s, lo, hi, xt, rr, den, xg, gg, dg, keys, order, starts, seed, w_shared, w_stream, fast, draw_offset,
                  dist, mode, spread, phi, chol, use_chol, active, out_total, out_sector):
    """Draws lo..hi-1 of stream s: ξ once per draw, then every batch row of the stream."""
    n_v, _, n_t, n_mp = xt.shape
    n_m = spread.shape[1]
    n_t2 = n_t + (n_t & 1)
    u1 = np.empty(n_m * n_t2 // 2)
    u2 = np.empty(n_m * n_t2 // 2)
    w = np.empty(n_m * n_t2 // 2)
    k_ = np.empty(n_m * n_t2 // 2)
    z = np.empty(n_m * n_t2)
    zs = np.empty(n_m * n_t2)
    zt = np.empty(n_t * n_m)
    row = np.empty(n_t)
    ex = np.empty(n_t * n_m)
    scale = np.empty(n_t * n_m, np.int64)
    xi = np.empty((n_v, n_t, n_mp))
    path = np.empty((n_v, n_t, n_mp))
    mult = np.empty(n_mp)
    prev = np.empty(n_mp)
    e = np.empty((n_t, n_mp))
    tot = np.empty(n_t)
    keep_sector = out_sector.shape[0] > 0
    # the streams: up to GROUP_ROWS rows of the stream side by side (scratch bounded for a stream
    # of many rows)
    n_l = min(GROUP_ROWS, starts[s + 1] - starts[s]) * n_mp if fast else 0
    xit = np.empty((n_v, n_t, n_l))
    gpath = np.empty((n_v, n_t, n_l))
    gmult = np.empty(n_l)
    gprev = np.empty(n_l)
    ge = np.empty((n_t, n_l))
    key = np.uint64(keys[s])
    for d in range(lo, hi):
        stream_factors(key, np.uint64(seed), w_shared, w_stream, np.uint64(draw_offset) + np.uint64(d), fast,
                       dist, spread, phi, chol, use_chol, active, u1, u2, w, k_, z, zs, zt, row, ex, scale, xi)
        if fast:
            for c0 in range(starts[s], starts[s + 1], GROUP_ROWS):
                c1 = min(c0 + GROUP_ROWS, starts[s + 1])
                _group_emissions_fast(xg, gg, dg, c0 * n_mp, order[c0:c1], n_m, xi, mode, active, xit, gpath,
                                      gmult, gprev, ge, d, out_total, out_sector)
            continue
        for k in range(starts[s], starts[s + 1]):
            b = order[k]
            _row_emissions(xt, rr, den, b, n_m, xi, mode, active, path, mult, prev, e, tot)
            for t in range(n_t):
                out_total[d, b, t] = tot[t]
            if keep_sector:
                for m in range(n_m):
                    for t in range(n_t):
                        out_sector[d, b, m, t] = e[t, m]


@kernel
def _group_rows(row_stream, n_s, order, starts):
    """Counting sort of the batch rows by stream: rows of stream s are order[starts[s]:starts[s+1]],
    in increasing row order."""
    for s in range(n_s + 1):
        starts[s] = 0
    for b in range(row_stream.shape[0]):
        starts[row_stream[b] + 1] += 1
    for s in range(n_s):
        starts[s + 1] += starts[s]
    fill = starts[:n_s].copy()
    for b in range(row_stream.shape[0]):
        s = row_stream[b]
        order[fill[s]] = b
        fill[s] += 1


@kernel
def _n_blocks(n_s, n_d):
    # about 64 work items in all balance 2-8 threads, also for one stream (blocks of draws) and
    # for many (one block per stream); scratch is allocated once per item
    return max(1, min(n_d, (64 + n_s - 1) // n_s))


@kernel
def monte_carlo_streams(x, keys, row_stream, seed, w_shared, w_stream, fast, draw_offset, dist, mode, spread,
                        phi, chol, use_chol, active, out_total, out_sector):
    """Monte Carlo emissions of D draws with one random stream per group of batch rows, serial.

    Parameters
    ----------
    x : float64 array (3, B, M, T)
        Activity, intensity and factor trajectories.
    keys : uint64 array (S,)
        Philox key of each stream: :func:`fastcarbon.kernels.random.stream_key` (seed, stream
        key), or the seed itself for the shared noise.
    row_stream : int64 array (B,)
        The stream (an index into ``keys``) of each batch row; rows of one stream share ξ.
    seed : int
        The shared noise's key (only read when mixing: ``w_shared`` and ``w_stream`` > 0).
        ``seed`` and ``draw_offset`` may be any integers; the numpy API passes ``np.uint64``, and
        a Python int (typed int64 by numba) compiles and caches a second copy of this kernel
        (10 s measured on a 2-core machine), so pass ``np.uint64`` to reuse the numpy API's.
    w_shared, w_stream : float
        sqrt(ρ) and sqrt(1 - ρ) of the one-factor model ε = sqrt(ρ) ε_shared + sqrt(1 - ρ) ε_stream.
    fast : bool
        The streams' formulas (True, as the numpy API draws streams): innovations by
        :func:`~fastcarbon.kernels.random.stream_normal`, lognormal factors by
        :func:`~fastcarbon.kernels.random.exp_run`, the rate step without a division per draw
        (module docstring, step 5), rows of a stream side by side.  False: the shared noise's
        (:func:`~fastcarbon.kernels.random.normal`, libm ``exp``, the quotient), bit for bit as
        before streams; the shared part of a mix is always :func:`~fastcarbon.kernels.random.normal`.
    draw_offset, dist, mode, spread, phi, chol, use_chol, active, out_total, out_sector
        As :func:`monte_carlo_emissions`.

    Notes
    -----
    With ``keys = [seed]``, ``row_stream = 0``, ``w_shared = 0`` and ``fast`` False this is
    :func:`monte_carlo_emissions` bit for bit.  Scratch: three arrays of 3·B·T·M' doubles per
    call (the transposed rows and their rate terms; M' = M rounded up to a multiple of 8; with
    ``fast`` three more, the same rows side by side in stream order), and a few of V·T·M'
    doubles per work item (with ``fast``, a few of V·T·R·M' for R = min(:data:`GROUP_ROWS`,
    the stream's rows)); no (D, B, M, T) temporary.  Each (stream, draw) computes its ξ once and
    writes only its own rows' outputs, so :func:`monte_carlo_streams_parallel` and any split of
    the draws give bit-identical results.

    Examples
    --------
    >>> import numpy as np
    >>> from fastcarbon.kernels.random import stream_key
    >>> x = np.ones((3, 2, 1, 3)); x[1] = 0.9 ** np.arange(3)
    >>> keys = np.array([stream_key(7, 11), stream_key(7, 12)], np.uint64)
    >>> tot = np.empty((4, 2, 3))
    >>> seed, first_draw = np.uint64(7), np.uint64(0)  # uint64, as the numpy API passes them
    >>> monte_carlo_streams(x, keys, np.array([0, 1]), seed, 0.0, 1.0, True, first_draw, np.array([1, 1, 1]),
    ...                     np.array([0, 1, 0]), np.full((3, 1), 0.3), np.zeros(3), np.zeros((3, 1, 1)),
    ...                     np.zeros(3, np.bool_), np.array([False, True, False]), tot, np.empty((0, 2, 1, 3)))
    >>> bool((tot[:, 0, 2] != tot[:, 1, 2]).all())  # two streams: other draws
    True
    """
    n_v, n_b, n_m, n_t = x.shape
    n_s = keys.shape[0]
    n_d = out_total.shape[0]
    n_mp = (n_m + 7) // 8 * 8  # whole 8-lane vectors
    # Written out in both stream kernels, not in a helper that returns the arrays: allocated here,
    # LLVM knows they alias nothing, and the per-draw loops vectorise without runtime checks (a
    # helper returning them measured ~10 % slower serial on a 50-region block, same bits).
    xt = np.empty((n_v, n_b, n_t, n_mp))
    rr = np.empty((n_v, n_b, n_t, n_mp))
    den = np.empty((n_v, n_b, n_t, n_mp))
    for b in range(n_b):
        _prepare_row(x, mode, active, fast, b, xt, rr, den)
    order = np.empty(n_b, np.int64)
    starts = np.empty(n_s + 1, np.int64)
    _group_rows(row_stream, n_s, order, starts)
    n_g = n_b * n_mp if fast else 0  # the streams' rows side by side in stream order
    xg = np.empty((n_v, n_t, n_g))
    gg = np.empty((n_v, n_t, n_g))
    dg = np.empty((n_v, n_t, n_g))
    if fast:
        _gather_group(xt, rr, den, order, xg, gg, dg)
    for s in range(n_s):
        # np.int64(0): a literal 0 would compile _stream_draws once more than the parallel driver
        _stream_draws(s, np.int64(0), n_d, xt, rr, den, xg, gg, dg, keys, order, starts, seed, w_shared, w_stream, fast,
                      draw_offset, dist, mode, spread, phi, chol, use_chol, active, out_total, out_sector)


@parallel_kernel
def monte_carlo_streams_parallel(x, keys, row_stream, seed, w_shared, w_stream, fast, draw_offset, dist, mode,
                                 spread, phi, chol, use_chol, active, out_total, out_sector):
    """Multi-threaded :func:`monte_carlo_streams`: (stream × block of draws) items among threads.

    Call it under ``numba.set_parallel_chunksize(1)`` (as :func:`fastcarbon.core.montecarlo.monte_carlo`
    does) for dynamic scheduling: a thread slowed down by a busy machine then no longer holds up
    a fixed half of the items.  The items are independent, so the schedule never changes a bit.
    """
    n_v, n_b, n_m, n_t = x.shape
    n_s = keys.shape[0]
    n_d = out_total.shape[0]
    n_mp = (n_m + 7) // 8 * 8  # whole 8-lane vectors
    # Written out in both stream kernels, not in a helper that returns the arrays: allocated here,
    # LLVM knows they alias nothing, and the per-draw loops vectorise without runtime checks (a
    # helper returning them measured ~10 % slower serial on a 50-region block, same bits).
    xt = np.empty((n_v, n_b, n_t, n_mp))
    rr = np.empty((n_v, n_b, n_t, n_mp))
    den = np.empty((n_v, n_b, n_t, n_mp))
    for b in prange(n_b):
        _prepare_row(x, mode, active, fast, b, xt, rr, den)
    order = np.empty(n_b, np.int64)
    starts = np.empty(n_s + 1, np.int64)
    _group_rows(row_stream, n_s, order, starts)
    n_g = n_b * n_mp if fast else 0  # the streams' rows side by side in stream order
    xg = np.empty((n_v, n_t, n_g))
    gg = np.empty((n_v, n_t, n_g))
    dg = np.empty((n_v, n_t, n_g))
    if fast:
        _gather_group(xt, rr, den, order, xg, gg, dg)
    n_blocks = _n_blocks(n_s, n_d)
    for k in prange(n_s * n_blocks):
        s = k // n_blocks
        j = k % n_blocks
        lo = j * n_d // n_blocks
        hi = (j + 1) * n_d // n_blocks
        _stream_draws(s, lo, hi, xt, rr, den, xg, gg, dg, keys, order, starts, seed, w_shared, w_stream, fast,
                      draw_offset, dist, mode, spread, phi, chol, use_chol, active, out_total, out_sector)


@kernel
def monte_carlo_emissions(x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol, active,
                          out_total, out_sector):
    """Monte Carlo emissions of D draws, serial (GIL released).

    Parameters
    ----------
    x : float64 array (3, B, M, T)
        Activity, intensity and factor trajectories of B batch rows (scenarios...), M sectors,
        T years.
    seed : int
        Integer in [0, 2**64): the Philox key.
    draw_offset : int
        Global id of the first draw: out[d] is draw ``draw_offset + d``.
    dist, mode : int64 arrays (3,)
        Distribution code and perturbation mode (:data:`LEVEL` / :data:`RATE`) per variable.
    spread, phi, chol, use_chol, active
        As :func:`perturbation_factors`.
    out_total : float64 array (D, B, T), written
        Σ_m E[d, b, m, t].
    out_sector : float64 array (D, B, M, T) or (0, B, M, T), written
        E per sector, or nothing when its first dim is 0.

    Notes
    -----
    The module docstring gives every formula.  Bit-identical to
    :func:`monte_carlo_emissions_parallel` and to any split of the draws.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((3, 1, 2, 3)); x[1] = [[[4.0, 3.0, 2.0], [2.0, 2.0, 1.0]]]
    >>> V, M = 3, 2
    >>> tot = np.empty((5, 1, 3))
    >>> monte_carlo_emissions(x, 7, 0, np.array([1, 1, 1]), np.array([0, 1, 0]),
    ...                       np.full((V, M), 0.1), np.zeros(V), np.zeros((V, M, M)),
    ...                       np.zeros(V, np.bool_), np.array([False, True, False]),
    ...                       tot, np.empty((0, 1, M, 3)))
    >>> tot[:, 0, 0].tolist()  # the base year is not perturbed in rate mode
    [6.0, 6.0, 6.0, 6.0, 6.0]
    >>> bool((tot[:, 0, 1:] != [5.0, 3.0]).all())
    True
    """
    monte_carlo_streams(x, np.full(1, np.uint64(seed)), np.zeros(x.shape[1], np.int64), seed, 0.0, 1.0, False,
                        draw_offset, dist, mode, spread, phi, chol, use_chol, active, out_total, out_sector)


# A separate function, not `monte_carlo_emissions` compiled twice: numba's cache ignores the
# parallel flag (see kernels/accounting.py).
@parallel_kernel
def monte_carlo_emissions_parallel(x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol,
                                   active, out_total, out_sector):
    """Multi-threaded :func:`monte_carlo_emissions` (:func:`monte_carlo_streams_parallel`, one stream)."""
    monte_carlo_streams_parallel(x, np.full(1, np.uint64(seed)), np.zeros(x.shape[1], np.int64), seed, 0.0, 1.0,
                                 False, draw_offset, dist, mode, spread, phi, chol, use_chol, active, out_total,
                                 out_sector)
