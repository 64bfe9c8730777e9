"""What a study run writes: netCDF, CSV, IAMC, figures (PNG) and the Markdown report, each file
atomically (:func:`fastcarbon.output.write_atomic`)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon.output import write_atomic
from fastcarbon.studies.schema import TOTAL, Study

__all__ = ["write_outputs", "summary_tables"]


def _netcdf_ready(ds: xr.Dataset) -> xr.Dataset:
    """netCDF attributes are strings or numbers, or lists of them (a result's ``summary``
    lines): anything else is written as text."""
    ds = ds.copy()
    plain = (str, int, float, np.integer, np.floating)

    def ok(v):
        if isinstance(v, (list, tuple)):
            return bool(v) and (all(isinstance(x, str) for x in v)
                                or all(isinstance(x, plain[1:]) and not isinstance(x, bool) for x in v))
        return isinstance(v, plain) and not isinstance(v, bool)

    for obj in [ds, *ds.variables.values()]:
        for k, v in list(obj.attrs.items()):
            if not ok(v):
                obj.attrs[k] = str(v)
    return ds


#: short forms of fastcarbon.grey.PEAK_LEGEND for the report's table
_PEAK_STATUS = {0: "peaked in the data", 1: "peaked in the data, forecast rising",
                2: "not peaked (forecast rising)", 3: "peaked (decline only in the forecast)", -1: "undetermined"}


def summary_tables(results: dict) -> dict:
    """The report's tables as DataFrames (also written as CSV)."""
    tables = {}
    if "accounting" in results:
        em = results["accounting"].emissions
        tables["accounting"] = em.to_pandas().round(4)
    if "forecast" in results:
        f = results["forecast"]
        from fastcarbon.grey import GRADE_LEGEND

        cols = f[["a", "C", "P", "mape", "peak_year", "peaked_by"]].to_dataframe()
        cols["grade"] = [GRADE_LEGEND.get(int(g), "not graded") for g in f.grade.values]
        cols["peak status"] = [_PEAK_STATUS.get(int(s), str(int(s))) for s in f.status.values]
        if "backtest_mape" in f:
            cols["backtest MAPE egm"] = f.backtest_mape.sel(model="egm").values
        cols[f"forecast {int(f.forecast.year[-1])}"] = f.forecast.isel(year=-1).values
        tables["forecast"] = cols.round(4)
    if "peaks" in results:
        p = results["peaks"]
        tables["peaks"] = p.to_dataframe().round(4)
    if "monte_carlo" in results:
        m = results["monte_carlo"]
        t = int(m.attrs["target_year"])
        last = int(m.year[-1])
        df = xr.Dataset({
            "peak_year_median": m.peak_year_median, "censored_share": m.censored_share,
            f"P_peak_by_{t}": m.prob_peak_by_target,
            **{f"{q}_{y}": m[q].sel(year=y, drop=True) for y in (t, last) for q in ("p5", "p50", "p95")},
        }).to_dataframe()
        tables["monte_carlo"] = df.round(4)
    if "sensitivity" in results:
        s = results["sensitivity"]
        keys = ["S1", "S1_conf", "ST", "ST_conf"] if "ST" in s else ["mu_star", "mu_star_conf", "sigma"]
        tables["sensitivity"] = s[keys].to_dataframe().round(4)
        if "ST_convergence" in s:
            conv = s[["ST_convergence", "ST_conf_convergence"]].sel(output="peak_year", drop=True)
            tables["sensitivity_convergence"] = conv.to_dataframe().round(4)
    return tables


def _iamc(study: Study, results: dict, path: Path):
    """History (accounting) and scenario emissions per region as one IAMC table."""
    import pandas as pd

    from fastcarbon.io import to_iamc

    model = study.config.get("outputs", {}).get("iamc_model", f"fastcarbon study: {study.name}")
    var = "Emissions|CO2|Energy"
    frames = [to_iamc(results["accounting"].emissions, model=model, scenario="history", variable=var)]
    if "scenarios" in results:
        sc = results["scenarios"]
        em = sc.emissions
        if "emissions_total" in sc:
            em = xr.concat([em, sc.emissions_total.expand_dims(region=[TOTAL])], "region").assign_attrs(em.attrs)
        frames.append(to_iamc(em.drop_vars([c for c in em.coords if c not in em.dims]), model=model, variable=var))
    table = pd.concat(frames, ignore_index=True)
    years = sorted(c for c in table.columns if not isinstance(c, str))
    table = table[[c for c in table.columns if isinstance(c, str)] + years]
    write_atomic(path, lambda tmp: table.to_csv(tmp, index=False))
    return path


#: forecast figures drawn at most (one per region): a national study has hundreds of regions
MAX_FORECAST_FIGURES = 6


