"""The docstring examples and the README example (the CLI is in test_cli.py, the notebooks in test_notebooks.py)."""

from __future__ import annotations

import doctest
import importlib

import pytest


def _modules_with_examples() -> list[str]:
    """Every module of the package whose source holds a ``>>>`` example, found by walking the
    package (without importing it), so a new module's examples run without editing this list."""
    import importlib.util
    import pkgutil
    from pathlib import Path

    root = Path(importlib.util.find_spec("fastcarbon").origin).parent
    found = []
    for info in pkgutil.walk_packages([str(root)], "fastcarbon."):
        rel = Path(*info.name.split(".")[1:])
        path = root / rel / "__init__.py" if info.ispkg else root / rel.with_suffix(".py")
        if ">>> " in path.read_text(encoding="utf-8"):
            found.append(info.name)
    return sorted(found)


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Example", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(block, namespace)
    assert namespace["out"].emissions.attrs["units"] == "t CO2"
