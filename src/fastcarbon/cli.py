"""Command line: ``fastcarbon run [STUDY]`` (a study file, or the reproductions on bundled data),
``fastcarbon init [FOLDER]`` (an example study), ``fastcarbon factors``.

Only typer is imported at module level; rich, xarray and the accounting code load inside the
commands, so ``fastcarbon --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="fastcarbon: carbon accounting, peaks and uncertainty.",
)


def _version(value: bool) -> None:
    if value:
        from fastcarbon import __version__

        typer.echo(f"fastcarbon {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """fastcarbon command line."""


#: the bundled jobs, named in ``fastcarbon run --help`` without importing them (--help stays
#: fast); tests/test_cli_and_docs.py checks the list against fastcarbon.report.JOBS
BUNDLED_JOBS = ("bengbu_accounting", "bengbu_forecast", "chongqing_peaks", "chongqing_monte_carlo", "national_sweep")

_RUN_HELP = "\n\n".join([
    "Run a study file, or the reproductions on the bundled data.",
    "fastcarbon run STUDY: run a study file (fastcarbon init FOLDER writes an example): accounting, EGM forecast, "
    "scenarios and peaks, Monte Carlo, sensitivity, as the file asks; netCDF, CSV, an IAMC table, figures and "
    "report.md go into the folder its outputs table names (or OUTPUT).",
    "fastcarbon run: run the bundled jobs, print each result as a table and write it to OUTPUT as <job>.nc "
    "(netCDF, h5netcdf) and <job>.csv. Jobs: " + ", ".join(BUNDLED_JOBS) + ".",
    "Exit code 2: a bad study file or an unusable OUTPUT (checked before anything runs). Exit code 1: a job "
    "failed. Either prints one line on stderr. Files are written to a temporary, then renamed: never left "
    "half-written.",
])


@app.command(help=_RUN_HELP)
def run(
    study: Optional[Path] = typer.Argument(  # noqa: UP007
        None, metavar="STUDY", help="A study file (study.toml) to run instead of the bundled jobs.",
        show_default=False,
    ),
    output: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--output", "-o", show_default=False,
        help="Folder for the results (default: fastcarbon-output; for a STUDY, the folder its outputs table names).",
    ),
    job: Optional[list[str]] = typer.Option(  # noqa: UP007 (typer needs Optional on 3.11)
        None, "--job", "-j", help="Run only this bundled job (repeatable); default: all jobs."
    ),
    traceback: bool = typer.Option(
        False, "--traceback", help="On an error, show the full Python traceback (for bug reports)."
    ),
) -> None:
    """``fastcarbon run [STUDY]``: a study file, or the bundled jobs (help text: ``_RUN_HELP``)."""
    from rich.console import Console

    from fastcarbon.errors import FastcarbonError
    from fastcarbon.report import JOBS, prepare_output, write_result

    def fail(message: str, code: int) -> typer.Exit:
        # One plain line, not rich: rich wraps at the console width (80 off a terminal).
        typer.echo("fastcarbon run: " + " ".join(line.strip() for line in message.splitlines()), err=True)
        return typer.Exit(code=code)

    if study is not None:
        if job:
            raise typer.BadParameter("a study runs as a whole; --job selects bundled jobs (run without STUDY)",
                                     param_hint="--job")
        _run_study(study, output, traceback, fail)
        return
    output = Path("fastcarbon-output") if output is None else output

    names = [j.name for j in JOBS]
    unknown = [n for n in job or [] if n not in names]
    if unknown:
        raise typer.BadParameter(f"unknown job(s) {unknown}; jobs: {names}", param_hint="--job")
    selected = [j for j in JOBS if not job or j.name in job]

    # Every target is checked before the first job computes: a bad folder costs seconds, not
    # the minutes of a full run that would then fail at its first write.
    try:
        prepare_output(output, [j.name for j in selected], option="--output")
    except FastcarbonError as exc:
        if traceback:
            raise
        raise fail(str(exc), 2) from None

    console = Console()
    # Progress goes to stderr, so stdout carries only the results: a spinner while a job runs
    # (on a terminal) and one line when it is done.  The first run of a job also compiles its
    # kernels, which takes most of the time; later runs load them from numba's cache.
    progress = Console(stderr=True, highlight=False)
    for k, item in enumerate(selected, 1):
        step = f"[{k}/{len(selected)}] {item.name}"
        started = time.perf_counter()
        try:
            with progress.status(f"{step}: {item.title}...", spinner="dots"):
                ds = item.run(output) if item.store else item.run()
            progress.print(f"{step} done in {time.perf_counter() - started:.1f} s", markup=False)
            shown = item.table(ds) if item.table else ds
            console.print(_table(shown, item.title))
            for line in ds.attrs.get("summary", []):  # a job's headline figures, one per line
                console.print(line, markup=False, highlight=False)
            nc, csv = write_result(output, item.name, ds, shown)
        except FastcarbonError as exc:
            if traceback:
                raise
            raise fail(f"error in job {item.name}: {exc}", 1) from None
        console.print(f"wrote {nc} and {csv}", markup=False, highlight=False)


def _run_study(path: Path, output: Optional[Path], traceback: bool, fail) -> None:  # noqa: UP007
    """``fastcarbon run STUDY``: validate the whole file first (exit 2), then run it (exit 1 on
    an error while computing)."""
    from fastcarbon.errors import FastcarbonError, OutputPathError
    from fastcarbon.studies import load_study, run_study

    try:
        study = load_study(path)
    except FastcarbonError as exc:
        if traceback:
            raise
        raise fail(str(exc), 2) from None
    try:
        result = run_study(study, output=output, progress=True)
    except OutputPathError as exc:
        if traceback:
            raise
        raise fail(str(exc), 2) from None
    except FastcarbonError as exc:
        if traceback:
            raise
        raise fail(f"error in study {path}: {exc}", 1) from None
    report = [f for f in result["files"] if f.name == "report.md"]
    typer.echo(f"wrote {len(result['files'])} files into {result['files'][0].parent}"
               + (f"; report: {report[0]}" if report else ""))


@app.command()
def init(
    folder: Path = typer.Argument(Path("my-study"), help="Folder for the example study (created)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the example's files if they exist."),
) -> None:
    """Write an example study (study.toml, city_energy.csv) into FOLDER; run: fastcarbon run FOLDER/study.toml."""
    from fastcarbon.errors import FastcarbonError
    from fastcarbon.studies import write_example

    try:
        write_example(folder, overwrite=force)
    except FastcarbonError as exc:
        typer.echo(f"fastcarbon init: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"wrote {folder / 'study.toml'} and {folder / 'city_energy.csv'}; "
               f"run it with: fastcarbon run {folder / 'study.toml'}")


def _table(ds, title: str):
    """A rich table of a Dataset over one dim, each variable labelled with its units: one row
    per label of the dim, or, when there are more variables than labels (a few scenarios, many
    results), one row per variable so the table stays readable in 80 columns.  Cells are Text,
    not markup, so unit strings such as "[t C]" print literally."""
    from rich.table import Table
    from rich.text import Text

    frame = ds.to_dataframe()
    dim = str(frame.index.name or "index")

    def label(col):
        if ds[col].dtype == bool:  # a yes/no flag: its "1" units would read as percent
            return col
        units = ds[col].attrs.get("units", "")
        return f"{col} (%)" if units == "1" else f"{col} ({units})" if units else col

    table = Table(title=Text(title))
    if len(frame.columns) > len(frame.index):
        table.add_column(Text(dim))
        for idx in frame.index:
            table.add_column(Text(str(idx)), justify="right")
        for col in frame.columns:
            units = ds[col].attrs.get("units")
            table.add_row(Text(label(col)), *(Text(_fmt(v, units)) for v in frame[col]))
        return table
    table.add_column(Text(dim))
    for col in frame.columns:
        table.add_column(Text(label(col)), justify="right")
    for idx, row in frame.iterrows():
        table.add_row(Text(str(idx)), *(Text(_fmt(v, ds[c].attrs.get("units"))) for c, v in row.items()))
    return table


def _fmt(value, units) -> str:
    import numpy as np  # already loaded by the job; imported here to keep --help fast

    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if value != value:  # NaN: no value for this row (e.g. no observation, a peak not reached)
        return ""
    if units == "year":  # years and year counts, whole
        return f"{value:.0f}"
    if units == "1":  # ratios print as percent
        return f"{100 * value:+.2f}"
    return f"{value:,.1f}"


@app.command()
def factors() -> None:
    """List the bundled factor sets with their variables, fuels and sources."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from fastcarbon import factors as factor_sets

    table = Table(title="bundled factor sets (fastcarbon.factors.load(name))", show_lines=True)
    for col in ("name", "variables", "fuels", "source"):
        table.add_column(col, overflow="fold")  # fold, not "…": a cut DOI is useless
    for name in factor_sets.available():
        ds = factor_sets.load(name)
        cells = (name, ", ".join(map(str, ds.data_vars)), ", ".join(map(str, ds.fuel.values)),
                 f"{ds.attrs['source']} (version {ds.attrs['version']})")
        table.add_row(*(Text(c) for c in cells))
    Console().print(table)


def main() -> None:
    """Console-script entry point (``fastcarbon = fastcarbon.cli:main``)."""
    app()