def _figures(results: dict, folder: Path) -> tuple[list[Path], list[str]]:
    """PNG figures through :mod:`fastcarbon.plot`: the EGM forecast of each region (up to
    :data:`MAX_FORECAST_FIGURES`), the scenario trajectories, the Monte Carlo fan and peak-year
    distribution (of the total over regions, or the one region), the Sobol' indices of the peak
    year.  Each plot function is ``f(data, ..., ax=None) -> (fig, ax)``.

    Without ``fastcarbon.plot`` (or matplotlib) nothing is drawn and a note says so; a figure
    that fails is noted, not fatal: the results are written by then."""
    try:
        from fastcarbon import plot
    except ImportError as err:
        return [], [f"figures skipped: fastcarbon.plot is not available ({err})"]
    from fastcarbon.errors import FastcarbonError

    wanted = []
    if "_fit" in results:
        fit = results["_fit"]
        regions = [str(r) for r in fit.region.values]
        for r in regions[:MAX_FORECAST_FIGURES]:
            wanted.append((f"forecast_{_slug(r)}", lambda r=r: plot.forecast(
                fit, horizon=results["forecast"].attrs["horizon"], select={"region": r}, label="CO2 emissions")))
    if "scenarios" in results:
        em = results["scenarios"].emissions
        one = {"region": TOTAL} if "emissions_total" in results["scenarios"] else {"region": str(em.region.values[0])}
        draw = em if one["region"] != TOTAL else results["scenarios"].emissions_total
        wanted.append(("trajectories", lambda: plot.trajectories(
            draw, select=None if one["region"] == TOTAL else one)))
    if "monte_carlo" in results:
        mc = results["monte_carlo"]
        pick = {"region": TOTAL if TOTAL in mc.region.values else str(mc.region.values[0])}
        wanted.append(("fan", lambda: plot.fan(mc, select=pick)))
        wanted.append(("peak_years", lambda: plot.peak_years(mc, select=pick)))
    if "sensitivity" in results:
        s = results["sensitivity"]
        keys = ["S1", "S1_conf", "ST", "ST_conf"] if "ST" in s else ["mu_star", "mu_star_conf", "sigma"]
        wanted.append(("sensitivity", lambda: plot.sensitivity(s[keys], select={"output": "peak_year"})))
    files, notes = [], []
    for stem, draw_figure in wanted:
        try:
            fig, _ = draw_figure()
            files.append(_save(plot, fig, folder / f"{stem}.png"))
        except (FastcarbonError, ImportError, TypeError, ValueError, KeyError) as err:
            # a figure must not lose the results already written; the report lists the failure
            notes.append(f"figure {stem} not drawn: {type(err).__name__}: {err}")
    if len(results.get("_fit", {}).get("region", [])) > MAX_FORECAST_FIGURES:
        notes.append(f"forecast figures drawn for the first {MAX_FORECAST_FIGURES} regions only")
    return files, notes


def _save(plot, fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    try:
        if hasattr(plot, "save"):
            return plot.save(fig, path)
        return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=150))
    finally:
        plt.close(fig)


def _slug(label: str) -> str:
    """A region label as part of a file name."""
    return re.sub(r"[^\w.-]+", "_", label).strip("_") or "region"


