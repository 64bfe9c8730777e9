"""What importing fastcarbon loads: the unit registry, pint, dask, the kernels' dispatchers and
``__version__`` only when they are used (issue 13; the times are in benchmarks/import_time.py).

Each check runs in a fresh interpreter, since this test process has imported everything."""

from __future__ import annotations

import pytest

import fastcarbon
from fastcarbon import core, kernels

from subprocess_env import run_json


_run = run_json  # a new interpreter's JSON answer (tests/subprocess_env.py)


SMALL_CALLS = """
    import numpy as np, xarray as xr
    from fastcarbon.accounting import bottom_up
    from fastcarbon.grey import fit_egm
    from fastcarbon.uncertainty import monte_carlo
    P = xr.DataArray(np.ones((1, 1, 1)), dims=("sector", "process", "equipment"), attrs={"units": "t"})
    E = xr.DataArray(np.ones((1, 1, 1, 2)), dims=("sector", "process", "equipment", "fuel"),
                     coords={"fuel": ["coal", "gas"]}, attrs={"units": "tce/t"})
    F = xr.DataArray([2.6, 1.6], dims="fuel", coords={"fuel": ["coal", "gas"]}, attrs={"units": "t CO2/tce"})
    bottom_up(P, E, F)
    years = np.arange(2015, 2023)
    x = xr.DataArray(100 * 1.05 ** np.arange(8.0), dims="year", coords={"year": years})
    fit_egm(x)
    ds = xr.Dataset({"gdp": x.assign_attrs(units="1e8 CNY"),
                     "carbon_intensity": (0.97 ** (x / x)).assign_attrs(units="t CO2 / (1e4 CNY)")})
    monte_carlo(ds, 5, seed=1)
"""


def test_import_loads_neither_pint_nor_dask_nor_matplotlib():
    out = _run("""
        import sys, json
        import fastcarbon.accounting, fastcarbon.grey, fastcarbon.scenarios, fastcarbon.uncertainty
        print(json.dumps([m for m in ("pint", "dask", "matplotlib", "numba.np.arrayobj") if m in sys.modules]))
    """)
    assert out == []


def test_parsing_units_does_not_import_dask():
    # pint alone would import dask.base (pint.compat); no DataArray here, since xarray imports
    # dask.array itself when it builds its first Variable (array_type("dask") in as_compatible_data)
    out = _run("""
        import sys, json
        from fastcarbon.units import conversion_factor
        k = conversion_factor("10**4 tce", "GJ")
        print(json.dumps({"pint": "pint" in sys.modules, "dask": "dask" in sys.modules}))
    """)
    assert out == {"pint": True, "dask": False}


def test_labelled_calls_run_without_dask():
    # dask made unimportable, as if not installed: the calls that do not ask for dask must not need it
    out = _run("""
        import sys
        sys.modules["dask"] = None
        """, SMALL_CALLS, """
        import json
        print(json.dumps([m for m in ("dask.array", "matplotlib") if m in sys.modules]))
    """)
    assert out == []


def test_importing_one_package_creates_only_its_own_kernels():
    out = _run("""
        import sys, json
        import fastcarbon.grey
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("fastcarbon.kernels."))))
    """)
    assert out == ["fastcarbon.kernels._blas", "fastcarbon.kernels._jit", "fastcarbon.kernels._load",
                   "fastcarbon.kernels.grey"]


def test_registry_is_built_on_first_use_once_and_works():
    out = _run("""
        import sys, json, threading
        import fastcarbon.units as u
        before = "pint" in sys.modules
        # threads asking at once get one registry (two registries' quantities do not combine)
        seen = []
        threads = [threading.Thread(target=lambda: seen.append(id(u.ureg))) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        q = u.ureg.Quantity(1.0, "tce").to("GJ").magnitude
        print(json.dumps({"before": before, "ids": len(set(seen)), "same": u.ureg is u._registry(),
                          "tce_GJ": q, "factor": u.conversion_factor("t C", "t CO2")}))
    """)
    assert not out["before"]
    assert out["ids"] == 1 and out["same"]
    assert out["tce_GJ"] == pytest.approx(29.3076, rel=1e-15)
    assert out["factor"] == pytest.approx(44 / 12, rel=1e-15)


