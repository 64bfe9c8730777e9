"""Command line: ``fastcarbon run`` (the main job on bundled data), ``fastcarbon factors``."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(add_completion=False, help="fastcarbon: carbon accounting, peaks and uncertainty.")


def _version(value: bool):
    if value:
        from fastcarbon import __version__

        typer.echo(f"fastcarbon {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    """fastcarbon command line."""


@app.command()
def run(
    output: Path = typer.Option(Path("fastcarbon-output"), "--output", "-o", help="Folder for netCDF and CSV results."),
):
    """Run the main job on the bundled data: print each result and write it as netCDF and CSV."""
    from rich.console import Console
    from rich.table import Table

    from fastcarbon.report import JOBS

    console = Console()
    output.mkdir(parents=True, exist_ok=True)
    for stem, title, job in JOBS:
        ds = job()
        table = Table(title=title)
        frame = ds.to_dataframe()
        table.add_column(frame.index.name or "index")
        for col in frame.columns:
            table.add_column(f"{col} [{ds[col].attrs.get('units', '')}]", justify="right")
        for idx, row in frame.iterrows():
            table.add_row(str(idx), *(_fmt(col, v, ds) for col, v in row.items()))
        console.print(table)
        nc, csv = output / f"{stem}.nc", output / f"{stem}.csv"
        ds.to_netcdf(nc, engine="h5netcdf")
        frame.to_csv(csv)
        console.print(f"wrote {nc} and {csv}")


def _fmt(col, value, ds) -> str:
    if ds[col].attrs.get("units") == "1":
        return f"{100 * value:.2f} %"
    return f"{value:,.1f}"


@app.command()
def factors():
    """List the bundled factor sets with their sources."""
    from rich.console import Console
    from rich.table import Table

    from fastcarbon import factors as factor_sets

    table = Table(title="bundled factor sets")
    for col in ("name", "variables", "fuels", "source"):
        table.add_column(col)
    for name in factor_sets.available():
        ds = factor_sets.load(name)
        table.add_row(name, ", ".join(ds.data_vars), ", ".join(map(str, ds.fuel.values)), ds.attrs["source"])
    Console().print(table)


def main():
    app()
