"""Command line: ``fastcarbon run [STUDY]`` (a study file, or the bundled studies of
``fastcarbon/studies/``),
``fastcarbon init [FOLDER]`` (an example study), ``fastcarbon factors``.

Only typer is imported at module level; rich, xarray and the accounting code load inside the
commands, so ``fastcarbon --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

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


#: the bundled studies, named here without importing fastcarbon.studies (--help stays fast);
#: tests/test_studies.py checks the list against fastcarbon.studies.bundled.STUDIES
BUNDLED_STUDIES = ("bengbu", "chongqing", "national")


def _bundled() -> list[tuple[str, str, list[str]]]:
    """The bundled studies' names, descriptions and results, from their files' TOML alone (no
    data read, no code imported: --help stays fast)."""
    import tomllib

    out = []
    for name in BUNDLED_STUDIES:
        with open(Path(__file__).parent / "studies" / name / "study.toml", "rb") as fh:
            raw = tomllib.load(fh)
        out.append((name, raw.get("study", {}).get("description", ""), list(raw.get("custom", {}))))
    return out


_RUN_HELP = "\n\n".join([
    "Run a study file, or the bundled studies: Bengbu (000), Chongqing (001) and the national sweep of the "
    "synthetic panel.",
    "fastcarbon run STUDY: run a study file (fastcarbon init FOLDER writes an example): accounting, EGM forecast, "
    "scenarios and peaks, Monte Carlo, sensitivity and its custom results, as the file asks; netCDF, CSV, an IAMC "
    "table, figures and report.md go into the folder its outputs table names (or OUTPUT).",
    "fastcarbon run: run the bundled studies (study files in fastcarbon/studies/<name>/; fastcarbon init --from "
    "NAME FOLDER copies one), print each result as a table and write it to OUTPUT as <result>.nc (netCDF, "
    "h5netcdf) and <result>.csv. --job takes a study's name or one of its results:",
    *[f"{name}: {description} (results: {', '.join(results)})" for name, description, results in _bundled()],
    "Exit code 2: a bad study file or an unusable OUTPUT (checked before anything runs). Exit code 1: a step "
    "failed. Either prints one line on stderr. Files are written to a temporary, then renamed: never left "
    "half-written.",
])


@app.command(help=_RUN_HELP)
def run(
    study: Optional[Path] = typer.Argument(  # noqa: UP007
        None, metavar="STUDY", help="A study file (study.toml) to run instead of the bundled studies.",
        show_default=False,
    ),
    output: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--output", "-o", show_default=False,
        help="Folder for the results (default: fastcarbon-output; for a STUDY, the folder its outputs table names).",
    ),
    job: Optional[list[str]] = typer.Option(  # noqa: UP007 (typer needs Optional on 3.11)
        None, "--job", "-j",
        help="Run only this bundled study or result (repeatable); default: every bundled study.",
    ),
    traceback: bool = typer.Option(
        False, "--traceback", help="On an error, show the full Python traceback (for bug reports)."
    ),
) -> None:
    """``fastcarbon run [STUDY]``: a study file, or the bundled studies (help text: ``_RUN_HELP``)."""
    from rich.console import Console

    from fastcarbon.errors import FastcarbonError
    from fastcarbon.output import prepare_output
    from fastcarbon.studies import bundled, load_study
    from fastcarbon.studies.run import result_names, steps

    def fail(message: str, code: int) -> typer.Exit:
        # One plain line, not rich: rich wraps at the console width (80 off a terminal).
        typer.echo("fastcarbon run: " + " ".join(line.strip() for line in message.splitlines()), err=True)
        return typer.Exit(code=code)

    def guard(exc: FastcarbonError, code: int, prefix: str = "") -> typer.Exit:
        if traceback:
            raise exc
        return fail(prefix + str(exc), code)

    if study is not None:
        if job:
            raise typer.BadParameter("a study runs as a whole; --job selects bundled studies or their results "
                                     "(run without STUDY)", param_hint="--job")
        try:
            loaded = load_study(study)
        except FastcarbonError as exc:
            raise guard(exc, 2) from None
        plan = [(loaded, None, str(study))]
        out = loaded.output_folder if output is None else output
    else:
        out = Path("fastcarbon-output") if output is None else output
        try:
            loaded = {name: load_study(path) for name, path in bundled.STUDIES.items()}
        except FastcarbonError as exc:  # a broken installation, not the user's doing
            raise guard(exc, 1, "a bundled study: ") from None
        known = {name: list(s.custom) + [n for n in steps(s) if n not in s.custom] for name, s in loaded.items()}
        every = [n for name, names in known.items() for n in (name, *names)]
        unknown = [n for n in job or [] if n not in every]
        if unknown:
            raise typer.BadParameter(f"unknown job(s) {unknown}; bundled studies and their results: "
                                     + "; ".join(f"{k}: {', '.join(v)}" for k, v in known.items()),
                                     param_hint="--job")
        plan = []
        for name, s in loaded.items():
            if not job or name in job:
                plan.append((s, None, name))
            elif wanted := [n for n in job if n in known[name]]:
                plan.append((s, wanted, name))

    # Every target is checked before the first step computes: a bad folder costs seconds, not
    # the minutes of a full run that would then fail at its first write.
    try:
        prepare_output(out, [n for s, only, _ in plan for n in result_names(s, steps(s, only))], option="--output")
    except FastcarbonError as exc:
        raise guard(exc, 2) from None

    console = Console()
    progress = Console(stderr=True, highlight=False)
    for s, only, label in plan:
        if study is None and len(plan) > 1:
            progress.print(f"study {label}: {s.description}", markup=False)
        result = _run_one(s, out, only, label, guard)
        _print_results(console, s, result)
    if study is not None:
        files = result["files"]
        report = [f for f in files if f.name == "report.md"]
        typer.echo(f"wrote {len(files)} files into {out}" + (f"; report: {report[0]}" if report else ""))


def _run_one(study, out: Path, only, label: str, guard) -> dict:
    """Run one study through :func:`fastcarbon.studies.run_study` (progress on stderr: a spinner
    on a terminal and one line when a step is done; the first run of a step also compiles its
    kernels, later runs load them from numba's cache)."""
    from fastcarbon.errors import FastcarbonError
    from fastcarbon.studies import run_study

    try:
        return run_study(study, output=out, progress=True, only=only)
    except FastcarbonError as exc:
        step = getattr(exc, "study_step", None)
        raise guard(exc, 1, f"error in study {label}" + (f" ({step})" if step else "") + ": ") from None


def _print_results(console, study, result: dict) -> None:
    """Each [custom] result of a run on stdout: its table, its ``summary`` lines, its files."""
    for name, hook in study.custom.items():
        if name not in result:
            continue
        table = result["tables"].get(name)
        if table is not None:
            console.print(_table(table, hook.title))
        else:
            console.print(hook.title, markup=False, highlight=False)
        summary = result[name].attrs.get("summary", [])
        for line in [summary] if isinstance(summary, str) else summary:  # headline figures, one per line
            console.print(str(line), markup=False, highlight=False)
        mine = [str(f) for f in result["files"] if f.stem == name]
        if mine:
            console.print("wrote " + " and ".join(mine), markup=False, highlight=False)


@app.command()
def init(
    folder: Path = typer.Argument(Path("my-study"), help="Folder for the example study (created)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the example's files if they exist."),
    source: Optional[str] = typer.Option(  # noqa: UP007
        None, "--from", metavar="STUDY", show_default=False,
        help="Copy this bundled study (" + ", ".join(BUNDLED_STUDIES) + ") instead of the example.",
    ),
) -> None:
    """Write an example study (study.toml, city_energy.csv) into FOLDER; run: fastcarbon run FOLDER/study.toml."""
    from fastcarbon.errors import FastcarbonError
    from fastcarbon.studies import write_example

    try:
        write_example(folder, overwrite=force, source=source)
    except FastcarbonError as exc:
        typer.echo(f"fastcarbon init: {exc}", err=True)
        raise typer.Exit(code=2) from None
    what = f"{folder / 'study.toml'} and {folder / 'city_energy.csv'}" if source is None else \
        f"the bundled study {source} into {folder}"
    typer.echo(f"wrote {what}; run it with: fastcarbon run {folder / 'study.toml'}")


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
        return col if units == "1" else f"{col} ({units})" if units else col  # ratios: "%" in the cells

    table = Table(title=Text(title))
    if len(frame.columns) > len(frame.index):
        table.add_column(Text(dim))
        for idx in frame.index:
            table.add_column(Text(str(idx)), justify="right")
        for col in frame.columns:
            units = ds[col].attrs.get("units")
            style = _style(frame[col].to_numpy(), units)
            table.add_row(Text(label(col)), *(Text(_fmt(v, units, style)) for v in frame[col]))
        return table
    table.add_column(Text(dim))
    for col in frame.columns:
        table.add_column(Text(label(col)), justify="right")
    styles = {c: _style(frame[c].to_numpy(), ds[c].attrs.get("units")) for c in frame.columns}
    for idx, row in frame.iterrows():
        table.add_row(Text(str(idx)), *(Text(_fmt(v, ds[c].attrs.get("units"), styles[c])) for c, v in row.items()))
    return table


def _style(values, units) -> str:
    """How a column prints, decided over the whole column so its cells line up: "year" (units
    year: 2035), "whole" (every value an integer: counts such as 8,717, not 8,717.0),
    "pct1"/"pct2" (ratios as percent: 38.0 %, 0.60 %), or "num" (one decimal)."""
    import numpy as np

    raw = np.asarray(values)
    if raw.dtype.kind not in "iuf":  # flags, labels: printed as they are
        return "num"
    v = raw.astype(float)
    v = v[np.isfinite(v)]
    if units == "1":
        return "pct1" if v.size and float(np.abs(100 * v).max()) >= 10 else "pct2"
    if units == "year":  # years and year counts: 2035, not 2,035
        return "year"
    if v.size and bool((v == np.round(v)).all()):
        return "whole"
    return "num"


def _fmt(value, units, style: str | None = None) -> str:
    import numpy as np  # already loaded by the job; imported here to keep --help fast

    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if value != value:  # NaN: no value for this row (e.g. no observation, a peak not reached)
        return ""
    style = style or _style([value], units)
    if style == "pct1":
        return f"{100 * float(value):.1f} %"
    if style == "pct2":
        return f"{100 * float(value):.2f} %"
    if style == "year":
        return f"{float(value):.0f}"
    if style == "whole":
        return f"{float(value):,.0f}"
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
