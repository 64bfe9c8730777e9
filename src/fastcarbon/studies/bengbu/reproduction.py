"""The Bengbu study: 000's industrial carbon emissions of Bengbu 2011–2020, recomputed from its
Table 4 fuel use and Table 1 factors (eq. 1), and its EGM(1,1) forecast (eqs. 9–13, Table 6),
on the bundled data of :func:`fastcarbon.datasets.bengbu`."""

from __future__ import annotations

import xarray as xr

__all__ = ["bengbu_accounting", "bengbu_forecast"]


def bengbu_accounting() -> xr.Dataset:
    """Bengbu industrial emissions 2011–2020 recomputed from Table 4 fuel use and Table 1 factors.

    ``computed`` = Σ fuel × carbon emission factor (000 eq. 1), in t C; ``computed_co2`` the same
    in t CO2 (× 44/12 through the unit system); ``printed`` = Table 4's CE; ``gap`` =
    (printed − computed) / computed.  The printed CE sits 0.2–1.2 % above the recomputed sum in
    every year; the paper does not say why (rounding of the fuel columns to 0.001 × 10^4 tce
    moves the sum by < 0.01 %, so it cannot explain 1.2 %), so the gap is reported, not fudged.
    Measured (printed − computed)/computed, 2011 to 2020: +0.60, +1.24, +0.90, +0.79, +0.85,
    +1.00, +0.62, +0.81, +0.49, +0.20 %; 2011: computed 309.001 × 10^4 t C, printed 310.843.

    Table 1's flagged natural-gas factor (2.1622 "t C/tce", likely kg CO2/m³) is used as printed,
    since this reproduces the paper: the :class:`~fastcarbon.errors.FlaggedFactorWarning` of
    :func:`~fastcarbon.accounting.fuel_emissions` is not emitted here; the ``summary`` attr
    (printed by ``fastcarbon run``) and ``notes`` say it instead, once.

    Examples
    --------
    >>> from fastcarbon.studies.bengbu import bengbu_accounting
    >>> r = bengbu_accounting()
    >>> bool(((r.gap > 0.0019) & (r.gap < 0.0125)).all())
    True
    """
    import warnings

    from fastcarbon import factors
    from fastcarbon.accounting import fuel_emissions
    from fastcarbon.datasets import bengbu
    from fastcarbon.errors import FlaggedFactorWarning

    ds = bengbu()
    with warnings.catch_warnings():
        # the printed values are the point of a reproduction; the note below says so once
        warnings.simplefilter("ignore", FlaggedFactorWarning)
        carbon = fuel_emissions(ds.fuel_use, "bengbu2023", units="t C").emissions
        co2 = fuel_emissions(ds.fuel_use, "bengbu2023", units="t CO2").emissions
    used = factors.load("bengbu2023").emission_factor.sel(fuel=ds.fuel_use.indexes["fuel"])
    as_printed = [
        f"Table 1 value kept for the reproduction: {f.describe()}" for f in factors.flagged(used, "bengbu2023")
    ]
    printed = ds.ce_printed
    out = xr.Dataset(
        {
            "computed": carbon.assign_attrs(long_name="sum of fuel use x Table 1 carbon factor"),
            "computed_co2": co2.assign_attrs(long_name="the same as CO2"),
            "printed": printed,
            "gap": ((printed - carbon) / carbon).assign_attrs(
                units="1", long_name="relative gap (printed - computed) / computed"
            ),
        }
    )
    out.attrs.update(title="Bengbu fuel accounting: recomputed vs printed (000 eq. 1, Tables 1 and 4)",
                     source=ds.attrs["source"], notes=" ".join(as_printed))
    gap = out.gap.values
    out.attrs["summary"] = [
        f"printed CE above the recomputed sum by {100 * gap.min():.2f} to {100 * gap.max():.2f} % "
        f"({int(out.year[0])}-{int(out.year[-1])}); the gap is reported, not adjusted",
        *as_printed,
    ]
    return out


