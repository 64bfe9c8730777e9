"""References for the Monte Carlo kernels (:mod:`fastcarbon.kernels.montecarlo`).

Both take the arguments of :func:`fastcarbon.core.montecarlo.monte_carlo` (activity, intensity,
factor, ``n_draws``, ``seed``, the three noises; arrays (..., M, T)) and return the total
emissions (n_draws, *batch, T).

- :func:`monte_carlo_loops`: the module docstring of the kernels written out in Python loops
  with the same random numbers (:func:`fastcarbon.kernels.random.normal` at the documented
  variate indices, under the key :func:`fastcarbon.kernels.random.stream_key` of each row's
  stream), for rates under the shared noise the textbook recurrence
  x'(t) = x'(t-1)·max(0, 1 - r(t)ξ(t)) (equal to the kernels to rounding: they use a product
  form exact at ξ = 1), under streams the kernels' division-free product form
  x[t] Π max(0, 1 + g (1 - ξ)), g = r/(1 - r) (equal to the kernels bit for bit, as are the
  sector sums Σ_k L[m, k] ε[k] in k order and Φ written as the kernels write it).  Every batch
  row draws its own ξ from its own key, so rows sharing a stream agree only because their keys
  do: an independent check of the kernels' sharing of ξ among rows (and of their laying a
  stream's rows side by side).  Small inputs only.
- :func:`monte_carlo_numpy`: what a numpy user writes, vectorized over draws with its own
  generator (:class:`numpy.random.Generator`, ziggurat normals): the same distribution, other
  random numbers, so it agrees with the kernels in distribution only.  With ``streams``, one
  generator per stream (``default_rng([seed, key])``), as a user keeps cities independent.
  The benchmark baseline.
"""

from __future__ import annotations

import math

import numpy as np

from fastcarbon.core.montecarlo import Noise, correlation_factor
from fastcarbon.kernels.random import exp_run, normal, stream_key, stream_normal, triangular_ppf

__all__ = ["REGISTRY", "monte_carlo_loops", "monte_carlo_numpy"]


