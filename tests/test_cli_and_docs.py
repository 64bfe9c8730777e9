"""The docstring examples, the notebooks and the README example (the CLI is in test_cli.py)."""

from __future__ import annotations

import doctest
import importlib

import pytest


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
