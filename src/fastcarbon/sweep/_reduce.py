"""The draw reductions a sweep task calls: :func:`fastcarbon.core.summarize_draws` and
:func:`fastcarbon.core.draws_needed` (numba, one pass per summary), or, where the core does not
have them, :func:`_summarize_draws_numpy`, a plain numpy stand-in with the same outputs."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["summarize_draws", "draws_needed", "CORE_REDUCTIONS"]


class _DrawSummary(NamedTuple):
    quantile: np.ndarray
    quantile_low: np.ndarray
    quantile_high: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    mean_se: np.ndarray
    peak_probability: np.ndarray
    peak_probability_se: np.ndarray
    peak_year_probability: np.ndarray
    censored_share: np.ndarray
    censored_share_se: np.ndarray
    prob_below: np.ndarray | None
    prob_below_se: np.ndarray | None
    n_draws: int


def _z(level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2))


def _summarize_draws_numpy(e, years, *, quantiles=(0.05, 0.5, 0.95), level=0.95, target=None, target_year=None,
                           axis=0, parallel=None) -> _DrawSummary:
    """numpy stand-in for :func:`fastcarbon.core.summarize_draws` (draws along ``axis``, year last)."""
    from fastcarbon.core.peaks import peak

    e = np.moveaxis(np.asarray(e, dtype=np.float64), axis, 0)
    n = e.shape[0]
    years = np.asarray(years, dtype=np.float64)
    q = np.asarray(quantiles, dtype=np.float64)
    srt = np.sort(e, axis=0)
    qv = np.quantile(srt, q, axis=0)
    z = _z(level)
    # distribution-free interval: the order statistics around rank n·q ± z·sqrt(n q (1-q))
    half = z * np.sqrt(n * q * (1 - q))
    lo = np.clip(np.floor(n * q - half).astype(int) - 1, 0, n - 1)
    hi = np.clip(np.ceil(n * q + half).astype(int), 0, n - 1)
    p_year = peak(e, years, axis=-1).peak_year
    peaked_by = p_year[..., None] <= years
    pp = peaked_by.mean(axis=0)
    pyp = (p_year[..., None] == years).mean(axis=0)
    cens = np.isnan(p_year).mean(axis=0)
    std = e.std(axis=0)
    below = below_se = None
    if target is not None:
        k = int(np.flatnonzero(years == target_year)[0])
        below = (e[..., k] <= target).mean(axis=0)
        below_se = np.sqrt(below * (1 - below) / n)
    return _DrawSummary(qv, srt[lo], srt[hi], e.mean(axis=0), std, std / math.sqrt(n), pp,
                        np.sqrt(pp * (1 - pp) / n), pyp, cens, np.sqrt(cens * (1 - cens) / n), below, below_se, n)


def _draws_needed_numpy(p, half_width, level=0.95):
    """Draws for a binomial proportion p to be known within ±half_width at ``level``: z²p(1-p)/h²."""
    p = np.asarray(p, dtype=np.float64)
    return np.ceil(_z(level) ** 2 * p * (1 - p) / half_width**2)


try:
    from fastcarbon.core import draws_needed, summarize_draws  # noqa: F401

    CORE_REDUCTIONS = True
except ImportError:  # the core's reductions are not in this build: the numpy stand-in
    summarize_draws, draws_needed = _summarize_draws_numpy, _draws_needed_numpy
    CORE_REDUCTIONS = False