def _inputs(activity, intensity, factor):
    arrays = [np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (activity, intensity, 1.0 if factor is None else factor)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [np.broadcast_to(a, shape) for a in arrays], shape


def _factor_of(e, noise: Noise, s):
    if noise.distribution == "normal":
        return 1.0 + s * e
    if noise.distribution == "lognormal":
        return math.exp(s * e - 0.5 * s * s) if np.ndim(e) == 0 else np.exp(s * e - 0.5 * s * s)
    if np.ndim(e) == 0:
        u = 0.5 * math.erfc(-e * 0.7071067811865476)  # as kernels.random.normal_cdf
    else:
        from scipy.special import ndtr  # here: importing scipy.special costs ~0.3 s

        u = ndtr(e)
    if noise.distribution == "uniform":
        return 1.0 + s * (2.0 * u - 1.0)
    if np.ndim(u) == 0:
        return triangular_ppf(u, 1.0 - s, 1.0, 1.0 + s)
    # symmetric triangular inverse CDF on [1 - s, 1 + s]
    return np.where(u < 0.5, 1.0 - s + s * np.sqrt(2.0 * u), 1.0 + s - s * np.sqrt(2.0 * (1.0 - u)))


def _row_keys(streams, batch, seed, rho):
    """Each batch cell's Philox key, whether it mixes in the shared noise and whether it is a
    stream (not the shared noise), by cell index."""
    if streams is None or rho == 1.0:
        return {b: (seed, False, False) for b in np.ndindex(*batch)}
    keys = np.broadcast_to(np.asarray(streams, dtype=np.uint64), tuple(batch))
    return {b: (int(stream_key(np.uint64(seed), np.uint64(keys[b]))), rho > 0.0, True) for b in np.ndindex(*batch)}


def _stream_rate_path(x, xi):
    """The streams' rate form: x'[t] = x[t] Π_{τ<=t} max(0, 1 + g[τ](1 - ξ[τ])) with
    g = r/(1 - r) = max(0, 1 - r ξ)/(1 - r) without the division; where x[t] = 0 (1 - r = 0)
    x'[t] = x'[t-1] max(0, 1 - ξ[t]) and the product is left as it was."""
    p, mult = [x[0]], 1.0
    for t in range(1, len(x)):
        r = 1.0 - (x[t] / x[t - 1] if x[t] > 0 else 0.0)
        den = 1.0 - r
        z = 1.0 - float(xi[t])
        if den > 0.0:
            w = 1.0 + (r / den) * z
            mult = mult * (w if w > 0.0 else 0.0)
            p.append(x[t] * mult)
        else:
            p.append(p[-1] * (z if z > 0.0 else 0.0))
    return p


def monte_carlo_loops(activity, intensity, factor=None, *, n_draws, seed, draw_offset=0,
                      activity_noise=None, intensity_noise=None, factor_noise=None, streams=None,
                      stream_correlation=0.0):
    """One Python loop per draw, batch cell, sector and year; the kernels' random numbers (each
    cell's own stream key), textbook recurrences."""
    arrays, shape = _inputs(activity, intensity, factor)
    *batch, n_m, n_t = shape
    n_t2 = n_t + n_t % 2
    noises = (activity_noise, intensity_noise, factor_noise)
    out = np.zeros((n_draws, *batch, n_t))
    rho = float(stream_correlation)
    w_shared, w_stream = math.sqrt(rho), math.sqrt(1.0 - rho)
    keys = _row_keys(streams, batch, seed, rho)
    for d, b in ((d, b) for d in range(n_draws) for b in np.ndindex(*batch)):
        g = draw_offset + d
        key, mix, is_stream = keys[b]
        xi = np.ones((3, n_m, n_t))
        for v, noise in enumerate(noises):
            if noise is None:
                continue
            index = [[(v * n_m + m) * n_t2 + t for t in range(n_t)] for m in range(n_m)]
            # the shared noise by libm's Box-Muller (normal), a stream by the vectorised one
            # (stream_normal): the kernels' rule
            draw_one = stream_normal if is_stream else normal
            eps = np.array([[draw_one(np.uint64(key), np.uint64(g), i) for i in row] for row in index])
            if mix:  # one-factor model: sqrt(rho) shared + sqrt(1 - rho) own
                shared = np.array([[normal(np.uint64(seed), np.uint64(g), i) for i in row] for row in index])
                eps = w_shared * shared + w_stream * eps
            corr = noise.correlation(n_m)
            spread = noise.spreads(n_m)
            if np.array_equal(corr, np.eye(n_m)):
                eta = eps
            else:  # Σ_k L[m, k] ε[k] in k order, as the kernels sum (a BLAS matmul may not)
                L = correlation_factor(corr)
                eta = np.zeros_like(eps)
                for m in range(n_m):
                    for k in range(m + 1):
                        eta[m] += L[m, k] * eps[k]
            e = eta.copy()
            for t in range(1, n_t):
                e[:, t] = noise.ar1 * e[:, t - 1] + math.sqrt(1.0 - noise.ar1**2) * eta[:, t]
            for m in range(n_m):
                for t in range(n_t):
                    s_ = float(spread[m])
                    if is_stream and noise.distribution == "lognormal":  # the streams' exp
                        arg = np.array([s_ * float(e[m, t]) - 0.5 * s_ * s_])
                        out1 = np.empty(1)
                        exp_run(arg, np.empty(1, np.int64), out1)
                        xi[v, m, t] = out1[0]
                    else:
                        xi[v, m, t] = _factor_of(float(e[m, t]), noise, s_)
        for m in range(n_m):
            paths = []
            for v, noise in enumerate(noises):
                x = [float(val) for val in arrays[v][b + (m,)]]
                if noise is None:
                    paths.append(x)
                elif noise.on == "level":
                    paths.append([x[t] * xi[v, m, t] for t in range(n_t)])
                elif not is_stream:
                    p = [x[0]]
                    for t in range(1, n_t):
                        r = 1.0 - x[t] / x[t - 1] if x[t] > 0 else 1.0
                        p.append(p[-1] * max(0.0, 1.0 - r * xi[v, m, t]))
                    paths.append(p)
                else:
                    paths.append(_stream_rate_path(x, xi[v, m]))
            for t in range(n_t):
                out[(d,) + b + (t,)] += paths[0][t] * paths[1][t] * paths[2][t]
    return out


def _numpy_rows(arrays, noises, n_draws, rng):
    """(n_draws, rows, T) emissions of (rows, M, T) inputs, vectorized over draws, noise from ``rng``
    shared by the rows."""
    n_rows, n_m, n_t = arrays[0].shape
    em = None
    for v, noise in enumerate(noises):
        x = arrays[v]
        if noise is None:
            path = x
        else:
            e = rng.standard_normal((n_draws, n_m, n_t))
            corr = noise.correlation(n_m)
            if not np.array_equal(corr, np.eye(n_m)):
                e = np.matmul(correlation_factor(corr), e)
            if noise.ar1 != 0.0:
                c = math.sqrt(1.0 - noise.ar1**2)
                e[:, :, 1:] *= c
                for t in range(1, n_t):
                    e[:, :, t] += noise.ar1 * e[:, :, t - 1]
            xi = _factor_of(e, noise, noise.spreads(n_m)[:, None])[:, None]  # (draws, 1, M, T)
            if noise.on == "level":
                path = x * xi
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    keep = np.where(x[..., 1:] > 0, x[..., 1:] / x[..., :-1], 0.0)
                step = np.maximum(0.0, 1.0 - (1.0 - keep) * xi[..., 1:])
                path = np.empty(np.broadcast_shapes(xi.shape, x.shape))
                path[..., 0] = x[..., 0]
                path[..., 1:] = x[..., :1] * np.cumprod(step, axis=-1)
        em = path if em is None else em * path
    em = np.broadcast_to(em, (n_draws, n_rows, n_m, n_t))
    return em.sum(axis=-2)


def monte_carlo_numpy(activity, intensity, factor=None, *, n_draws, seed, draw_offset=0,
                      activity_noise=None, intensity_noise=None, factor_noise=None, streams=None):
    """Vectorized over draws with :func:`numpy.random.default_rng` (``seed``); ``draw_offset``
    is ignored (a sequential generator cannot jump to a draw: chunks would need the whole
    stream).  Temporaries of (n_draws, M, T) and (n_draws, rows, M, T) doubles.

    ``streams`` (uint64, broadcastable to the batch shape): one generator
    ``default_rng([seed, key])`` per distinct key, shared by the rows with that key (the
    scenarios of a city), the rows of each key computed together."""
    arrays, shape = _inputs(activity, intensity, factor)
    *batch, n_m, n_t = shape
    n_b = math.prod(batch)
    flat = [np.broadcast_to(a, shape).reshape(n_b, n_m, n_t) for a in arrays]
    noises = (activity_noise, intensity_noise, factor_noise)
    if streams is None:
        out = _numpy_rows(flat, noises, n_draws, np.random.default_rng(seed))
    else:
        keys = np.broadcast_to(np.asarray(streams, dtype=np.uint64), tuple(batch)).reshape(-1)
        out = np.empty((n_draws, n_b, n_t))
        for key in np.unique(keys):
            rows = np.flatnonzero(keys == key)
            rng = np.random.default_rng([seed, int(key)])
            out[:, rows] = _numpy_rows([a[rows] for a in flat], noises, n_draws, rng)
    return out.reshape(n_draws, *batch, n_t)


#: kernel family → {reference name: function}
REGISTRY = {"monte_carlo": {"loops": monte_carlo_loops, "numpy": monte_carlo_numpy}}
