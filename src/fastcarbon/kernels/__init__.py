"""Numba kernels: plain loops that write into ``out`` arrays.

No xarray, dask or pandas here.  Every kernel is public and documented so that a user's own
``@numba.njit`` code can call it (embedding fastcarbon in a larger simulation).  Kernels compile
lazily on first call and are cached on disk; compilation options live in ``_jit.py``.
"""

from fastcarbon.kernels.accounting import (
    BAD_ACTIVITY,
    BAD_FACTOR,
    BAD_INTENSITY,
    sector_fuel_energy,
    sector_fuel_energy_emissions,
    sector_fuel_energy_emissions_parallel,
    sector_fuel_energy_parallel,
    sector_fuel_totals,
    sector_fuel_totals_parallel,
)
from fastcarbon.kernels.entropy import (
    entropy_weights_one,
    entropy_weights_parallel,
    entropy_weights_serial,
    obstacle_degree_one,
    obstacle_degree_parallel,
    obstacle_degree_serial,
)
from fastcarbon.kernels.grey import (
    FLAG_A_RANGE,
    FLAG_FATAL,
    FLAG_LEVEL_RATIO,
    FLAG_MISSING,
    FLAG_NONPOSITIVE,
    FLAG_OVERFLOW,
    FLAG_TOO_SHORT,
    GRADE_BARELY,
    GRADE_GOOD,
    GRADE_NONE,
    GRADE_QUALIFIED,
    GRADE_UNQUALIFIED,
    MIN_POINTS,
    egm_fit,
    egm_fit_parallel,
    egm_forecast,
    linear_fit,
    linear_fit_parallel,
    linear_forecast,
)
from fastcarbon.kernels.peaks import peak_stats, peak_stats_parallel

__all__ = [
    "BAD_ACTIVITY",
    "BAD_FACTOR",
    "BAD_INTENSITY",
    "sector_fuel_energy",
    "sector_fuel_energy_emissions",
    "sector_fuel_energy_emissions_parallel",
    "sector_fuel_energy_parallel",
    "sector_fuel_totals",
    "sector_fuel_totals_parallel",
    "peak_stats",
    "peak_stats_parallel",
    "entropy_weights_one",
    "entropy_weights_serial",
    "entropy_weights_parallel",
    "obstacle_degree_one",
    "obstacle_degree_serial",
    "obstacle_degree_parallel",
    "FLAG_A_RANGE",
    "FLAG_FATAL",
    "FLAG_LEVEL_RATIO",
    "FLAG_MISSING",
    "FLAG_NONPOSITIVE",
    "FLAG_OVERFLOW",
    "FLAG_TOO_SHORT",
    "GRADE_BARELY",
    "GRADE_GOOD",
    "GRADE_NONE",
    "GRADE_QUALIFIED",
    "GRADE_UNQUALIFIED",
    "MIN_POINTS",
    "egm_fit",
    "egm_fit_parallel",
    "egm_forecast",
    "linear_fit",
    "linear_fit_parallel",
    "linear_forecast",
]
