"""References for the LMDI-I kernels (:mod:`fastcarbon.kernels.lmdi`).

Both functions take what :func:`fastcarbon.core.lmdi.lmdi` takes — ``factors`` (K arrays,
broadcastable to (*batch, T, *over)), ``pairs`` (P, 2) and ``n_over`` — and return a dict with the
fields of :class:`fastcarbon.core.lmdi.LmdiResult`.

- ``lmdi_loops``: plain Python, one batch item, pair and sub-category at a time, written line by
  line from the formulas (Ang 2004, 2005, 2015) with the zero cases of Ang & Liu (2007) as a
  table of cases; the test oracle.
- ``lmdi_numpy``: what a careful numpy user writes for the same identity: each factor's log
  ratio at its own shape, V_i by broadcasting, L by ``np.where``, one broadcast multiply per factor into one
  ``effect_by`` buffer, and one ``sum`` over the sub-categories.  Positive data only (no zero cases: a user's numpy LMDI rarely has them);
  the benchmarks' vectorized baseline.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys

import numpy as np

__all__ = ["REGISTRY", "log_mean_reference", "lmdi_loops", "lmdi_numpy"]


def log_mean_reference(a: float, b: float) -> float:
    """L(a, b) = (a − b)/(ln a − ln b), L(a, a) = a, L(a, 0) = L(0, b) = 0.

    ln a − ln b is written ln(1 + (a − b)/b) = log1p((a − b)/b) where a/b lies in [1/2, 2]
    (there a − b is exact and log1p keeps every digit), else as ln(a/b), or as the difference of
    the logs where a/b over- or underflows (ln a − ln b loses digits of ln(a/b) at large |ln a|).
    """
    if a == b:
        return a
    if a == 0.0 or b == 0.0:
        return 0.0
    r = a / b
    if 0.5 <= r <= 2.0:
        return (a - b) / math.log1p((a - b) / b)
    if sys.float_info.min <= r < math.inf:  # not subnormal: a subnormal a/b has lost digits
        return (a - b) / math.log(r)
    return (a - b) / (math.log(a) - math.log(b))


def _terms(x0: list[float], x1: list[float]) -> list[float]:
    """ΔV_{k,i} of one sub-category from its factors at base (x0) and target (x1)."""
    v0, v1 = math.prod(x0), math.prod(x1)
    n = len(x0)
    if v0 > 0 and v1 > 0:  # case 1: every factor positive at both ends
        w = log_mean_reference(v1, v0)
        return [w * math.log(b / a) for a, b in zip(x0, x1)]
    if v0 == 0 and v1 == 0:  # both ends zero (Ang & Liu's cases with V^0 = V^T = 0): no change
        return [0.0] * n
    if v0 == 0:  # V^0 = 0 < V^T: lim L·ln(x^T/x^0) as x^0 -> 0 is V^T for the factor(s) from 0
        zero = [a == 0 for a in x0]
        return [v1 / sum(zero) if z else 0.0 for z in zero]
    zero = [b == 0 for b in x1]  # V^0 > 0 = V^T: the factor(s) that went to 0 take -V^0
    return [-v0 / sum(zero) if z else 0.0 for z in zero]


def lmdi_loops(factors, pairs, n_over: int, kind: str = "additive") -> dict:
    """One Python loop per batch item, pair and sub-category.  For small inputs only."""
    arrays = [np.asarray(f, dtype=np.float64) for f in factors]
    full = np.broadcast_shapes(*(a.shape for a in arrays))
    arrays = [np.broadcast_to(a, full) for a in arrays]
    nd = len(full)
    batch, over = full[: nd - n_over - 1], full[nd - n_over:]
    pairs = [(int(a), int(b)) for a, b in np.asarray(pairs)]
    n_k, n_p = len(arrays), len(pairs)
    out = {
        "effect": np.empty(batch + (n_p, n_k)),
        "effect_by": np.empty(batch + (n_p, n_k) + over),
        "total": np.empty(batch + (n_p,)),
        "v_base": np.empty(batch + (n_p,)),
        "v_target": np.empty(batch + (n_p,)),
    }
    for bi in itertools.product(*(range(s) for s in batch)):
        for p, (t0, t1) in enumerate(pairs):
            sums, s0, s1 = [0.0] * n_k, 0.0, 0.0
            by = {}
            for i in itertools.product(*(range(s) for s in over)):
                x0 = [float(a[bi + (t0,) + i]) for a in arrays]
                x1 = [float(a[bi + (t1,) + i]) for a in arrays]
                s0 += math.prod(x0)
                s1 += math.prod(x1)
                by[i] = _terms(x0, x1)
                sums = [s + t for s, t in zip(sums, by[i])]
            out["v_base"][bi + (p,)], out["v_target"][bi + (p,)] = s0, s1
            if kind == "additive":
                out["total"][bi + (p,)] = s1 - s0
                for k in range(n_k):
                    out["effect"][bi + (p, k)] = sums[k]
                    for i, t in by.items():
                        out["effect_by"][bi + (p, k) + i] = t[k]
            else:
                w = log_mean_reference(s1, s0)
                out["total"][bi + (p,)] = s1 / s0
                for k in range(n_k):
                    out["effect"][bi + (p, k)] = math.exp(sums[k] / w)
                    for i, t in by.items():
                        out["effect_by"][bi + (p, k) + i] = math.exp(t[k] / w)
    return out


def _log_mean_arrays(a, b):
    """L(a, b) = (a − b)/(ln a − ln b) elementwise, b where the two logs are equal (a = b, or 1 ulp
    apart: 0/0 otherwise)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dlog = np.log(a) - np.log(b)
        return np.where(dlog == 0, b, (a - b) / dlog)


