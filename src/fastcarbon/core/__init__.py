"""numpy API: plain arrays and ``axis``-free core shapes, validation, dispatch to the kernels.

Usable without xarray.  The labelled modules (``fastcarbon.accounting``, ...) are thin layers over
these functions.
"""

# grey has its own PARALLEL_THRESHOLD (a fit is cheaper per element): exported as a module;
# lmdi too, as its function has the module's name (fastcarbon.core.lmdi.lmdi).
from fastcarbon.core import grey, lmdi
from fastcarbon.core.accounting import PARALLEL_THRESHOLD, BadValueError, bottom_up, sector_fuel_totals
from fastcarbon.core.draws import DrawSummary, draws_needed, order_statistic_interval, summarize_draws
from fastcarbon.core.entropy import (
    AllConstantError,
    ConstantIndicatorWarning,
    EntropyWeights,
    NonFiniteError,
    ObstacleDegree,
    entropy_weights,
    obstacle_degree,
)
from fastcarbon.core.montecarlo import MonteCarloResult, Noise, monte_carlo
from fastcarbon.core.peaks import InfiniteTrajectoryError, NaNTrajectoryError, PeakResult, peak
from fastcarbon.core.quantiles import NonFiniteSampleError, quantile

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
