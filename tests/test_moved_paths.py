"""The paper-specific code moved into fastcarbon.studies (issue 12): every old import path still
works for one release, warns with a DeprecationWarning naming the new path, and returns the very
object of the new path."""

from __future__ import annotations

import importlib
import warnings

import pytest

MOVED = [
    # (old module, name, new module)
    *[("fastcarbon.scenarios", n, "fastcarbon.studies.chongqing")
      for n in ("table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks")],
    *[("fastcarbon.scenarios.chongqing", n, "fastcarbon.studies.chongqing")
      for n in ("table1_schedules", "chongqing_inputs", "chongqing_scenarios", "chongqing_peaks", "SCENARIOS",
                "EMISSIONS_UNITS")],
    *[("fastcarbon.uncertainty", n, "fastcarbon.studies.chongqing")
      for n in ("chongqing_monte_carlo", "chongqing_problem", "chongqing_model", "chongqing_sensitivity")],
    *[("fastcarbon.uncertainty.examples", n, "fastcarbon.studies.chongqing")
      for n in ("chongqing_monte_carlo", "CHONGQING_NOISE")],
    *[("fastcarbon.uncertainty.sensitivity", n, "fastcarbon.studies.chongqing")
      for n in ("CHONGQING_RATE_GROUPS", "chongqing_problem", "chongqing_model", "chongqing_sensitivity")],
    *[("fastcarbon.report", n, "fastcarbon.output")
      for n in ("result_files", "prepare_output", "write_atomic", "write_result")],
    *[("fastcarbon.report", n, "fastcarbon.studies.bundled")
      for n in ("Job", "JOBS", "chongqing_monte_carlo_table", "national_sweep")],
    *[("fastcarbon.report", n, "fastcarbon.studies.bengbu") for n in ("bengbu_accounting", "bengbu_forecast")],
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=lambda v: v if isinstance(v, str) else None)
def test_old_path_warns_and_returns_the_same_object(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} moved to {new}\.{name}"):
        got = getattr(module, name)
    assert got is getattr(importlib.import_module(new), name)


def test_from_import_of_an_old_name_warns():
    with pytest.warns(DeprecationWarning, match="fastcarbon.studies.chongqing"):
        from fastcarbon.scenarios import chongqing_peaks  # noqa: F401


@pytest.mark.parametrize(("package", "submodule"), [("fastcarbon.uncertainty", "examples"),
                                                     ("fastcarbon.scenarios", "chongqing")])
def test_old_submodule_attribute_warns(package, submodule):
    import sys

    sys.modules.pop(f"{package}.{submodule}", None)
    pkg = importlib.import_module(package)
    pkg.__dict__.pop(submodule, None)
    with pytest.warns(DeprecationWarning, match="fastcarbon.studies.chongqing"):
        mod = getattr(pkg, submodule)
    assert mod.__name__ == f"{package}.{submodule}"


def test_unknown_names_still_raise_attribute_error():
    import fastcarbon.scenarios

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        fastcarbon.scenarios.nonexistent  # noqa: B018


def test_the_method_packages_import_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("fastcarbon.scenarios", "fastcarbon.uncertainty", "fastcarbon.uncertainty.rates",
                     "fastcarbon.studies.chongqing", "fastcarbon.studies.bengbu", "fastcarbon.studies.bundled",
                     "fastcarbon.output", "fastcarbon.cli", "fastcarbon.io", "fastcarbon.plot"):
            importlib.import_module(name)
