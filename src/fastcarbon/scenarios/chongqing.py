"""Deprecated: the Chongqing example moved to :mod:`fastcarbon.studies.chongqing` (issue 12)."""

from fastcarbon._deprecate import moved

__getattr__ = moved(__name__, dict.fromkeys(
    ["table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks", "SCENARIOS", "EMISSIONS_UNITS"],
    "fastcarbon.studies.chongqing"))
