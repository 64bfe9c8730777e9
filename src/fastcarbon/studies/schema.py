"""The study file: its schema, :func:`load_study` (validate everything, read the data) and
:class:`Study`.

The schema is data (:data:`SCHEMA`): each table lists its keys with a checker that says what is
allowed.  ``load_study`` checks the whole file against it, then the meaning (files exist, fuels
are known, parents exist and form no cycle, periods cover the horizon), reads every data table,
and only then returns: a bad file never starts a run.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xarray as xr

from fastcarbon._format import show
from fastcarbon.errors import FastcarbonError, StudyFileError

__all__ = ["SCHEMA", "Study", "Hook", "load_study", "TOTAL"]

_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")
_YEAR = re.compile(r"^\d{4}$")
#: a [custom] result's name: it becomes a file stem
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: the results a run can produce, in order (each a Dataset, a file stem of the outputs)
RESULTS = ("accounting", "forecast", "scenarios", "peaks", "monte_carlo", "sensitivity")
#: the region label of the sum over regions in scenario, peak and Monte Carlo results
TOTAL = "total"
FORMATS = ("netcdf", "csv", "iamc")
NOISE_DISTRIBUTIONS = ("normal", "lognormal", "uniform", "triangular")


class _Fail(Exception):
    """A checker's complaint: what was found and what is allowed (the key is added above)."""


# --- checkers: each returns the value (possibly normalised) or raises _Fail ----------------------

