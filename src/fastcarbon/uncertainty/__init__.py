"""Uncertainty, labelled API: Monte Carlo draws, their summaries, global sensitivity.

- :func:`monte_carlo` with :class:`Noise`: scenario emissions along a ``draw`` dim under
  uncertain intensity (activity, factor) paths, reproducible for any chunking (module
  ``sampling``).
- :func:`summarize`, :func:`quantile_bands`, :func:`peak_probability`,
  :func:`peak_year_distribution`, :func:`prob_below`: what the draws say, with their Monte
  Carlo errors; :func:`draws_needed`: how many draws a stated precision needs (module ``summary``).
- Sobol' and Morris indices via SALib (module ``sensitivity``); Sobol' indices of a
  model of rate multipliers per period group (module ``rates``: ``rate_problem``, ``rate_model``,
  ``rate_sensitivity``).

The Chongqing example of 001 is a bundled study, :mod:`fastcarbon.studies.chongqing`.

Module names differ from the exported names so that no submodule is shadowed by a function.
"""

from fastcarbon._deprecate import moved
from fastcarbon.uncertainty.sampling import Noise, monte_carlo
from fastcarbon.uncertainty.sensitivity import (
    check_problem,
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
    "check_problem", "sobol_sample", "sobol_analyze", "morris_sample", "morris_analyze",
]

# The Chongqing example of 001 moved to fastcarbon.studies.chongqing (issue 12); the old names
# warn for one release.
__getattr__ = moved(__name__, dict.fromkeys(
    ["chongqing_monte_carlo", "chongqing_problem", "chongqing_model", "chongqing_sensitivity"],
    "fastcarbon.studies.chongqing"), modules={"examples": "fastcarbon.studies.chongqing"})
