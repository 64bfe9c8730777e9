"""References for the quantile and draw-summary kernels (:mod:`fastcarbon.kernels.quantile`).

- :func:`quantile_loops`: one Python loop per column: ``sorted`` and the type-7 formula with
  numpy's two-sided interpolation written out.  Small inputs only.
- :func:`quantile_numpy`: ``np.quantile`` (what a numpy user calls; the benchmark baseline).
- :func:`summarize_numpy`: :func:`fastcarbon.core.summarize_draws` composed from numpy calls
  (``np.quantile``, ``np.sort`` for the confidence bounds, ``argmax`` for the peaks).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["REGISTRY", "quantile_loops", "quantile_numpy", "summarize_numpy"]


def _type7(values: list[float], q: float) -> float:
    """numpy's "linear" quantile of ``values`` (no NaN), term by term."""
    x = sorted(values)
    n = len(x)
    h = (n - 1) * q
    if h >= n - 1:
        lo = hi = n - 1
        g = h + 1.0  # numpy's weight against its index -1
    else:
        lo = math.floor(h)
        hi = lo + 1
        g = h - lo
    d = x[hi] - x[lo]
    return x[hi] - d * (1.0 - g) if g >= 0.5 else x[lo] + d * g


def quantile_loops(a, q, axis: int = 0) -> np.ndarray:
    """``np.quantile(a, q, axis=axis)`` by sorting each column in Python."""
    x = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    out = np.empty((qs.size, *x.shape[:-1]))
    for idx in itertools.product(*(range(s) for s in x.shape[:-1])):
        column = [float(v) for v in x[idx]]
        for i, v in enumerate(qs):
            out[(i, *idx)] = math.nan if any(math.isnan(c) for c in column) else _type7(column, float(v))
    return out[0] if np.ndim(q) == 0 else out


def quantile_numpy(a, q, axis: int = 0) -> np.ndarray:
    """``np.quantile``: introselect on a copy, numpy's "linear" method."""
    return np.quantile(np.asarray(a, dtype=np.float64), q, axis=axis)


def summarize_numpy(e, years, quantiles=(0.05, 0.5, 0.95), level=0.95, target=None, target_year=None, axis=0) -> dict:
    """The fields of :class:`fastcarbon.core.DrawSummary` from plain numpy calls (draws moved
    first; the years last)."""
    from fastcarbon.core.draws import order_statistic_interval

    x = np.moveaxis(np.asarray(e, dtype=np.float64), axis, 0)
    years = np.asarray(years, dtype=np.float64)
    n = x.shape[0]
    qs = np.asarray(quantiles, dtype=np.float64)
    ranks = [order_statistic_interval(n, float(v), level) for v in qs]
    ordered = np.sort(x, axis=0)
    k = np.argmax(x, axis=-1)
    top = np.take_along_axis(x, k[..., None], axis=-1)[..., 0]
    peaked = (x[..., -1] < top) & ~np.isnan(x).any(axis=-1)
    counts = np.stack([(peaked & (k == t)).sum(axis=0) for t in range(years.size)], axis=-1).astype(np.float64)
    peak_p = np.cumsum(counts, axis=-1) / n
    cens = (~peaked).mean(axis=0)
    std = x.std(axis=0)
    out = {
        "quantile": np.quantile(x, qs, axis=0),
        "quantile_low": np.stack([ordered[r[0] - 1] for r in ranks]),
        "quantile_high": np.stack([ordered[r[1] - 1] for r in ranks]),
        "mean": x.mean(axis=0),
        "std": std,
        "mean_se": std / math.sqrt(n),
        "peak_probability": peak_p,
        "peak_probability_se": np.sqrt(peak_p * (1 - peak_p) / n),
        "peak_year_probability": counts / n,
        "censored_share": cens,
        "censored_share_se": np.sqrt(cens * (1 - cens) / n),
        "prob_below": None,
        "prob_below_se": None,
        "n_draws": n,
    }
    if target is not None:
        t = int(np.flatnonzero(years == target_year)[0])
        p = (x[..., t] <= target).mean(axis=0)
        out["prob_below"], out["prob_below_se"] = p, np.sqrt(p * (1 - p) / n)
    return out


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "quantile": {"loops": quantile_loops, "numpy": quantile_numpy},
    "draw_summary": {"numpy": summarize_numpy},
}
