"""Running a study: :func:`run_study` computes every method the file asks for and writes the
results, the figures and a Markdown report."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import xarray as xr

from fastcarbon.studies.schema import RESULTS, TOTAL, Study, load_study

__all__ = ["run_study", "scenario_set", "RESULTS", "steps"]


def _with_total(da: xr.DataArray) -> xr.DataArray:
    """``da`` with the sum over regions appended as region :data:`TOTAL` (when there are several)."""
    if da.sizes.get("region", 1) < 2:
        return da
    total = da.sum("region", skipna=False).expand_dims(region=[TOTAL])
    return xr.concat([da, total], "region").assign_attrs(da.attrs)


def accounting(study: Study) -> xr.Dataset:
    """Emissions by region, fuel and year from the energy table (:func:`fastcarbon.accounting.fuel_emissions`).

    A region-year with a fuel still missing after ``missing`` (a city that reports from 2015 on)
    has NaN emissions: the accounting never treats a missing value as 0."""
    from fastcarbon.accounting import fuel_emissions

    acc = study.config["accounting"]
    units = study.config.get("study", {}).get("emissions_units", "Mt CO2")
    energy = study.energy
    known = energy.notnull()
    out = fuel_emissions(energy.fillna(0.0), acc["factors"], units=units, groups=acc.get("groups") or None)
    by_fuel = out.emissions_by_fuel.where(known)
    total = out.emissions.where(known.all("fuel"))
    ds = xr.Dataset({
        "energy": energy.assign_attrs(long_name="energy use"),
        "emissions_by_fuel": by_fuel.assign_attrs(out.emissions_by_fuel.attrs),
        "emissions": total.assign_attrs(out.emissions.attrs),
    })
    ds.attrs.update(factors=acc["factors"], method=str(out.attrs.get("method", "")))
    return ds


def forecast(study: Study, emissions: xr.DataArray) -> xr.Dataset:
    """EGM(1,1) per region on the accounted emissions, its posterior-difference test, the peak
    question answered from data then forecast, and a rolling-origin backtest."""
    from fastcarbon.grey import GRADE_LEGEND, backtest, fit_egm, forecast_egm, forecast_peak

    sec = study.section("forecast")
    horizon = sec.get("horizon", 10)
    last = int(emissions.year[-1])
    by = sec.get("by", min(2030, last + horizon))
    fit = fit_egm(emissions, errors="ignore")
    fc = forecast_egm(fit, horizon)
    pk = forecast_peak(emissions, fit, horizon=horizon, by=by)
    ds = xr.Dataset({
        "observed": emissions,
        "fitted": fit.fitted,
        "forecast": fc,
        "a": fit.a, "b": fit.b, "C": fit.C, "P": fit.P, "mape": fit.mape,
        "grade": fit.grade.astype("int8"),
        "peak_year": pk.peak_year, "peaked_by": pk.peaked_by, "status": pk.status,
    })
    ds["grade"].attrs.update(units="1", long_name="posterior-difference grade",
                             legend="; ".join(f"{k}: {v}" for k, v in GRADE_LEGEND.items()))
    n_bt = sec.get("backtest", 1)
    if n_bt:
        bt = backtest(emissions, horizon=n_bt, min_train=max(4, emissions.sizes["year"] - 4))
        ds["backtest_mape"] = bt.mape.assign_attrs(units="1", long_name=f"rolling-origin MAPE, leads 1-{n_bt}")
    ds.attrs.update(by=by, horizon=horizon)
    return ds, fit


def scenario_set(study: Study, base_emissions: xr.DataArray):
    """The study's scenarios as a :class:`fastcarbon.scenarios.ScenarioSet` of ``gdp`` and
    ``carbon_intensity`` (base: emissions / GDP per region), and the annual rates and growth
    per scenario (for the sensitivity model)."""
    from fastcarbon.scenarios import Scenario, ScenarioSet, Schedule, interpolate

    st = study.config.get("study", {})
    base_year, end = study.base_year, study.end_year
    years = np.arange(base_year, end + 1)
    gdp0 = st.get("gdp", 1.0)
    gdp_units = st.get("gdp_units", "1")
    units = base_emissions.attrs["units"]
    base = xr.Dataset({
        "gdp": xr.DataArray(gdp0, attrs={"units": gdp_units, "long_name": "economic activity (GDP)"}),
        "carbon_intensity": (base_emissions / gdp0).assign_attrs(
            units=f"{units} / ({gdp_units})" if gdp_units != "1" else units, long_name="carbon intensity of GDP"),
    })
    defs, growth, rates = [], {}, {}
    for name, sc in study.scenarios.items():
        g = _growth(sc["gdp_growth"], years, interpolate)
        r = _rates(sc["intensity_rates"], years)
        growth[name], rates[name] = g, r
        variables = {}
        if "gdp_growth" in sc["defines"]:
            path = gdp0 * (1.0 + g.where(g.year > base_year, 0.0) / 100.0).cumprod("year")
            variables["gdp"] = path.assign_attrs(units=gdp_units)
        if "intensity_rates" in sc["defines"]:
            labels = list(sc["intensity_rates"])
            variables["carbon_intensity"] = Schedule(xr.DataArray(
                [sc["intensity_rates"][k] for k in labels], dims="period", coords={"period": labels},
                attrs={"units": "%"}))
        defs.append(Scenario(name, variables, parent=sc["parent"], description=sc["description"]))
    ss = ScenarioSet(base, defs, base_year=base_year, years=years)
    names = list(study.scenarios)
    g = xr.concat([growth[n] for n in names], dim=xr.DataArray(names, dims="scenario", name="scenario"))
    r = xr.concat([rates[n] for n in names], dim=xr.DataArray(names, dims="scenario", name="scenario"))
    return ss, g.assign_attrs(units="%"), r.assign_attrs(units="%")


def _growth(spec, years, interpolate) -> xr.DataArray:
    if spec is None:
        return xr.DataArray(np.zeros(years.size), dims="year", coords={"year": years})
    keys = sorted(spec, key=int)
    da = xr.DataArray([spec[k] for k in keys], dims="year", coords={"year": [int(k) for k in keys]})
    if int(keys[0]) > years[0]:  # the first key value holds back to the base year
        da = xr.concat([da.isel(year=[0]).assign_coords(year=[int(years[0])]), da], "year")
    return interpolate(da, years)


def _rates(spec, years) -> xr.DataArray:
    """Annual rates (%) over the years after the base year."""
    after = years[1:]
    out = np.zeros(after.size)
    for lab, v in (spec or {}).items():
        s, e = (int(x) for x in lab.split("-"))
        out[(after >= s) & (after <= e)] = v
    return xr.DataArray(out, dims="year", coords={"year": after})


def scenarios(study: Study, base_emissions: xr.DataArray):
    from fastcarbon.peaks import peak

    ss, growth, rates = scenario_set(study, base_emissions)
    built = ss.build()
    em = (built.gdp * built.carbon_intensity).transpose("scenario", "region", "year")
    em = em.assign_attrs(units=base_emissions.attrs["units"], long_name="CO2 emissions")
    ds = built.assign(emissions=em)
    with_total = _with_total(em)
    if TOTAL in with_total.region.values:
        ds["emissions_total"] = with_total.sel(region=TOTAL, drop=True).assign_attrs(
            long_name="CO2 emissions, sum over regions")
    target = (study.section("monte_carlo") or {}).get("target_year", min(2030, study.end_year))
    p = peak(with_total, "year", target=target)
    peaks = xr.Dataset({
        "peak_year": p.peak_year, "peak_value": p.peak_value, "peaked": p.peaked, "peaked_by": p.peaked_by,
        "net_zero_year": p.net_zero_year, "cumulative_emissions": p.cumulative_emissions,
        f"emissions_{study.end_year}": with_total.sel(year=study.end_year, drop=True).assign_attrs(
            units=em.attrs["units"], long_name=f"emissions in {study.end_year}"),
    })
    peaks = peaks.drop_vars([c for c in peaks.coords if c not in peaks.dims])
    peaks.attrs.update(target_year=target)
    return ds, peaks, growth, rates


def monte_carlo(study: Study, built: xr.Dataset) -> xr.Dataset:
    from fastcarbon.uncertainty import Noise, monte_carlo as mc_draws, summarize

    sec = study.section("monte_carlo")
    st = study.config.get("study", {})

    def noise(key, default, on="rate", ar1=0.0):
        spec = sec.get(key, default)
        return None if spec is None else Noise(spec.get("distribution", "lognormal"), spec.get("spread", 0.1),
                                               on=spec.get("on", on), ar1=spec.get("ar1", ar1))

    units = built.emissions.attrs["units"]
    # uncertain emission factors: a multiplier of mean 1 on every year's emissions, on its level
    # (the rate of a constant 1 is 0), ar1 = 1 by default: a factor error persists from year to year
    factor_noise = noise("factor", None, on="level", ar1=1.0)
    factor = None if factor_noise is None else xr.DataArray(
        np.ones(built.sizes["year"]), dims="year", coords={"year": built.year.values}, attrs={"units": "1"})
    mc = mc_draws(built[["gdp", "carbon_intensity"]], sec.get("draws", 1000), seed=st.get("seed", 0), activity="gdp",
                  intensity="carbon_intensity", factor=factor, emissions_units=units,
                  intensity_noise=noise("intensity", {"distribution": "lognormal", "spread": 0.1}),
                  activity_noise=noise("gdp", None), factor_noise=factor_noise)
    em = _with_total(mc.emissions.transpose("draw", "scenario", "region", "year"))
    target = sec.get("target_year", min(2030, study.end_year))
    out = summarize(em.assign_attrs(units=units, long_name="CO2 emissions"), target_year=target,
                    quantiles=(0.05, 0.25, 0.5, 0.75, 0.95))
    out.attrs.update(target_year=target, seed=int(st.get("seed", 0)), n_draws=int(em.sizes["draw"]),
                     noise=str({k: sec[k] for k in ("intensity", "gdp", "factor") if k in sec}))
    return out


def sensitivity(study: Study, base_emissions: xr.DataArray, growth, rates) -> xr.Dataset:
    from fastcarbon.uncertainty.rates import rate_problem, rate_sensitivity

    sec = study.section("sensitivity")
    base, end = study.base_year, study.end_year
    groups = sec.get("rate_groups", {"rates": f"{base + 1}-{end}"})
    use_growth = sec.get("gdp_growth", True)
    problem = rate_problem(groups, spread=sec.get("spread", 0.2), ranges=sec.get("ranges"),
                           growth="gdp_growth" if use_growth else None)
    target = (study.section("monte_carlo") or {}).get("target_year", min(2030, end))
    total = base_emissions.sum("region").assign_attrs(base_emissions.attrs)
    model = dict(base_emissions=total, rates=rates, groups=groups, base_year=base, years=range(base, end + 1),
                 growth=growth if use_growth else None, report_years=sorted({target, end}))
    seed = study.config.get("study", {}).get("seed", 0)
    if sec.get("method", "sobol") == "morris":
        from fastcarbon.uncertainty import morris_analyze, morris_sample
        from fastcarbon.uncertainty.rates import rate_model

        x = morris_sample(problem, sec.get("trajectories", 20), seed=seed, num_levels=sec.get("levels", 4))
        res = rate_model(x, **model)
        si = morris_analyze(problem, x, res.drop_vars("peaked"), seed=seed, num_levels=sec.get("levels", 4),
                            num_resamples=sec.get("resamples", 100))
        si["censored_share"] = (1.0 - res.peaked.mean("draw")).assign_attrs(
            units="1", long_name="share of runs with no peak within the horizon (peak year set to last year + 1)")
        si.attrs.update(problem=str(problem), what="total over regions")
        return si
    n = sec.get("base_points", 128)
    # the indices again on the first n/4 and n/2 base points: do they still move? (sensobol)
    convergence = [m for m in (n // 4, n // 2) if m >= 4] if sec.get("convergence", True) else None
    si = rate_sensitivity(problem, n, seed=seed, convergence=convergence, num_resamples=sec.get("resamples", 100),
                          **model)
    si.attrs.update(problem=str(problem), what="total over regions")
    return si


#: what each built-in step needs computed first
_NEEDS = {"forecast": ("accounting",), "scenarios": ("accounting",), "monte_carlo": ("accounting", "scenarios"),
          "sensitivity": ("accounting", "scenarios")}


def steps(study: Study, only=None) -> list[str]:
    """The steps a run of ``study`` computes, in order: the built-in methods its file asks for
    (accounting, forecast, scenarios (with peaks), monte_carlo, sensitivity), then its
    ``[custom]`` results.  ``only`` keeps the named ones (``"peaks"`` is the scenarios step)
    and what they need.

    Raises
    ------
    InputError
        ``only`` names a step the study does not have.
    """
    from fastcarbon._format import show
    from fastcarbon.errors import InputError

    built_in = [("accounting", study.energy is not None), ("forecast", study.section("forecast") is not None),
                ("scenarios", bool(study.scenarios)), ("monte_carlo", study.section("monte_carlo") is not None),
                ("sensitivity", study.section("sensitivity") is not None)]
    every = [s for s, on in built_in if on] + list(study.custom)
    if only is None:
        return every
    if isinstance(only, str):
        only = [only]
    wanted = {"scenarios" if n == "peaks" else n for n in only}
    unknown = sorted(n for n in wanted if n not in every)
    if unknown:
        raise InputError(f"only: {show(unknown)} not steps of the study {show(study.name)}; its steps: {show(every)}")
    for n in list(wanted):
        wanted.update(_NEEDS.get(n, ()))
    return [s for s in every if s in wanted]


def result_names(study: Study, todo) -> list[str]:
    """The file stems the steps ``todo`` write (the scenarios step also writes ``peaks``)."""
    return [r for s in todo for r in (("scenarios", "peaks") if s == "scenarios" else (s,))]


def run_study(study, output=None, progress: bool = True, *, only=None, overrides: dict | None = None) -> dict:
    """Run a study: compute every method its file asks for, write results, figures and report.

    Parameters
    ----------
    study : Study or path
        A :class:`Study` or a study file (then :func:`load_study` first).
    output : path, optional
        The output folder; default ``[outputs] folder`` (relative to the study file).
    progress : bool
        Show each step on stderr (a spinner on a terminal, one line when done), as ``fastcarbon
        run`` does for its jobs.
    only : str or list of str, optional
        Compute only these steps (:func:`steps`: built-in methods or ``[custom]`` names) and what
        they need; ``fastcarbon run --job NAME`` passes its names here.
    overrides : dict, optional
        Dotted key -> value applied to the file before it is checked (:func:`load_study`), e.g.
        ``{"monte_carlo.draws": 100}``; given a :class:`Study`, its file is read again.

    Returns
    -------
    dict
        Result name (:data:`RESULTS` and ``[custom]`` names, those computed) -> Dataset, plus
        ``"files"`` (the files written, a list of Path), ``"notes"`` (what was skipped and why),
        ``"timings"`` (step -> seconds) and ``"tables"`` (custom result -> the Dataset over one
        dim that ``fastcarbon run`` prints and writes as CSV, when there is one).

    Raises
    ------
    StudyFileError
        From :func:`load_study` when given a path.
    OutputPathError
        The output folder cannot be written (checked before anything computes).
    FastcarbonError
        From a step; its ``study_step`` attribute names the step.
    """
    from fastcarbon.errors import FastcarbonError
    from fastcarbon.output import prepare_output

    if not isinstance(study, Study):
        study = load_study(study, overrides=overrides)
    elif overrides:
        study = load_study(study.path, overrides=overrides)
    out = study.output_folder if output is None else Path(output)
    todo = steps(study, only)
    prepare_output(out, result_names(study, todo), option="output")
    console = None
    if progress:
        from rich.console import Console

        console = Console(stderr=True, highlight=False)
    results: dict = {}
    timings, tables = {}, {}
    for k, name in enumerate(todo, 1):
        label = f"[{k}/{len(todo)}] {name}"
        started = time.perf_counter()
        hook = study.custom.get(name)
        status = f"{label}: {hook.title}..." if hook else f"{label}..."
        try:
            with console.status(status, spinner="dots") if console else nullcontext():
                _step(study, name, results, out)
                if hook:
                    tables[name] = _shown(hook, results[name])
        except FastcarbonError as err:
            err.study_step = name  # the CLI names it: "error in <file> (<step>)"
            raise
        timings[name] = time.perf_counter() - started
        if console:
            console.print(f"{label} done in {timings[name]:.1f} s", markup=False)
    for key in ("_growth", "_rates", "_base"):
        results.pop(key, None)
    from fastcarbon.studies.write import write_outputs

    files, notes = write_outputs(study, results, out, console, tables=tables)
    results.pop("_fit", None)
    return {**results, "files": files, "notes": notes, "timings": timings,
            "tables": {k: v for k, v in tables.items() if v is not None}}


def _step(study: Study, name: str, results: dict, out: Path) -> None:
    if name == "accounting":
        results["accounting"] = accounting(study)
    elif name == "forecast":
        results["forecast"], results["_fit"] = forecast(study, results["accounting"].emissions)
    elif name == "scenarios":
        base = results["accounting"].emissions.sel(year=study.base_year, drop=True)
        built, peaks, growth, rates = scenarios(study, base)
        results["scenarios"], results["peaks"] = built, peaks
        results["_growth"], results["_rates"], results["_base"] = growth, rates, base
    elif name == "monte_carlo":
        results["monte_carlo"] = monte_carlo(study, results["scenarios"])
    elif name == "sensitivity":
        results["sensitivity"] = sensitivity(study, results["_base"], results["_growth"], results["_rates"])
    else:
        results[name] = _custom(study, study.custom[name], out)


def _custom(study: Study, hook, out: Path) -> xr.Dataset:
    """A ``[custom]`` result: the hook's Dataset (a DataArray is turned into one)."""
    from fastcarbon.errors import InputTypeError

    ds = hook(study=study, output=out)
    if isinstance(ds, xr.DataArray):
        ds = ds.to_dataset(name=ds.name or hook.name)
    if not isinstance(ds, xr.Dataset):
        raise InputTypeError(f"custom.{hook.name}: {getattr(hook.run, '__name__', 'the code')} returned "
                             f"{type(ds).__name__}; a [custom] function returns an xarray.Dataset")
    return ds


def _shown(hook, ds: xr.Dataset) -> xr.Dataset | None:
    """The table of a custom result: ``table(ds)``, or the result itself when over at most one
    dim; None when there is no such table (the result is over several dims and no table given)."""
    from fastcarbon.errors import InputTypeError

    if hook.table is not None:
        shown = hook.table(ds)
        if not isinstance(shown, xr.Dataset):
            raise InputTypeError(f"custom.{hook.name}.table returned {type(shown).__name__}; it returns an "
                                 f"xarray.Dataset over one dim")
        return shown
    return ds if len(ds.dims) <= 1 else None
