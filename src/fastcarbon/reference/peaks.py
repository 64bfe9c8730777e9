"""References for the peak kernels (:mod:`fastcarbon.kernels.peaks`).

Both functions take ``emissions`` (..., T) with the year last, ``years`` (T,), ``threshold`` and
``target`` (None or a year) as :func:`fastcarbon.core.peaks.peak` does, and return a dict with the
fields of :class:`fastcarbon.core.peaks.PeakResult` (``peaked_by`` None without a target).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["REGISTRY", "peak_loops", "peak_numpy"]


def peak_loops(emissions, years, threshold=0.0, target=None):
    """One Python loop per series, the definitions written out; cumulative summed in year order,
    so the kernels must match it bit for bit.  For small inputs only."""
    x = np.asarray(emissions, dtype=np.float64)
    years = [float(v) for v in years]
    batch = x.shape[:-1]
    out = {k: np.full(batch, np.nan) for k in ("peak_year", "peak_value", "net_zero_year", "cumulative_emissions")}
    out.update({k: np.zeros(batch, dtype=bool) for k in ("peaked", "peaked_by", "net_zero")})
    for b in itertools.product(*(range(s) for s in batch)):
        series = [float(v) for v in x[b]]
        if any(math.isnan(v) for v in series):
            continue  # NaN results and False flags, as initialised
        top = max(series)
        k = series.index(top)  # first occurrence
        peaked = series[-1] < top
        out["peak_value"][b] = top
        out["peaked"][b] = peaked
        if peaked:
            out["peak_year"][b] = years[k]
            out["peaked_by"][b] = target is not None and years[k] <= target
        below = [t for t, v in enumerate(series) if v <= threshold]
        if below:
            out["net_zero"][b] = True
            out["net_zero_year"][b] = years[below[0]]
        total = 0.0
        for v in series:
            total += v
        out["cumulative_emissions"][b] = total
    if target is None:
        out["peaked_by"] = None
    return out


def peak_numpy(emissions, years, threshold=0.0, target=None):
    """What a numpy user writes: ``argmax`` + ``take_along_axis`` for the peak, ``argmax`` of a
    mask for the first year at or below the threshold, ``sum`` for the total (pairwise summation,
    so equal to the kernels' sequential sum only to rounding), NaN series masked afterwards."""
    x = np.asarray(emissions, dtype=np.float64)
    years = np.asarray(years, dtype=np.float64)
    k = np.argmax(x, axis=-1)
    top = np.take_along_axis(x, k[..., None], axis=-1)[..., 0]
    has_nan = np.isnan(x).any(axis=-1)
    peaked = (x[..., -1] < top) & ~has_nan
    peak_year = np.where(peaked, years[k], np.nan)
    below = x <= threshold
    k_zero = np.argmax(below, axis=-1)
    net_zero = below.any(axis=-1) & ~has_nan
    return {
        "peak_year": peak_year,
        "peak_value": np.where(has_nan, np.nan, top),
        "peaked": peaked,
        "peaked_by": None if target is None else peaked & (peak_year <= target),
        "net_zero_year": np.where(net_zero, years[k_zero], np.nan),
        "net_zero": net_zero,
        "cumulative_emissions": x.sum(axis=-1),
    }


#: kernel family → {reference name: function}, merged into :data:`fastcarbon.reference.REGISTRY`
REGISTRY = {
    "peaks": {
        "loops": peak_loops,
        "numpy": peak_numpy,
    },
}
