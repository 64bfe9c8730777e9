"""Monte Carlo of scenario emissions: noise, perturbed trajectories and emissions fused per draw.

For draw d (global id g = draw_offset + d), variable v in (activity, intensity, factor) =
(0, 1, 2), sector m < M and year t < T, with seed s:

1. **Innovations** ε[v, m, t] = :func:`fastcarbon.kernels.random.normal` (s, g, i) with variate
   index i = (v·M + m)·T2 + t, T2 = T rounded up to even (each (v, m) row starts on a Box–Muller
   pair).  The layout is fixed: switching a variable's noise on or off never changes another's.
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
               (a 100 % reduction) as x'[t] = x'[t-1] max(0, 1 - ξ[t])

   so ξ = 1 gives x' = x bit for bit, and a perturbed rate never takes a value below zero.
   The rate form needs x >= 0 and, once 0, staying 0 (checked by the numpy API).
6. **Emissions** E[d, b, m, t] = (A'·I')·F' and the total Σ_m E, summed in sector order.

Every batch row b (scenario, region...) of a draw sees the same ξ (common random numbers: the
draws compare scenarios under the same states of the world).  Each draw writes only its own
outputs, so the parallel driver and any split of the draws (with matching ``draw_offset``) give
bit-identical results.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from fastcarbon.kernels._jit import kernel, parallel_kernel
from fastcarbon.kernels.random import normal_cdf, normal_pair, triangular_ppf

__all__ = [
    "NORMAL", "LOGNORMAL", "UNIFORM", "TRIANGULAR", "LEVEL", "RATE",
    "perturbation_factors", "monte_carlo_emissions", "monte_carlo_emissions_parallel",
]

#: distribution codes of the multiplicative factor ξ
NORMAL, LOGNORMAL, UNIFORM, TRIANGULAR = 0, 1, 2, 3
#: perturbation modes: the level x[t] or the annual rate 1 - x[t]/x[t-1]
LEVEL, RATE = 0, 1


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
def _perturb(x, xi, mode, out):
    """x' of one row (step 5): ``x`` and ``xi`` (T,), written to ``out`` (T,)."""
    n_t = x.shape[0]
    if mode == LEVEL:
        for t in range(n_t):
            out[t] = x[t] * xi[t]
        return
    p = x[0]
    mult = 1.0
    out[0] = p
    for t in range(1, n_t):
        cur = x[t]
        keep = 0.0
        if cur > 0.0:
            keep = cur / x[t - 1]
        r = 1.0 - keep
        if 1.0 - r > 0.0:
            mult *= max(0.0, 1.0 - r * xi[t]) / (1.0 - r)
            p = cur * mult
        else:  # a 100 % reduction this year (or a ratio below 2**-53)
            p = p * max(0.0, 1.0 - xi[t])
        out[t] = p


@kernel
def _draws(lo, hi, x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol, active,
           out_total, out_sector):
    """Draws lo..hi-1: scratch allocated once, then steps 1–6 per draw."""
    n_v, n_b, n_m, n_t = x.shape
    z = np.empty((n_m, n_t + (n_t & 1)))
    xi = np.empty((n_v, n_m, n_t))
    path = np.empty((n_v, n_t))
    keep_sector = out_sector.shape[0] > 0
    for d in range(lo, hi):
        perturbation_factors(np.uint64(seed), np.uint64(draw_offset) + np.uint64(d), dist, spread, phi,
                             chol, use_chol, active, z, xi)
        for b in range(n_b):
            for t in range(n_t):
                out_total[d, b, t] = 0.0
            for m in range(n_m):
                for v in range(n_v):
                    if active[v]:
                        _perturb(x[v, b, m], xi[v, m], mode[v], path[v])
                    else:
                        for t in range(n_t):
                            path[v, t] = x[v, b, m, t]
                for t in range(n_t):
                    e = path[0, t] * path[1, t] * path[2, t]
                    out_total[d, b, t] += e
                    if keep_sector:
                        out_sector[d, b, m, t] = e


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
    _draws(0, out_total.shape[0], x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol,
           active, out_total, out_sector)


# A separate function, not `monte_carlo_emissions` compiled twice: numba's cache ignores the
# parallel flag (see kernels/accounting.py).
@parallel_kernel
def monte_carlo_emissions_parallel(x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol,
                                   active, out_total, out_sector):
    """Multi-threaded :func:`monte_carlo_emissions`: blocks of draws shared among threads."""
    n_d = out_total.shape[0]
    # 64 blocks balance 2-8 threads; scratch is allocated once per block, not per draw.
    n_blocks = min(n_d, 64)
    for k in prange(n_blocks):
        lo = k * n_d // n_blocks
        hi = (k + 1) * n_d // n_blocks
        _draws(lo, hi, x, seed, draw_offset, dist, mode, spread, phi, chol, use_chol, active,
               out_total, out_sector)
