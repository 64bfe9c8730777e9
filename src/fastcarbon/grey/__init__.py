"""Grey forecasting over labelled data: EGM(1,1), a linear baseline, rolling-origin backtests, and
peak questions answered from the observed history and the forecast (:func:`forecast_peak`).

Conventions in METHODS.md (EGM(1,1) section); kernels in :mod:`fastcarbon.kernels.grey`, the numpy
API in :mod:`fastcarbon.core.grey`.
"""

from fastcarbon.grey.baseline import fit_linear, forecast_linear
from fastcarbon.grey.egm import FLAG_LEGEND, GRADE_LEGEND, fit_egm, forecast_egm
from fastcarbon.grey.peak import PEAK_LEGEND, forecast_peak
from fastcarbon.grey.rolling import backtest

__all__ = [
    "FLAG_LEGEND",
    "GRADE_LEGEND",
    "PEAK_LEGEND",
    "backtest",
    "fit_egm",
    "fit_linear",
    "forecast_egm",
    "forecast_linear",
    "forecast_peak",
]
