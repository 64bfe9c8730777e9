"""The command line and the docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest
import xarray as xr
from typer.testing import CliRunner

from fastcarbon.cli import app


def test_run_writes_netcdf_and_csv(tmp_path):
    result = CliRunner().invoke(app, ["run", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Bengbu" in result.output and "2020" in result.output
    ds = xr.open_dataset(tmp_path / "out" / "bengbu_accounting.nc", engine="h5netcdf")
    assert ds.sizes["year"] == 10 and ds.gap.attrs["units"] == "1"
    assert (tmp_path / "out" / "bengbu_accounting.csv").read_text().startswith("year,")


def test_factors_and_version():
    runner = CliRunner()
    out = runner.invoke(app, ["factors"])
    assert out.exit_code == 0 and "hj2021" in out.output
    assert runner.invoke(app, ["--version"]).output.startswith("fastcarbon ")


@pytest.mark.parametrize(
    "module",
    ["fastcarbon.accounting.tensor", "fastcarbon.accounting.compare", "fastcarbon.accounting.fuel",
     "fastcarbon.factors", "fastcarbon.datasets", "fastcarbon.report"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_code_runs(path):
    import json

    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), namespace)


def test_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Example", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(block, namespace)
    assert namespace["out"].emissions.attrs["units"] == "t CO2"