def _markdown(df, floatfmt=".4g") -> str:
    """A DataFrame as a Markdown table (no tabulate dependency)."""
    df = df.reset_index()
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if v != v else format(float(v), floatfmt)
        return str(v)

    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def _report(study: Study, results: dict, tables: dict, files: list[Path], notes: list[str],
            custom_tables: dict | None = None) -> str:
    from fastcarbon.io import missing_report

    st = study.config.get("study", {})
    lines = [f"# {study.name}", ""]
    if st.get("description"):
        lines += [st["description"], ""]
    e = study.energy
    if e is None:
        lines += [f"Study file: `{study.path.name}`.", ""]
    else:
        lines += [f"Study file: `{study.path.name}`. Data: {e.sizes['region']} regions x {e.sizes['fuel']} fuels, "
                  f"{int(e.year[0])}-{int(e.year[-1])}, in {e.attrs.get('units')}; base year {study.base_year}, "
                  f"horizon to {study.end_year}.", ""]
        rep = missing_report(e)
        if len(rep):
            counts = rep["action"].value_counts().to_dict()
            lines += ["Missing values: " + ", ".join(f"{v} {k}" for k, v in counts.items())
                      + " (every one listed in the energy table's `missing_report` attribute).", ""]
    units = results["accounting"].emissions.attrs["units"] if "accounting" in results else ""
    titles = {
        "accounting": f"## Emissions by region ({units}, factors "
                      f"{study.config.get('accounting', {}).get('factors')})",
        "forecast": "## EGM(1,1) forecast per region (a, posterior-difference C and P, grade, peak)",
        "peaks": f"## Scenario peaks ({units})",
        "monte_carlo": f"## Monte Carlo ({results.get('monte_carlo', xr.Dataset()).attrs.get('n_draws', '')} draws, {units})",
        "sensitivity": ("## Sobol' indices (total over regions; ± bootstrap 95 % half-width)"
                        if "ST" in results.get("sensitivity", {"ST": 0})
                        else "## Morris screening (mu*: mean |elementary effect| over the whole range, total over regions)"),
        "sensitivity_convergence": "## Convergence of the peak year's ST (recomputed on the first n base points)",
    }
    if "peaks" in results:
        p = results["peaks"]
        region = TOTAL if TOTAL in p.region.values else p.region.values[0]
        sel = p.sel(region=region)
        said = []
        for s in sel.scenario.values:
            y = float(sel.peak_year.sel(scenario=s))
            said.append(f"{s} peaks in {int(y)}" if y == y else f"{s} does not peak by {study.end_year}")
        lines += [f"**Peaks ({region}):** " + "; ".join(said) + ".", ""]
    for key, df in tables.items():
        if key in ("sensitivity", "sensitivity_convergence"):  # ST (mu*) ± its interval, one column per scenario
            stem = ("ST" if "ST" in df else "mu_star") if key == "sensitivity" else "ST_convergence"
            conf = f"{stem}_conf" if key == "sensitivity" else "ST_conf_convergence"
            st_ = df[stem].round(3).astype(str) + " ± " + df[conf].round(3).astype(str)
            df = st_.unstack("scenario")
            df.columns = [f"{'ST' if stem != 'mu_star' else 'mu*'} {c}" for c in df.columns]
        lines += [titles.get(key, f"## {key}"), "", _markdown(df), ""]
    for name, table in (custom_tables or {}).items():
        ds = results[name]
        lines += [f"## {study.custom[name].title}", ""]
        lines += [f"- {line}" for line in _lines(ds.attrs.get("summary", []))] + ([""] if "summary" in ds.attrs else [])
        if table is not None:
            lines += [_markdown(table.to_dataframe()), ""]
        else:
            lines += [f"Over {show(list(ds.dims))}: in `{name}.nc`.", ""]
    figs = [f for f in files if f.suffix == ".png"]
    if figs:
        lines += ["## Figures", ""] + [f"![{f.stem}]({f.name})" for f in figs] + [""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Files", ""] + [f"- `{f.name}`" for f in files] + [""]
    return "\n".join(lines)


def _lines(summary) -> list[str]:
    """A result's ``summary`` attr as lines (a list, or one string)."""
    return [summary] if isinstance(summary, str) else [str(x) for x in summary]


def write_outputs(study: Study, results: dict, folder: Path, console=None,
                  tables: dict | None = None) -> tuple[list[Path], list[str]]:
    """Write every result in the formats of ``[outputs]``; returns the files and the notes.

    ``tables``: custom result -> its table (a Dataset over one dim, written as ``<name>.csv``),
    or None for a result over several dims without a ``table`` function (no CSV, a note)."""
    outputs = study.config.get("outputs", {})
    formats = outputs.get("formats", ["netcdf", "csv", "iamc"])
    tables = tables or {}
    files: list[Path] = []
    notes: list[str] = []
    names = [k for k in ("accounting", "forecast", "scenarios", "peaks", "monte_carlo", "sensitivity") if k in results]
    custom = [k for k in study.custom if k in results]
    if "netcdf" in formats:
        for k in names + custom:
            ds = _netcdf_ready(results[k])
            files.append(write_atomic(folder / f"{k}.nc", lambda tmp, ds=ds: ds.to_netcdf(tmp, engine="h5netcdf")))
    summaries = summary_tables(results)
    if "csv" in formats:
        for k, df in summaries.items():
            files.append(write_atomic(folder / f"{k}.csv", lambda tmp, df=df: df.to_csv(tmp)))
        for k in custom:
            if tables.get(k) is None:
                notes.append(f"no {k}.csv: the result is over several dims {show(list(results[k].dims))}; give "
                             f"custom.{k}.table, a function returning a table over one dim")
                continue
            df = tables[k].to_dataframe()
            files.append(write_atomic(folder / f"{k}.csv", lambda tmp, df=df: df.to_csv(tmp)))
    if "iamc" in formats and "accounting" in results:
        files.append(_iamc(study, results, folder / "iamc.csv"))
    if outputs.get("figures", True):
        figs, fig_notes = _figures(results, folder)
        files += figs
        notes += fig_notes
    if outputs.get("report", True):
        path = folder / "report.md"
        text = _report(study, results, summaries, files + [path], notes, tables)
        files.append(write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8")))
    if console is not None:
        for n in notes:
            console.print(f"note: {n}", markup=False)
    return files, notes
