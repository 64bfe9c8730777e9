"""The Chongqing study: Dai, Zhang, Chang & Meng (2025, 001), Chongqing's industrial CO2 paths
2020–2060 under Table 1's carbon-intensity reduction rates, reproduced top-down.

- :func:`table1_schedules`, :func:`chongqing_inputs`, :func:`chongqing_scenarios`,
  :func:`chongqing_peaks` (module ``scenarios``): the paper's tables (``chongqing*.csv``,
  ``chongqing.toml`` in this folder), the scenario paths and their peaks next to the paper's.
- :func:`chongqing_monte_carlo` with :data:`CHONGQING_NOISE` (module ``uncertainty``): the paths
  under uncertain rates and GDP growth.
- :func:`chongqing_problem`, :func:`chongqing_model`, :func:`chongqing_sensitivity` with
  :data:`CHONGQING_RATE_GROUPS` (module ``sensitivity``): Sobol' indices of its outputs.
- :func:`chongqing_decomposition`, :func:`chongqing_decomposition_draws`,
  :func:`chongqing_growth_decomposition` (module ``decomposition``): LMDI-I of the RS → AP-NZES
  gap into activity and intensity effects per sector, deterministic and per Monte Carlo draw,
  and of each scenario's change from 2020.

Built on the general methods of :mod:`fastcarbon.scenarios` and :mod:`fastcarbon.uncertainty`;
``study.toml`` here makes it a bundled study: ``fastcarbon run`` computes its ``[custom]`` results
``chongqing_peaks`` and ``chongqing_monte_carlo`` (module ``study``).
"""

from fastcarbon.studies.chongqing.decomposition import (
    DECOMPOSITION_YEARS,
    chongqing_decomposition,
    chongqing_decomposition_draws,
    chongqing_growth_decomposition,
)
from fastcarbon.studies.chongqing.scenarios import (
    EMISSIONS_UNITS,
    SCENARIOS,
    chongqing_inputs,
    chongqing_peaks,
    chongqing_scenarios,
    table1_schedules,
)
from fastcarbon.studies.chongqing.sensitivity import (
    CHONGQING_RATE_GROUPS,
    chongqing_model,
    chongqing_problem,
    chongqing_sensitivity,
)
from fastcarbon.studies.chongqing.uncertainty import CHONGQING_NOISE, chongqing_monte_carlo

__all__ = [
    "table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks", "SCENARIOS", "EMISSIONS_UNITS",
    "chongqing_monte_carlo", "CHONGQING_NOISE",
    "chongqing_problem", "chongqing_model", "chongqing_sensitivity", "CHONGQING_RATE_GROUPS",
    "chongqing_decomposition", "chongqing_growth_decomposition", "chongqing_decomposition_draws", "DECOMPOSITION_YEARS",
]
