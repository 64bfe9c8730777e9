"""Peaks of emission trajectories, labelled API (xarray).

- :func:`peak` — peak year and value with censoring at the horizon end, peaking by a target
  year, net-zero year against a threshold, and cumulative emissions, for every trajectory of a
  DataArray at once (Dai et al. 2025, Chongqing CQ-LEAP study, section 4).
"""

from fastcarbon.peaks.analysis import peak

__all__ = ["peak"]