def _kind(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def Str(choices=None):
    def check(v):
        if not isinstance(v, str):
            raise _Fail(f"expected a string, found {_kind(v)} {show(v)}")
        if choices is not None and v not in choices:
            near = difflib.get_close_matches(v, choices, n=1)
            raise _Fail(f"{show(v)} is not allowed" + (f" (did you mean {show(near[0])}?)" if near else "")
                        + f"; allowed: {show(list(choices))}")
        return v
    check.doc = "string" if choices is None else f"one of {show(list(choices))}"
    return check


def Int(lo=None, hi=None):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Fail(f"expected an integer, found {_kind(v)} {show(v)}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise _Fail(f"{v} is out of range; allowed: integers {_range(lo, hi)}")
        return v
    check.doc = "integer"
    return check


def Num(lo=None, hi=None, open_lo=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise _Fail(f"expected a number, found {_kind(v)} {show(v)}")
        v = float(v)
        if not np.isfinite(v) or (lo is not None and (v <= lo if open_lo else v < lo)) or (hi is not None and v > hi):
            raise _Fail(f"{show(v)} is out of range; allowed: numbers {_range(lo, hi, open_lo)}")
        return v
    check.doc = "number"
    return check


def _range(lo, hi, open_lo=False) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if open_lo else '['}{lo}, {hi}]"
    return f"{'>' if open_lo else '>='} {lo}" if lo is not None else f"<= {hi}"


def Bool():
    def check(v):
        if not isinstance(v, bool):
            raise _Fail(f"expected true or false, found {_kind(v)} {show(v)}")
        return v
    check.doc = "boolean"
    return check


def List(item, min_len=1):
    def check(v):
        if not isinstance(v, list) or len(v) < min_len:
            raise _Fail(f"expected a list (at least {min_len} element), found {_kind(v)} {show(v)}")
        return [_at(item, x, f"[{k}]") for k, x in enumerate(v)]
    check.doc = "list"
    return check


def Either(*checks, doc):
    def check(v):
        for c in checks:
            try:
                return c(v)
            except _Fail:
                pass
        raise _Fail(f"found {_kind(v)} {show(v)}; allowed: {doc}")
    check.doc = doc
    return check


def Map(value, key_pattern=None, key_doc="a name"):
    """A table with free keys (scenario names, period labels...)."""
    def check(v):
        if not isinstance(v, dict):
            raise _Fail(f"expected a table, found {_kind(v)} {show(v)}")
        if key_pattern is not None:
            for k in v:
                if not key_pattern.match(k):
                    raise _Fail(f"key {show(k)} is not {key_doc}")
        return {k: _at(value, x, f".{k}") for k, x in v.items()}
    check.doc = "table"
    return check


class _Nested(Exception):
    def __init__(self, suffix, message):
        self.suffix, self.message = suffix, message


def _at(check, value, suffix):
    """Run a checker on an element, remembering where it sits (for the dotted key)."""
    try:
        return check(value)
    except _Fail as err:
        raise _Nested(suffix, str(err)) from None
    except _Nested as err:
        raise _Nested(suffix + err.suffix, err.message) from None


def Table(fields: dict, required=()):
    def check(v):
        if not isinstance(v, dict):
            raise _Fail(f"expected a table, found {_kind(v)} {show(v)}")
        for k in v:
            if k not in fields:
                near = difflib.get_close_matches(k, list(fields), n=1, cutoff=0.5)
                raise _Nested(f".{k}", "unknown key" + (f" (did you mean {show(near[0])}?)" if near else "")
                              + f"; allowed keys here: {show(list(fields))}")
        for k in required:
            if k not in v:
                raise _Nested(f".{k}", "missing; this key is required")
        return {k: _at(fields[k], x, f".{k}") for k, x in v.items()}
    check.doc = "table"
    check.fields = fields
    return check


_NOISE = Table({"distribution": Str(NOISE_DISTRIBUTIONS), "spread": Num(0), "on": Str(("rate", "level")),
                "ar1": Num(-1, 1)})

#: The schema of a study file: table -> key -> checker.  Documented in the package docstring.
SCHEMA = Table({
    "study": Table({
        "name": Str(), "description": Str(), "base_year": Int(1000, 3000), "end_year": Int(1000, 3000),
        "seed": Int(0), "gdp": Num(0, open_lo=True), "gdp_units": Str(), "emissions_units": Str(),
        "files": List(Str()),
    }),
    "data": Map(Table({
        "path": Str(), "value": Str(), "dims": List(Str()), "unit": Str(), "to": Str(),
        "rename": Map(Str()), "missing": Str(("raise", "drop", "interpolate")),
        "aliases": Either(Bool(), Map(Str()), doc="true, false or a table of name = label"),
        "wide": Bool(), "sheet": Either(Int(0), Str(), doc="a sheet position or name"),
    }, required=("path",))),
    "accounting": Table({
        "energy": Str(), "factors": Str(),
        "groups": Either(Bool(), Map(Str()), doc="true, false or a table of detailed fuel = factor fuel"),
    }, required=("factors",)),
    "forecast": Table({"enabled": Bool(), "horizon": Int(1, 200), "by": Int(1000, 3000), "backtest": Int(0, 50)}),
    "scenarios": Map(Table({
        "description": Str(), "parent": Str(),
        "gdp_growth": Either(Num(-100, open_lo=True), Map(Num(-100, open_lo=True), _YEAR, "a year (2030)"),
                             doc="a number (% per year) or a table of year = % per year"),
        "intensity_rates": Map(Num(0, 100), _PERIOD, "a period 'YYYY-YYYY' (2021-2025)"),
    })),
    "monte_carlo": Table({"enabled": Bool(), "draws": Int(2, 10_000_000), "target_year": Int(1000, 3000),
                          "intensity": _NOISE, "gdp": _NOISE, "factor": _NOISE}),
    "sensitivity": Table({
        "enabled": Bool(), "method": Str(("sobol", "morris")), "base_points": Int(2, 2 ** 20),
        "trajectories": Int(2, 100_000), "levels": Int(2, 100), "spread": Num(0, 1, open_lo=True),
        "rate_groups": Map(Str(), key_doc="a parameter name"),
        "ranges": Map(List(Num(0), min_len=2)), "gdp_growth": Bool(),
        "resamples": Int(2, 10_000), "convergence": Bool(),
    }),
    "outputs": Table({"folder": Str(), "formats": List(Str(FORMATS)), "figures": Bool(), "report": Bool(),
                      "iamc_model": Str()}),
    "custom": Map(Table({"code": Str(), "title": Str(), "table": Str(), "args": Map(lambda v: v)},
                        required=("code",)), _NAME, "a result name (letters, digits, _ and -)"),
})


class Hook(NamedTuple):
    """A ``[custom.NAME]`` result: ``run(**args)`` (plus ``study=``/``output=`` when it names
    them) returns a Dataset written as ``NAME.nc``; ``table(ds)``, when given, the Dataset over
    one dim that is printed and written as ``NAME.csv`` (else the result itself, if over at most
    one dim)."""

    name: str
    title: str
    run: Callable[..., xr.Dataset]
    table: Callable[[xr.Dataset], xr.Dataset] | None
    args: dict
    #: the parameters of ``run`` among "study" and "output": what :func:`run_study` passes
    wants: tuple

    def __call__(self, study=None, output=None) -> xr.Dataset:
        given = {"study": study, "output": output}
        return self.run(**self.args, **{k: given[k] for k in self.wants})


@dataclass
class Study:
    """A validated study file with its data read.

    Attributes
    ----------
    path : Path
        The study file.
    config : dict
        The file's tables, checked (numbers as float where the schema says number).
    tables : dict of str to xarray.DataArray
        Every ``[data.<name>]`` table as :func:`fastcarbon.io.read_table` returned it.
    energy : xarray.DataArray or None
        The accounting's energy table with dims (region, fuel, year); None without
        ``[accounting]`` (a study of ``[custom]`` results only).
    base_year, end_year : int or None
        None without ``[accounting]`` unless ``[study]`` gives them.
    scenarios : dict
        Name -> {"parent", "description", "gdp_growth" (year -> % or None), "intensity_rates"
        (the resolved periods, parent's overridden by the scenario's own), ...}, parents first.
    custom : dict of str to Hook
        The ``[custom]`` results, in the file's order, their code imported and checked.
    """

    path: Path
    config: dict
    tables: dict
    energy: xr.DataArray | None
    base_year: int | None
    end_year: int | None
    scenarios: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.get("study", {}).get("name", self.path.stem)

    @property
    def description(self) -> str:
        return self.config.get("study", {}).get("description", "")

    def section(self, name: str) -> dict | None:
        """A method's table, or None when it is absent or ``enabled = false``."""
        sec = self.config.get(name)
        if sec is None or (isinstance(sec, dict) and sec.get("enabled", True) is False):
            return None
        return sec

    @property
    def output_folder(self) -> Path:
        folder = Path(self.config.get("outputs", {}).get("folder", "results"))
        return folder if folder.is_absolute() else self.path.parent / folder


def load_study(path, *, overrides: dict | None = None) -> Study:
    """Read and validate a study file, and read its data; nothing is computed.

    Parameters
    ----------
    path : str or Path
        The TOML study file; relative data paths are relative to its folder.
    overrides : dict, optional
        Dotted key -> value, set on the file's contents before they are checked, as if written
        in the file: ``{"monte_carlo.draws": 200, "custom.mc.args.n_draws": 200}`` (a quick run
        of a big study).

    Returns
    -------
    Study

    Raises
    ------
    StudyFileError
        The file is missing or not TOML; an unknown key (the nearest allowed key is named), a
        value of the wrong type or out of range, a missing or unreadable data file, an unknown
        fuel (the nearest labels of the alias table are named), a factor set that is not
        bundled, a scenario whose parent is missing or whose parents form a cycle, periods that
        leave years of the horizon without a rate, a ``[custom]`` code that does not import, is
        not a function or does not take its ``args``.  The message starts with the file and the
        dotted key (``study.toml: scenarios.LOW.parent: ...``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fastcarbon.studies import load_study, write_example
    >>> folder = write_example(pathlib.Path(tempfile.mkdtemp()) / "my-study")
    >>> study = load_study(folder / "study.toml")
    >>> study.base_year, list(study.scenarios), study.energy.dims
    (2020, ['BAU', 'PEAK2030', 'FAST'], ('region', 'fuel', 'year'))
    >>> (folder / "bad.toml").write_text('[data.energy]\\npath = "city_energy.csv"\\n[acounting]\\nfactors = "hj2021"\\n')
    70
    >>> load_study(folder / "bad.toml")
    Traceback (most recent call last):
    ...
    fastcarbon.errors.StudyFileError: bad.toml: acounting: unknown key (did you mean 'accounting'?); allowed keys here: ['study', 'data', 'accounting', 'forecast', 'scenarios', 'monte_carlo', 'sensitivity', 'outputs', 'custom']
    """
    path = Path(path)
    file = path.name

    def fail(key, message):
        return StudyFileError(message, key=key, file=file)

    if not path.is_file():
        raise StudyFileError(f"no study file at '{path}'" + ("" if path.parent.is_dir() else
                             f" (the folder '{path.parent}' does not exist)") + "; `fastcarbon init FOLDER` writes an example")
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise StudyFileError(f"not valid TOML: {err}", file=file) from None
    for key, value in (overrides or {}).items():
        _override(raw, key, value, fail)
    try:
        config = SCHEMA(raw)
    except _Nested as err:
        raise fail(err.suffix.lstrip("."), err.message) from None
    if "custom" not in config:  # a study computes something: the accounting, or its own code
        for key in ("data", "accounting"):
            if key not in config:
                raise fail(key, "missing; this table is required (or a [custom.<NAME>] table naming the code "
                                "that computes the study)")
    st = config.get("study", {})
    for k, name in enumerate(st.get("files", [])):
        if not (path.parent / name).is_file():
            raise fail(f"study.files[{k}]", f"no file '{path.parent / name}'; paths are relative to the study "
                       f"file's folder")

    tables = {}
    for name, spec in config.get("data", {}).items():
        tables[name] = _read(path, name, spec, fail)
    energy, base_year, end_year = None, st.get("base_year"), st.get("end_year")
    acc = config.get("accounting")
    if acc is not None:
        energy_name = acc.get("energy", "energy")
        if energy_name not in tables:
            raise fail("accounting.energy", f"names the data table {show(energy_name)}, which [data] does not "
                       f"define; defined: {show(list(tables))}")
        energy = _check_energy(tables[energy_name], f"data.{energy_name}", fail)
        _check_factors(acc, energy, fail)
        years = energy.indexes["year"]
        base_year = st.get("base_year", int(years[-1]))
        if base_year not in years:
            raise fail("study.base_year", f"{base_year} is not a year of the data ({int(years[0])}-{int(years[-1])}); "
                       f"the base-year emissions come from the data")
        end_year = st.get("end_year", max(base_year + 30, 2060))
        if TOTAL in energy.indexes["region"] and energy.sizes["region"] > 1:
            raise fail(f"data.{energy_name}", f"a region is labelled {show(TOTAL)}, the label fastcarbon gives the "
                       f"sum over regions; rename it (rename or aliases)")
    else:
        for sec in ("forecast", "scenarios", "monte_carlo", "sensitivity"):
            if sec in config:
                raise fail(sec, "needs [accounting] (the emissions it works on); add [data.energy] and [accounting], "
                                f"or remove [{sec}]")
    if base_year is not None and end_year is not None and end_year <= base_year:
        raise fail("study.end_year", f"{end_year} is not after base_year {base_year}")
    study = Study(path=path, config=config, tables=tables, energy=energy, base_year=base_year, end_year=end_year)
    if acc is not None:
        study.scenarios = _scenarios(config.get("scenarios", {}), base_year, end_year, fail)
        _check_methods(study, fail)
    study.custom = {name: _hook(path, name, spec, fail) for name, spec in config.get("custom", {}).items()}
    clash = [n for n in study.custom if n in RESULTS]
    if clash:
        raise fail(f"custom.{clash[0]}", f"{show(clash[0])} is the name of a built-in result; results: "
                   f"{show(list(RESULTS))}; choose another name")
    return study


def _override(raw: dict, key: str, value, fail) -> None:
    """Set the dotted ``key`` of the raw file to ``value`` (``load_study(overrides=)``): the
    tables on the way must exist or are created; the schema checks the result as if written."""
    if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
        raise fail("overrides", f"{show(key)} is not a dotted key such as 'monte_carlo.draws'")
    *parents, last = key.split(".")
    node = raw
    for k, part in enumerate(parents):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise fail(".".join(parents[:k + 1]), f"overrides {show(key)}: this key is a value, not a table")
    node[last] = value


def _hook(path: Path, name: str, spec: dict, fail) -> Hook:
    """Import and check the code of ``[custom.NAME]``: its function exists and is callable, and
    accepts ``args``."""
    key = f"custom.{name}"
    run = _callable(path, spec["code"], f"{key}.code", fail)
    table = _callable(path, spec["table"], f"{key}.table", fail) if "table" in spec else None
    args = spec.get("args", {})
    try:
        params = inspect.signature(run).parameters
    except (TypeError, ValueError):  # a builtin without a signature: pass the args and hope
        params = {}
    free = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for arg in args:
        if arg in ("study", "output"):
            raise fail(f"{key}.args.{arg}", f"{show(arg)} is passed by fastcarbon (the loaded study, the output "
                       f"folder); remove it from args")
        if params and not free and arg not in params:
            near = difflib.get_close_matches(arg, list(params), n=1)
            raise fail(f"{key}.args.{arg}", f"{spec['code']} takes no argument {show(arg)}"
                       + (f" (did you mean {show(near[0])}?)" if near else "")
                       + f"; its parameters: {show([p for p in params if p not in ('study', 'output')])}")
    needed = [p for p, v in params.items() if v.default is inspect.Parameter.empty and p not in ("study", "output")
              and p not in args and v.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if needed:
        raise fail(f"{key}.args", f"{spec['code']} needs the argument(s) {show(needed)}, not given in args "
                   f"(args = {{ {needed[0]} = ... }}; fastcarbon passes only study and output)")
    wants = tuple(p for p in ("study", "output") if p in params)
    title = spec.get("title") or (inspect.getdoc(run) or name).splitlines()[0]
    return Hook(name, title, run, table, args, wants)


def _callable(path: Path, code: str, key: str, fail):
    """``"package.module:function"``, or ``"file.py:function"`` with the file relative to the
    study file, imported and checked callable."""
    import importlib
    import importlib.util
    import sys

    where, sep, func = code.rpartition(":")
    if not sep or not where or not func.isidentifier():
        raise fail(key, f"{show(code)} is not 'module:function' (e.g. 'mypackage.study:run') or "
                        f"'file.py:function' (a file next to the study file)")
    if where.endswith(".py"):
        source = Path(where) if Path(where).is_absolute() else path.parent / where
        if not source.is_file():
            raise fail(key, f"no file '{source}'; a .py path is relative to the study file's folder")
        # one module per file, named after its path, so two studies' hooks.py do not collide
        mod_name = "fastcarbon_study_code_" + re.sub(r"\W", "_", str(source.resolve()))
        spec = importlib.util.spec_from_file_location(mod_name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # noqa: BLE001 (the user's file: any error is a bad study file)
            sys.modules.pop(mod_name, None)
            raise fail(key, f"running '{source.name}' failed: {type(err).__name__}: {err}") from err
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise fail(key, f"cannot import the module {show(where)} ({type(err).__name__}: {err}); the module "
                            f"must be importable (installed or on PYTHONPATH), or give 'file.py:function'") from None
        except Exception as err:  # noqa: BLE001
            raise fail(key, f"importing {show(where)} failed: {type(err).__name__}: {err}") from err
    if not hasattr(module, func):
        public = [n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n))]
        near = difflib.get_close_matches(func, public, n=1)
        raise fail(key, f"{show(where)} has no function {show(func)}" + (f" (did you mean {show(near[0])}?)" if near
                   else "") + (f"; its functions: {show(sorted(public))}" if len(public) <= 20 else ""))
    target = getattr(module, func)
    if not callable(target):
        raise fail(key, f"{where}:{func} is {_kind(target)} {show(target)}, not a function")
    return target


def _read(path: Path, name: str, spec: dict, fail) -> xr.DataArray:
    from fastcarbon.io import read_table

    source = Path(spec["path"])
    source = source if source.is_absolute() else path.parent / source
    if not source.is_file():
        near = difflib.get_close_matches(source.name, [p.name for p in source.parent.iterdir()], n=1) \
            if source.parent.is_dir() else []
        raise fail(f"data.{name}.path", f"no file '{source}'" + (f" (did you mean {show(near[0])}?)" if near else "")
                   + "; paths are relative to the study file's folder")
    kwargs = {k: spec[k] for k in ("value", "dims", "unit", "to", "rename", "missing", "wide", "sheet") if k in spec}
    if "aliases" in spec:
        a = spec["aliases"]
        kwargs["aliases"] = a if isinstance(a, bool) else {"fuel": a}
    try:
        return read_table(source, **kwargs)
    except FastcarbonError as err:  # an unknown fuel, a duplicate row, a bad unit... named by read_table
        raise fail(f"data.{name}", f"reading '{source.name}': {err}") from None


def _check_energy(da: xr.DataArray, key: str, fail) -> xr.DataArray:
    for d in ("fuel", "year"):
        if d not in da.dims:
            raise fail(key, f"the table has dims {show(list(da.dims))}, without {show(d)}; the energy table needs "
                       f"'fuel' and 'year' columns (and 'region'; use rename = {{ City = \"region\" }})")
    if "region" not in da.dims:
        da = da.expand_dims(region=["all"])
    extra = [d for d in da.dims if d not in ("region", "fuel", "year")]
    if extra:
        raise fail(key, f"extra dims {show(extra)}: the energy table is region x fuel x year (sum or filter the "
                   f"other columns first, or list the wanted columns in dims)")
    if "units" not in da.attrs:
        raise fail(key, "no units: give unit = \"<column>\" or a units string such as \"10**4 tce\"")
    return da.transpose("region", "fuel", "year")


def _check_factors(acc: dict, energy: xr.DataArray, fail) -> None:
    from fastcarbon import factors, names

    if acc["factors"] not in factors.available():
        near = difflib.get_close_matches(acc["factors"], factors.available(), n=1)
        raise fail("accounting.factors", f"{show(acc['factors'])} is not a bundled factor set"
                   + (f" (did you mean {show(near[0])}?)" if near else "") + f"; bundled: {show(factors.available())}")
    known = factors.load(acc["factors"]).indexes["fuel"].tolist()
    fuels = energy.indexes["fuel"].tolist()
    groups = acc.get("groups", False)
    try:
        charged = names.resolve_groups(groups, acc["factors"], fuels)[0] if groups else fuels
    except FastcarbonError as err:
        raise fail("accounting.groups", str(err)) from None
    missing = [f for f, c in zip(fuels, charged) if c not in known]
    if missing:
        hint = "" if groups else "; groups = true charges detailed fuels at their group's factor"
        raise fail("accounting.factors", f"the set {show(acc['factors'])} has no factor for fuel(s) {show(missing)} "
                   f"(its fuels: {show(known)}){hint}")


def _scenarios(raw: dict, base_year: int, end_year: int, fail) -> dict:
    # parents exist and form no cycle
    for name, sc in raw.items():
        parent = sc.get("parent")
        if parent is not None and parent not in raw:
            near = difflib.get_close_matches(parent, list(raw), n=1)
            raise fail(f"scenarios.{name}.parent", f"{show(parent)} is not a scenario of this file"
                       + (f" (did you mean {show(near[0])}?)" if near else "") + f"; scenarios: {show(list(raw))}")
    for name in raw:
        chain = [name]
        while (parent := raw[chain[-1]].get("parent")) is not None:
            if parent in chain:
                cycle = " -> ".join(chain[chain.index(parent):] + [parent])
                raise fail(f"scenarios.{chain[-1]}.parent", f"cyclic inheritance {cycle}; a chain of parents must end "
                           f"at a scenario without one")
            chain.append(parent)
    order, seen = [], set()

    def visit(n):
        if n not in seen:
            if raw[n].get("parent"):
                visit(raw[n]["parent"])
            seen.add(n)
            order.append(n)

    for n in raw:
        visit(n)
    out = {}
    for name in order:
        sc, parent = raw[name], raw[name].get("parent")
        inherited = out[parent] if parent else {"gdp_growth": None, "intensity_rates": None}
        growth = sc.get("gdp_growth", inherited["gdp_growth"])
        if isinstance(growth, float):
            growth = {str(base_year): growth}
        if growth is not None:
            bad = [y for y in growth if not base_year <= int(y) <= end_year]
            if bad:
                raise fail(f"scenarios.{name}.gdp_growth.{bad[0]}", f"year {bad[0]} is outside the horizon "
                           f"{base_year}-{end_year}")
        own = sc.get("intensity_rates")
        rates = inherited["intensity_rates"]
        if own is not None:
            # periods named as the parent's override them; a new partition replaces the schedule
            rates = {**rates, **own} if rates is not None and set(own) <= set(rates) else dict(own)
            key = f"scenarios.{name}.intensity_rates"
            _check_periods(rates, base_year, end_year, key, fail)
        out[name] = {"parent": parent, "description": sc.get("description", ""), "gdp_growth": growth,
                     "intensity_rates": rates, "defines": [k for k in ("gdp_growth", "intensity_rates") if k in sc]}
    return {n: out[n] for n in raw}  # in the file's order


def _check_periods(rates: dict, base_year: int, end_year: int, key: str, fail) -> None:
    spans = sorted((int(m.group(1)), int(m.group(2)), lab) for lab in rates if (m := _PERIOD.match(lab)))
    expect = base_year + 1
    for s, e, lab in spans:
        if e < s:
            raise fail(f"{key}.{lab}", "the period ends before it starts")
        if s != expect:
            what = f"years {expect}-{s - 1} have no rate" if s > expect else "it overlaps the period before"
            raise fail(f"{key}.{lab}", f"{what}; periods must be contiguous from {base_year + 1} (the year after "
                       f"base_year) to {end_year}")
        expect = e + 1
    if expect <= end_year:
        raise fail(key, f"the periods end in {expect - 1}, before end_year {end_year}; years {expect}-{end_year} "
                   f"have no rate")


def _check_methods(study: Study, fail) -> None:
    base, end = study.base_year, study.end_year
    fc = study.section("forecast")
    if fc is not None and "by" in fc and not int(study.energy.year[-1]) <= fc["by"] <= int(study.energy.year[-1]) + fc.get("horizon", 10):
        raise fail("forecast.by", f"{fc['by']} is outside the data's last year and the forecast horizon "
                   f"({int(study.energy.year[-1])}-{int(study.energy.year[-1]) + fc.get('horizon', 10)})")
    for sec in ("monte_carlo", "sensitivity"):
        if study.section(sec) is not None and not study.scenarios:
            raise fail(sec, "needs scenarios to perturb; add [scenarios.<NAME>] tables or set enabled = false")
    mc = study.section("monte_carlo")
    if mc is not None and "target_year" in mc and not base < mc["target_year"] <= end:
        raise fail("monte_carlo.target_year", f"{mc['target_year']} is outside {base + 1}-{end}")
    si = study.section("sensitivity")
    if si is not None:
        n = si.get("base_points", 128)
        if si.get("method", "sobol") == "sobol" and n & (n - 1):
            raise fail("sensitivity.base_points", f"{n} is not a power of 2 (a Sobol' sequence is balanced only "
                       f"for 2**k points); use {1 << (n.bit_length() - 1)} or {1 << n.bit_length()}")
        if si.get("levels", 4) % 2:
            raise fail("sensitivity.levels", f"{si['levels']} is odd; Morris' grid needs an even number of levels")
        groups = si.get("rate_groups", {"rates": f"{base + 1}-{end}"})
        for g, lab in groups.items():
            if not _PERIOD.match(lab):
                raise fail(f"sensitivity.rate_groups.{g}", f"{show(lab)} is not a period 'YYYY-YYYY'")
        _check_periods({lab: 0.0 for lab in groups.values()}, base, end, "sensitivity.rate_groups", fail)
        names = list(groups) + (["gdp_growth"] if si.get("gdp_growth", True) else [])
        for k, b in si.get("ranges", {}).items():
            if k not in names:
                near = difflib.get_close_matches(k, names, n=1)
                raise fail(f"sensitivity.ranges.{k}", "not a parameter" + (f" (did you mean {show(near[0])}?)" if near else "")
                           + f"; parameters: {show(names)}")
            if len(b) != 2 or not b[0] < b[1]:
                raise fail(f"sensitivity.ranges.{k}", f"{show(b)}; a range is [lower, upper] with lower < upper")
