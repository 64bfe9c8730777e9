"""Deprecated: the Chongqing Monte Carlo moved to :mod:`fastcarbon.studies.chongqing` (issue 12)."""

from fastcarbon._deprecate import moved

__getattr__ = moved(__name__, dict.fromkeys(["chongqing_monte_carlo", "CHONGQING_NOISE"], "fastcarbon.studies.chongqing"))
