"""Scenarios, labelled API: trajectories over ``year``, scenario inheritance, scenario emissions.

- Trajectory builders (LEAP's Interp, Growth, Step; 001 Table 1 rates per period):
  :func:`interpolate`, :func:`constant_growth`, :func:`step`, :func:`rate_schedule`.
- Expressions a scenario uses to define a variable from its base-year value: :class:`Interp`,
  :class:`Growth`, :class:`Step`, :class:`Schedule` (or an explicit DataArray over years).
- :class:`Scenario`, :class:`ScenarioSet`: named sets of trajectories, inheritance in LEAP's
  search order (scenario → parent → base year), one Dataset with a ``scenario`` dim.
- :func:`top_down_emissions`, :func:`bottom_up_emissions`; ESP, CMP and sector shares of the
  reduction with :func:`potentials` (= :func:`fastcarbon.accounting.potentials`).
- The Chongqing example (Dai et al. 2025): :func:`table1_schedules`, :func:`chongqing_inputs`,
  :func:`chongqing_scenarios`, :func:`chongqing_peaks`.

Module names differ from the names exported here (``trajectory``, ``expressions``, ``catalog``,
``emissions``, ``chongqing``) so that no submodule is shadowed by a function.
"""

from fastcarbon.accounting import potentials
from fastcarbon.scenarios.catalog import Scenario, ScenarioSet
from fastcarbon.scenarios.chongqing import (
    chongqing_inputs,
    chongqing_peaks,
    chongqing_scenarios,
    table1_schedules,
)
from fastcarbon.scenarios.emissions import bottom_up_emissions, top_down_emissions
from fastcarbon.scenarios.expressions import Growth, Interp, Schedule, Step
from fastcarbon.scenarios.trajectory import (
    constant_growth,
    interpolate,
    parse_periods,
    rate_schedule,
    step,
)

__all__ = [
    "interpolate", "constant_growth", "step", "rate_schedule", "parse_periods",
    "Interp", "Growth", "Step", "Schedule",
    "Scenario", "ScenarioSet",
    "top_down_emissions", "bottom_up_emissions", "potentials",
    "table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks",
]
