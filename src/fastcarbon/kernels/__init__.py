"""Numba kernels: plain loops that write into ``out`` arrays.

No xarray, dask or pandas here.  Every kernel is public and documented so that a user's own
``@numba.njit`` code can call it (embedding fastcarbon in a larger simulation).  Kernels compile
lazily on first call and are cached on disk; compilation options live in ``_jit.py``.
"""

from fastcarbon._lazy import lazy_exports

#: public name -> the submodule that defines it.  The submodules are imported on first access
#: (PEP 562): each holds a dozen numba dispatchers, and creating them costs ~10-30 ms a module,
#: which ``import fastcarbon.<anything>`` paid for all of them before.
_EXPORTS = {
    "accounting": (
        "BAD_ACTIVITY", "BAD_EMISSIONS_OVERFLOW", "BAD_ENERGY_OVERFLOW", "BAD_FACTOR", "BAD_INTENSITY",
        "sector_fuel_energy", "sector_fuel_energy_emissions", "sector_fuel_energy_emissions_parallel",
        "sector_fuel_energy_parallel", "sector_fuel_totals", "sector_fuel_totals_parallel",
    ),
    "entropy": (
        "entropy_weights_one", "entropy_weights_parallel", "entropy_weights_serial", "obstacle_degree_one",
        "obstacle_degree_parallel", "obstacle_degree_serial",
    ),
    "grey": (
        "FLAG_A_RANGE", "FLAG_FATAL", "FLAG_LEVEL_RATIO", "FLAG_MISSING", "FLAG_NONPOSITIVE", "FLAG_OVERFLOW",
        "FLAG_TOO_SHORT", "GRADE_BARELY", "GRADE_GOOD", "GRADE_NONE", "GRADE_QUALIFIED", "GRADE_UNQUALIFIED",
        "MIN_POINTS", "egm_fit", "egm_fit_parallel", "egm_forecast", "linear_fit", "linear_fit_parallel",
        "linear_forecast",
    ),
    "lmdi": ("lmdi_pairs", "lmdi_pairs_parallel", "log_mean", "log_ratio"),
    "montecarlo": ("monte_carlo_emissions", "monte_carlo_emissions_parallel", "perturbation_factors"),
    "peaks": ("peak_stats", "peak_stats_parallel"),
    "quantile": (
        "draw_summary", "draw_summary_parallel", "linear_plan", "quantile_tiles", "quantile_tiles_parallel",
        "select", "select_many",
    ),
    "random": (
        "fill_normal", "fill_normal_parallel", "fill_uniform", "lognormal", "normal", "normal_cdf",
        "normal_pair", "philox4x32", "triangular", "triangular_ppf", "uniform", "uniform_pair",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BAD_ACTIVITY",
    "BAD_EMISSIONS_OVERFLOW",
    "BAD_ENERGY_OVERFLOW",
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
    "select",
    "select_many",
    "linear_plan",
    "quantile_tiles",
    "quantile_tiles_parallel",
    "draw_summary",
    "draw_summary_parallel",
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
    "lmdi_pairs", "lmdi_pairs_parallel", "log_mean", "log_ratio",
    "monte_carlo_emissions",
    "monte_carlo_emissions_parallel",
    "perturbation_factors",
    "philox4x32",
    "uniform",
    "normal",
    "lognormal",
    "triangular",
    "uniform_pair",
    "normal_pair",
    "normal_cdf",
    "triangular_ppf",
    "fill_uniform",
    "fill_normal",
    "fill_normal_parallel",
]
