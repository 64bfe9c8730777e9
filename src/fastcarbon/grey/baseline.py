"""The linear-trend baseline of 000 Table 6, with the same outputs as :func:`fastcarbon.grey.fit_egm`."""

from __future__ import annotations

from typing import Literal

import xarray as xr

from fastcarbon.grey.egm import _fit_series, _forecast_series

__all__ = ["fit_linear", "forecast_linear"]

_MODEL = "linear trend"


def fit_linear(
    da: xr.DataArray,
    dim: str = "year",
    *,
    errors: Literal["raise", "ignore"] = "raise",
    shift: float = 0.0,
    parallel: bool | None = None,
) -> xr.Dataset:
    """Fit the linear trend x̂(k) = α + β·k, k = 1..n, to every series along ``dim``.

    .. math:: \\beta = \\frac{\\sum_k (k-\\bar k)(x_k-\\bar x)}{\\sum_k (k-\\bar k)^2}, \\qquad
              \\alpha = \\bar x - \\beta \\bar k

    The regression baseline the Bengbu study compares EGM(1,1) with (Scientific Reports
    13:14528 (2023), Table 6).  Arguments, outputs, diagnostics, data flags and errors as in
    :func:`fastcarbon.grey.fit_egm`, so both models are scored on the same series; the
    coefficients are ``intercept`` (α, the trend one step before the series' first year: k = 1 is
    the first point of its window) and ``slope``
    (β per step), and flag 8 never occurs.

    Notes
    -----
    The printed linear column of 000 Table 6 is not the least-squares line of the printed X(0):
    it has the least-squares slope (3.614 10^4 t per year) but lies about 3.1 lower, so its mean
    is not the data's.  fastcarbon's baseline is the least-squares line.

    Examples
    --------
    >>> from fastcarbon.datasets import bengbu
    >>> from fastcarbon.grey import fit_linear, forecast_linear
    >>> fit = fit_linear(bengbu().x0 / 1e4)
    >>> round(float(fit.slope), 4), round(float(fit.mape), 4)
    (3.6138, 0.0088)
    >>> forecast_linear(fit, horizon=1).round(2).values.tolist()
    [350.96]
    """
    return _fit_series(da, dim, _MODEL, errors, shift, parallel)


def forecast_linear(fit: xr.Dataset, horizon: int = 10) -> xr.DataArray:
    """Linear-trend values α + β·k for the ``horizon`` steps after the fitted ones, on a continuing
    coordinate (see :func:`fastcarbon.grey.forecast_egm`)."""
    return _forecast_series(fit, horizon, _MODEL)
