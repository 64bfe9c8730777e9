"""Studies: a TOML study file names the data, the factors, the scenarios, the methods and the
outputs; ``fastcarbon run study.toml`` (or :func:`run_study`) does the rest, with no Python.

- :func:`load_study` — read and validate the whole file and its data; a bad file raises
  :class:`~fastcarbon.errors.StudyFileError` naming the dotted key (``scenarios.LOW.parent``),
  what was found and what is allowed, before anything computes.
- :func:`run_study` — fuel accounting, EGM(1,1) forecast, scenario trajectories and peaks,
  Monte Carlo, Sobol' indices of the study's own scenarios; netCDF, CSV, IAMC, figures and a
  Markdown report in the output folder.
- :func:`write_example` — the example study of ``fastcarbon init``.

The study file
--------------
Tables and keys (every key optional unless marked *required*; paths relative to the file)::

    [study]        name, description, seed (int, default 0), base_year (default: the data's last
                   year), end_year (default max(base_year + 30, 2060)), gdp (base-year activity,
                   default 1.0: an index), gdp_units (default "1"), emissions_units ("Mt CO2")
    [data.NAME]    one table per data source, read with fastcarbon.io.read_table:
                   path (required), value, dims, unit (a column or a units string), to,
                   rename ({ City = "region" }), missing ("raise" | "drop" | "interpolate"),
                   aliases (true | false | { "my name" = "canonical_fuel" }), wide, sheet
    [accounting]   factors (required: a bundled set, `fastcarbon factors`), energy (the data
                   table of fuel use, default "energy"; dims region x fuel x year), groups
                   (true: the set's shipped fuel groups; or { detailed = "factor fuel" })
    [forecast]     EGM(1,1) per region: horizon (years after the data, 10), by (peak-by year,
                   2030), backtest (leads of a rolling-origin backtest, 1; 0: none), enabled
    [scenarios.NAME]  one table per scenario: description, parent (inherit what this one does
                   not define), gdp_growth (% per year: a number, or { 2020 = 6.0, 2060 = 2.0 },
                   linear between key years), intensity_rates (annual carbon-intensity reduction
                   in % per period, 001 Table 1 style: { 2021-2025 = 4.25, 2026-2060 = 5.0 };
                   periods contiguous from base_year + 1 to end_year).  A child's periods that
                   carry its parent's labels override those periods only; other labels replace
                   the schedule.  Emissions = GDP x carbon intensity, per region, from the
                   base-year accounting.
    [monte_carlo]  draws (1000), target_year (2030), intensity, gdp and factor noise:
                   { distribution = "lognormal" | "normal" | "uniform" | "triangular", spread,
                   on = "rate" | "level", ar1 } (fastcarbon.uncertainty.Noise; intensity default
                   lognormal 0.1 on the rates, gdp and factor none; factor: a multiplier of mean 1
                   on the emission factors, on the level, ar1 = 1 unless given), enabled
    [sensitivity]  Sobol' indices (or Morris screening) of the scenarios' peak year, emissions
                   and cumulative emissions (total over regions): method ("sobol" | "morris"),
                   base_points (Sobol', a power of 2, 128), trajectories and levels (Morris, 20, 4),
                   spread (0.2: multipliers on [0.8, 1.2]), rate_groups ({ NAME = "YYYY-YYYY" },
                   contiguous over the horizon; default one group), ranges ({ NAME = [lo, hi] }),
                   gdp_growth (true: a growth multiplier), resamples (bootstrap, 100), convergence
                   (true: the indices again on the first n/4 and n/2 base points), enabled
    [outputs]      folder ("results"), formats (["netcdf", "csv", "iamc"]), figures (true),
                   report (true), iamc_model
    [custom.NAME]  a result computed by the study's own code (a paper's comparison, a model of
                   one's own): code (required: "package.module:function", or "file.py:function"
                   with the file relative to the study file), args (a table of keyword
                   arguments), title (one line; default the function's first docstring line),
                   table ("module:function" turning the result into a Dataset over one dim).
                   The function is called with args, plus study= (the loaded Study: its tables,
                   its config) and output= (the output folder) when it names such parameters,
                   and returns an xarray.Dataset, written as NAME.nc, its table (or itself,
                   when over one dim) as NAME.csv and a section of the report with its
                   ``summary`` attr lines; ``fastcarbon run`` prints the table and the lines.
                   load_study imports the code and checks the function and its args.
    [study] files  other files the study's code reads (checked to exist)

A study needs ``[data]`` and ``[accounting]``, or at least one ``[custom]`` table.  The bundled
studies (``fastcarbon run`` with no argument; :mod:`fastcarbon.studies.bundled`) are such files:
``fastcarbon/studies/bengbu/study.toml``, ``chongqing/study.toml`` and ``national/study.toml``,
each next to its paper tables and code; ``fastcarbon init --from chongqing my-study`` copies one.
``load_study(path, overrides={"custom.chongqing_monte_carlo.args.n_draws": 200})`` (or
``run_study(..., overrides=)``) changes keys for one run without editing the file.

A 20-line study of one's own CSV (``fastcarbon run study.toml``)::

    [study]
    name = "My cities"
    end_year = 2060
    [data.energy]
    path = "energy.csv"
    rename = { City = "region" }
    missing = "interpolate"
    [accounting]
    factors = "hj2021"
    groups = true
    [forecast]
    [scenarios.BAU]
    gdp_growth = { 2020 = 6.0, 2060 = 2.0 }
    intensity_rates = { 2021-2060 = 3.5 }
    [scenarios.FAST]
    parent = "BAU"
    intensity_rates = { 2021-2030 = 5.0, 2031-2060 = 9.0 }
    [monte_carlo]
    draws = 500
    [sensitivity]

What a run writes into the output folder: ``<result>.nc`` for accounting, forecast, scenarios,
peaks, monte_carlo, sensitivity; ``<result>.csv`` with their summary tables; ``iamc.csv``
(history and scenario emissions per region, ``Emissions|CO2|Energy``); PNG figures when
:mod:`fastcarbon.plot` is installed; ``report.md`` with the tables.  Scenario, peak and Monte
Carlo results carry the sum over regions as region ``"total"``.

Examples
--------
>>> import tempfile, pathlib
>>> from fastcarbon.studies import load_study, write_example
>>> study = load_study(write_example(pathlib.Path(tempfile.mkdtemp()) / "my-study") / "study.toml")
>>> study.scenarios["FAST"]["intensity_rates"]["2031-2040"], study.scenarios["FAST"]["intensity_rates"]["2026-2030"]
(9.0, 5.0)
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from fastcarbon.studies.run import RESULTS, run_study, scenario_set
from fastcarbon.studies.schema import SCHEMA, TOTAL, Hook, Study, load_study

__all__ = ["load_study", "run_study", "Study", "Hook", "SCHEMA", "RESULTS", "TOTAL", "write_example", "scenario_set",
           "EXAMPLE_FILES"]

#: the files of the example study (``fastcarbon init``)
EXAMPLE_FILES = ("study.toml", "city_energy.csv")


def write_example(folder, *, overwrite: bool = False, source: str | None = None) -> Path:
    """Write the example study (``study.toml`` and ``city_energy.csv``: four cities' energy use
    by fuel, 2011–2020, with messy names, a city in tce, gaps and a short series) into
    ``folder`` (created); ``fastcarbon run folder/study.toml`` runs it as it is.

    ``source``: the name of a bundled study (:data:`fastcarbon.studies.bundled.STUDIES`) to copy
    instead: its ``study.toml`` and the files its ``[study] files`` lists.  Its ``[custom]``
    code stays in the installed package (a ``module:function`` the copy still names); point
    ``code`` at a ``file.py:function`` next to the copy to change it.

    Returns ``folder``.

    Raises
    ------
    OutputPathError
        A file of the example exists already (and not ``overwrite``), or the folder cannot be
        written.
    InputError
        ``source`` is not a bundled study.
    """
    import tomllib

    from fastcarbon._format import show
    from fastcarbon.errors import InputError, OutputPathError
    from fastcarbon.output import write_atomic

    if source is None:
        origin = resources.files("fastcarbon.studies").joinpath("example")
        names = list(EXAMPLE_FILES[1:]) + [EXAMPLE_FILES[0]]
    else:
        from fastcarbon.studies.bundled import STUDIES

        if source not in STUDIES:
            raise InputError(f"source: {show(source)} is not a bundled study; bundled: {show(list(STUDIES))}")
        origin = resources.files("fastcarbon.studies").joinpath(source)
        with origin.joinpath("study.toml").open("rb") as fh:
            names = [*tomllib.load(fh).get("study", {}).get("files", []), "study.toml"]
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"folder '{folder}' is a file; name a folder (it is created if missing)")
    taken = [name for name in names if (folder / name).exists()]
    if taken and not overwrite:
        raise OutputPathError(f"folder '{folder}' already has {taken}; choose another folder or overwrite "
                              f"(fastcarbon init --force)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"cannot create the folder '{folder}' ({err.strerror})") from None
    for name in names:
        with resources.as_file(origin.joinpath(name)) as src:
            write_atomic(folder / name, lambda tmp, src=src: shutil.copyfile(src, tmp))
    return folder
