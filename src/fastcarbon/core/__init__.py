"""numpy API: plain arrays and ``axis``-free core shapes, validation, dispatch to the kernels.

Usable without xarray.  The labelled modules (``fastcarbon.accounting``, ...) are thin layers over
these functions.
"""

from fastcarbon._lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first access (PEP 562), so that
#: ``import fastcarbon.grey`` does not create the Monte Carlo or accounting kernels' dispatchers.
_EXPORTS = {
    "accounting": ("PARALLEL_THRESHOLD", "BadValueError", "bottom_up", "sector_fuel_totals"),
    "draws": ("DrawSummary", "draws_needed", "order_statistic_interval", "summarize_draws"),
    "entropy": (
        "AllConstantError", "ConstantIndicatorWarning", "EntropyWeights", "NonFiniteError", "ObstacleDegree",
        "entropy_weights", "obstacle_degree",
    ),
    "montecarlo": ("MonteCarloResult", "Noise", "monte_carlo"),
    "peaks": ("InfiniteTrajectoryError", "NaNTrajectoryError", "PeakResult", "peak"),
    "quantiles": ("NonFiniteSampleError", "quantile"),
}
# grey has its own PARALLEL_THRESHOLD (a fit is cheaper per element): exported as a module.
# lmdi too, as its function has the module's name (fastcarbon.core.lmdi.lmdi).
_SUBMODULES = ("grey", "lmdi")


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES)

__all__ = [
    "PARALLEL_THRESHOLD",
    "BadValueError",
    "bottom_up",
    "sector_fuel_totals",
    "InfiniteTrajectoryError",
    "NaNTrajectoryError",
    "PeakResult",
    "peak",
    "AllConstantError",
    "ConstantIndicatorWarning",
    "EntropyWeights",
    "NonFiniteError",
    "ObstacleDegree",
    "entropy_weights",
    "obstacle_degree",
    "grey",
    "lmdi",
    "MonteCarloResult",
    "Noise",
    "monte_carlo",
    "NonFiniteSampleError",
    "quantile",
    "DrawSummary",
    "summarize_draws",
    "draws_needed",
    "order_statistic_interval",
]
