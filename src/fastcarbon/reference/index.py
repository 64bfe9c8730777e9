"""References for the entropy-weight and obstacle-degree kernels (000, eqs. 2–8).

Every function takes ``x`` (..., m, n) raw indicators and ``negative`` (n,) bool, follows the
conventions of :mod:`fastcarbon.core.entropy` (a constant indicator standardizes to 1 and gets
weight 0; a row without weighted deviation has obstacle 0; competition ranks) and returns a dict
with ``standardized``, ``entropy``, ``difference``, ``weight``, ``obstacle`` and ``rank``
(all-constant batch items give weight 0, no error: references do not validate).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["REGISTRY", "entropy_loops", "entropy_numpy"]


def entropy_loops(x, negative):
    """Plain Python loops, one city at a time, straight from the equations.  Small inputs only."""
    x = np.asarray(x, dtype=np.float64)
    neg = np.asarray(negative, dtype=bool)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    out = {k: np.zeros(batch + (n,)) for k in ("entropy", "difference", "weight")}
    out.update({k: np.zeros(x.shape) for k in ("standardized", "obstacle")})
    out["rank"] = np.zeros(x.shape, dtype=np.int64)
    for b in itertools.product(*(range(s) for s in batch)):
        a = x[b]
        X = [[0.0] * n for _ in range(m)]
        e, d = [0.0] * n, [0.0] * n
        for j in range(n):
            col = [float(a[i, j]) for i in range(m)]
            lo, hi = min(col), max(col)
            if hi == lo:
                for i in range(m):
                    X[i][j] = 1.0
                e[j], d[j] = 1.0, 0.0
                continue
            for i in range(m):
                X[i][j] = (hi - col[i]) / (hi - lo) if neg[j] else (col[i] - lo) / (hi - lo)
            total = sum(X[i][j] for i in range(m))
            h = sum(X[i][j] / total * math.log(X[i][j] / total) for i in range(m) if X[i][j] > 0)
            e[j] = -h / math.log(m)
            d[j] = 1.0 - e[j]
        d_sum = sum(d)
        w = [dj / d_sum if d_sum > 0 else 0.0 for dj in d]
        for i in range(m):
            sw = [(1.0 - X[i][j]) * w[j] for j in range(n)]
            row_total = sum(sw)
            o = [v / row_total if row_total > 0 else 0.0 for v in sw]
            for j in range(n):
                out["obstacle"][b + (i, j)] = o[j]
                out["rank"][b + (i, j)] = 1 + sum(1 for k in range(n) if o[k] > o[j])
                out["standardized"][b + (i, j)] = X[i][j]
        for j in range(n):
            out["entropy"][b + (j,)] = e[j]
            out["difference"][b + (j,)] = d[j]
            out["weight"][b + (j,)] = w[j]
    return out


def entropy_numpy(x, negative):
    """Vectorized numpy over the whole batch: what a careful numpy user writes.  Allocates about
    a dozen input-sized temporaries; ranks through a double argsort with a tie fix."""
    x = np.asarray(x, dtype=np.float64)
    neg = np.asarray(negative, dtype=bool)
    m = x.shape[-2]
    lo, hi = x.min(axis=-2, keepdims=True), x.max(axis=-2, keepdims=True)
    span = hi - lo
    const = span == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        X = np.where(const, 1.0, np.where(neg, hi - x, x - lo) / span)
        p = X / X.sum(axis=-2, keepdims=True)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.where(const[..., 0, :], 1.0, -plogp.sum(axis=-2) / math.log(m))
    d = 1.0 - e
    d_sum = d.sum(axis=-1, keepdims=True)
    w = np.divide(d, d_sum, out=np.zeros_like(d), where=d_sum > 0)
    sw = (1.0 - X) * w[..., None, :]
    tot = sw.sum(axis=-1, keepdims=True)
    o = np.divide(sw, tot, out=np.zeros_like(sw), where=tot > 0)
    # competition rank: position of the first equal value in the descending sort, plus 1
    order = np.argsort(-o, axis=-1, kind="stable")
    s = np.take_along_axis(o, order, axis=-1)
    pos = np.arange(s.shape[-1])
    new_group = np.concatenate([np.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], axis=-1)
    first = np.maximum.accumulate(np.where(new_group, pos, 0), axis=-1)
    rank = np.empty(o.shape, dtype=np.int64)
    np.put_along_axis(rank, order, first + 1, axis=-1)
    return {"standardized": X, "entropy": e, "difference": d, "weight": w, "obstacle": o, "rank": rank}


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "entropy": {
        "loops": entropy_loops,
        "numpy": entropy_numpy,
    },
}