def test_ureg_attribute_in_this_process():
    from fastcarbon import units

    assert units.ureg is units.ureg
    assert units.parse("kt CO2").to("t CO2").magnitude == pytest.approx(1e3)
    assert "ureg" in units.__all__
    with pytest.raises(AttributeError, match="no attribute 'registry'"):
        units.registry  # noqa: B018


def test_errors_are_the_same_with_the_lazy_registry():
    # a fresh process: the first parse builds the registry, and its errors read as before
    out = _run("""
        import json
        from fastcarbon.errors import UnitError
        from fastcarbon.units import parse, conversion_factor
        msgs = []
        for call in (lambda: parse("tce#x", what="energy"), lambda: parse("furlongs of joy"),
                     lambda: conversion_factor("t", "t CO2")):
            try:
                call()
            except UnitError as e:
                msgs.append(str(e))
        print(json.dumps(msgs))
    """)
    assert out[0].startswith("energy: 'tce#x' is not a unit expression: '#' is not allowed at position 3")
    assert out[1].startswith("units: cannot parse units 'furlongs of joy'")
    assert "'t' (mass, [mass]) cannot be converted to 't CO2'" in out[2]


_CONVERT = """
    import json
    from fastcarbon.units import conversion_factor, ureg
    print(json.dumps({"k": conversion_factor("10**4 tce", "GJ"), "cache": str(ureg.cache_folder)}))
"""


def test_unusable_cache_folder_falls_back_to_parsing(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = _run(_CONVERT, XDG_CACHE_HOME=str(blocker / "sub"))  # mkdir fails, even as root
    assert out["k"] == pytest.approx(29.3076e4, rel=1e-15)
    assert out["cache"] == "None"


def test_damaged_cache_files_fall_back_to_parsing(tmp_path):
    built = _run(_CONVERT, XDG_CACHE_HOME=str(tmp_path))
    assert built["cache"].startswith(str(tmp_path))
    pickles = list(tmp_path.rglob("*.pickle"))
    assert pickles
    for p in pickles:  # as another process would leave them, mid-write
        p.write_bytes(p.read_bytes()[:10])
    out = _run(_CONVERT, XDG_CACHE_HOME=str(tmp_path))
    assert out["k"] == built["k"]
    assert out["cache"] == "None"


def test_cache_can_be_turned_off(tmp_path):
    out = _run(_CONVERT, XDG_CACHE_HOME=str(tmp_path), FASTCARBON_PINT_CACHE="0")
    assert out["cache"] == "None" and not list(tmp_path.rglob("*.pickle"))


def test_pint_dask_support_survives_importing_pint_without_dask():
    out = _run("""
        import json, sys
        from fastcarbon.units import ureg
        assert "dask" not in sys.modules
        import dask.array as da
        import dask.base
        q = ureg.Quantity(da.ones(4, chunks=2), "m")
        computed = q.compute()
        print(json.dumps({"collection": dask.base.is_dask_collection(q),
                          "plain": dask.base.is_dask_collection(ureg.Quantity(1.0, "m")),
                          "type": type(computed.magnitude).__name__, "sum": float((q * 2).sum().compute().m),
                          "units": str(computed.units)}))
    """)
    assert out == {"collection": True, "plain": False, "type": "ndarray", "sum": 8.0, "units": "m"}


def test_version_is_read_on_first_access():
    from importlib.metadata import PackageNotFoundError, version

    try:
        expected = version("fastcarbon")
    except PackageNotFoundError:
        expected = "0+unknown"
    assert fastcarbon.__version__ == expected
    out = _run("""
        import json, sys
        import fastcarbon
        loaded = "importlib.metadata" in sys.modules  # (xarray imports it; fastcarbon alone does not)
        print(json.dumps({"loaded": loaded, "version": fastcarbon.__version__}))
    """)
    assert not out["loaded"] and out["version"] == expected
    with pytest.raises(AttributeError, match="no attribute 'version'"):
        fastcarbon.version  # noqa: B018


@pytest.mark.parametrize("package", [kernels, core], ids=["kernels", "core"])
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_kernel'"):
        package.no_such_kernel  # noqa: B018


def test_lazy_kernel_names_are_the_submodules_objects():
    from fastcarbon.kernels import egm_fit, grey

    assert kernels.egm_fit is egm_fit is grey.egm_fit
    assert core.grey.fit_egm is not None and core.bottom_up is core.accounting.bottom_up