def lmdi_numpy(factors, pairs, n_over: int, kind: str = "additive") -> dict:
    """Vectorized numpy LMDI-I for positive data: ``np.log`` of each factor's ratio at its own
    shape, V_i by broadcast products, L through ``np.where`` and ``np.log``, and per factor one
    broadcast product L · ln ratio written into its slice of ``effect_by``, summed over the
    sub-categories."""
    arrays = [np.asarray(f, dtype=np.float64) for f in factors]
    nd = max(a.ndim for a in arrays)
    arrays = [a.reshape((1,) * (nd - a.ndim) + a.shape) for a in arrays]
    t_axis = nd - n_over - 1
    pairs = np.asarray(pairs)
    x0 = [np.take(a, pairs[:, 0] if a.shape[t_axis] > 1 else [0] * len(pairs), axis=t_axis) for a in arrays]
    x1 = [np.take(a, pairs[:, 1] if a.shape[t_axis] > 1 else [0] * len(pairs), axis=t_axis) for a in arrays]
    v0 = functools.reduce(np.multiply, x0)
    v1 = functools.reduce(np.multiply, x1)
    w = _log_mean_arrays(v1, v0)
    over_axes = tuple(range(nd - n_over, nd))
    # one output buffer, each factor's L · ln ratio written into its slice (no stacked copy)
    effect_by = np.empty(w.shape[: t_axis + 1] + (len(arrays),) + w.shape[t_axis + 1:])
    for k, (a, b) in enumerate(zip(x0, x1)):
        np.multiply(w, np.log(b / a), out=effect_by[(slice(None),) * (t_axis + 1) + (k,)])
    s0, s1 = v0.sum(axis=over_axes), v1.sum(axis=over_axes)
    effect = effect_by.sum(axis=tuple(a + 1 for a in over_axes))
    if kind == "additive":
        total = s1 - s0
    else:
        ws = _log_mean_arrays(s1, s0)
        effect = np.exp(effect / ws[..., None])
        effect_by = np.exp(effect_by / ws.reshape(ws.shape + (1,) * (n_over + 1)))
        total = s1 / s0
    return {"effect": effect, "effect_by": effect_by, "total": total, "v_base": s0, "v_target": s1}


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "lmdi": {
        "loops": lmdi_loops,
        "numpy": lmdi_numpy,
    },
}
