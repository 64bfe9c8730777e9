"""Scenarios, labelled API: trajectories over ``year``, scenario inheritance, scenario emissions.

- Trajectory builders (LEAP's Interp, Growth, Step; 001 Table 1 rates per period):
  :func:`interpolate`, :func:`constant_growth`, :func:`step`, :func:`rate_schedule`.
- Expressions a scenario uses to define a variable from its base-year value: :class:`Interp`,
  :class:`Growth`, :class:`Step`, :class:`Schedule` (or an explicit DataArray over years).
- :class:`Scenario`, :class:`ScenarioSet`: named sets of trajectories, inheritance in LEAP's
  search order (scenario → parent → base year), one Dataset with a ``scenario`` dim.
- :func:`top_down_emissions`, :func:`bottom_up_emissions`; ESP, CMP and sector shares of the
  reduction with :func:`potentials` (= :func:`fastcarbon.accounting.potentials`).

Module names differ from the names exported here (``trajectory``, ``expressions``, ``catalog``,
``emissions``) so that no submodule is shadowed by a function.
"""

from fastcarbon._deprecate import moved
from fastcarbon.accounting import potentials
from fastcarbon.scenarios.catalog import Scenario, ScenarioSet
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
]

# The Chongqing example of 001 moved to fastcarbon.studies.chongqing (issue 12); the old names
# warn for one release.
__getattr__ = moved(__name__, dict.fromkeys(
    ["table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks"], "fastcarbon.studies.chongqing"),
    modules={"chongqing": "fastcarbon.studies.chongqing"})