def bengbu_forecast(last_year: int = 2030) -> xr.Dataset:
    """Bengbu industrial emissions: EGM(1,1) fitted on 2011–2020 and forecast, against the linear
    baseline and the values printed in 000 Table 6 (eqs. 9–13).

    Returns a Dataset over ``year`` (2011 to ``last_year``) in 10^4 t C, the paper's unit:
    ``observed`` X(0), ``egm`` (fitted, then forecast), ``linear`` (the same for the least-squares
    line), ``table6`` (the fitted column printed in Table 6), and the relative errors
    ``egm_error`` and ``linear_error``.  The attrs ``summary`` lines give a, b, C, P, the grade,
    the MAPE of both models and whether emissions peak by 2030, from the data to 2020 and then
    the EGM forecast (:func:`fastcarbon.grey.forecast_peak`; 000 concludes they do not: the
    fitted development coefficient a = −0.0114 < 0 means growth of about 1.15 % a year, an answer
    that comes from the model's rising shape alone, as the summary says).

    Examples
    --------
    >>> from fastcarbon.studies.bengbu import bengbu_forecast
    >>> r = bengbu_forecast()
    >>> round(r.attrs["a"], 6), round(r.attrs["C"], 3), r.attrs["grade"], r.attrs["peaks_by_2030"]
    (-0.011391, 0.314, 'good', 'no')
    """
    from fastcarbon.datasets import bengbu
    from fastcarbon.grey import (
        GRADE_LEGEND,
        fit_egm,
        fit_linear,
        forecast_egm,
        forecast_linear,
        forecast_peak,
    )
    from fastcarbon.units import conversion_factor

    ds = bengbu()
    x0 = ds.x0
    horizon = last_year - int(x0.year[-1])
    egm, lin = fit_egm(x0), fit_linear(x0)
    # Tables in the paper's unit, 10^4 t C, so the columns compare with Table 6 at a glance.
    shown = "10**4 t C"
    k = conversion_factor(x0.attrs["units"], shown)

    def in_shown(da, long_name):
        return (da * k).assign_attrs(units=shown, long_name=long_name)

    def path(fit, forecast, name):
        both = xr.concat([fit.fitted, forecast(fit, horizon)], dim="year")
        return in_shown(both, f"{name}: fitted 2011-2020, forecast after")

    egm_path = path(egm, forecast_egm, "EGM(1,1)")
    out = xr.Dataset(
        {
            "observed": in_shown(x0, x0.attrs["long_name"]),
            "egm": egm_path,
            "linear": path(lin, forecast_linear, "linear regression"),
            "table6": in_shown(ds.egm_fitted_printed, "EGM(1,1) fitted, as printed in Table 6"),
            "egm_error": egm.relative_error.assign_attrs(units="1", long_name="EGM(1,1) relative error |x - fit| / x"),
            "linear_error": lin.relative_error.assign_attrs(units="1", long_name="linear relative error |x - fit| / x"),
        }
    )
    # Not peak(egm_path): the EGM path is monotone, its maximum is its last or second year whatever
    # the data did.  forecast_peak reads the data, then the forecast, and says which one answered.
    p = forecast_peak(x0, egm, horizon=horizon, by=min(2030, last_year))
    peaked = bool(p.peaked_by)
    shape_only = " - the EGM model's monotone shape alone answers" if bool(p.from_model_shape) else ""
    grade = GRADE_LEGEND[int(egm.grade)]
    out.attrs.update(
        title="Bengbu EGM(1,1) forecast (000 eqs. 9-13, Table 6)",
        source=ds.attrs["source"],
        a=float(egm.a), b=float(egm.b), C=float(egm.C), P=float(egm.P), grade=grade,
        mape_egm=float(egm.mape), mape_linear=float(lin.mape),
        peaks_by_2030="yes" if peaked else "no",
        summary=[
            f"EGM(1,1): a = {float(egm.a):.6f}, b = {float(egm.b) * k:.3f} {shown} "
            f"(000 Table 6: a = -0.011391, b = 312.272)",
            f"posterior-difference test: C = {float(egm.C):.4f}, P = {float(egm.P):.2f}, grade {grade} "
            f"(paper: C = 0.3143, P = 1, good)",
            f"MAPE 2011-2020: EGM {100 * float(egm.mape):.2f} %, linear {100 * float(lin.mape):.2f} %",
            f"peak before 2030: {'yes, in ' + str(int(p.peak_year)) if peaked else 'no'} "
            f"(data to 2020, then the EGM forecast, at {float(egm_path.sel(year=last_year)):.2f} {shown} in "
            f"{last_year}{shape_only})",
        ],
    )
    return out
