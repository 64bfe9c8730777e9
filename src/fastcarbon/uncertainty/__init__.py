"""Uncertainty, labelled API: Monte Carlo draws, their summaries, global sensitivity.

- :func:`monte_carlo` with :class:`Noise`: scenario emissions along a ``draw`` dim under
  uncertain intensity (activity, factor) paths, reproducible for any chunking (module
  ``sampling``).
- :func:`summarize`, :func:`quantile_bands`, :func:`peak_probability`,
  :func:`peak_year_distribution`, :func:`prob_below`: what the draws say, with their Monte
  Carlo errors; :func:`draws_needed`: how many draws a stated precision needs (module ``summary``).
- :func:`chongqing_monte_carlo`: the Chongqing scenarios of Dai et al. (2025) under uncertain
  rates (module ``examples``).
- Sobol' and Morris indices via SALib (module ``sensitivity``).

Module names differ from the exported names so that no submodule is shadowed by a function.
"""

from fastcarbon.uncertainty.examples import chongqing_monte_carlo
from fastcarbon.uncertainty.sampling import Noise, monte_carlo
from fastcarbon.uncertainty.sensitivity import (
    check_problem,
    chongqing_model,
    chongqing_problem,
    chongqing_sensitivity,
    morris_analyze,
    morris_sample,
    sobol_analyze,
    sobol_sample,
)
from fastcarbon.uncertainty.summary import (
    draws_needed,
    peak_probability,
    peak_year_distribution,
    prob_below,
    quantile_bands,
    summarize,
)

__all__ = [
    "Noise", "monte_carlo",
    "summarize", "draws_needed", "quantile_bands", "peak_probability", "peak_year_distribution", "prob_below",
    "chongqing_monte_carlo",
    "check_problem", "sobol_sample", "sobol_analyze", "morris_sample", "morris_analyze",
    "chongqing_problem", "chongqing_model", "chongqing_sensitivity",
]
