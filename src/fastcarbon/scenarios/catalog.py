"""Scenarios as named sets of trajectories with inheritance (LEAP's scenario tree).

A :class:`Scenario` defines some variables and may name a parent.  A :class:`ScenarioSet` holds
the base-year values (LEAP's *Current Accounts*) and resolves every variable of every scenario
in LEAP's search order: the scenario itself → its parent → the parent's parent … → the base-year
value held constant.  ``build()`` returns one Dataset with a ``scenario`` dim.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Union

import xarray as xr

from fastcarbon._format import show, show_list
from fastcarbon._validate import as_dataarray, as_dataset
from fastcarbon.core.trajectory import check_years
from fastcarbon.errors import InputError, InputTypeError, UnknownLabelError
from fastcarbon.scenarios.expressions import Growth, Interp, Schedule, Step, explicit

__all__ = ["Scenario", "ScenarioSet"]

Expression = Union[Interp, Growth, Step, Schedule, xr.DataArray]
_EXPRESSIONS = (Interp, Growth, Step, Schedule, xr.DataArray)


class Scenario:
    """A named set of variable definitions, optionally inheriting from a ``parent`` scenario.

    Parameters
    ----------
    name : str
        Label on the ``scenario`` dim.
    variables : mapping of str to expression, optional
        Each value an :class:`~fastcarbon.scenarios.Interp`, :class:`~fastcarbon.scenarios.Growth`,
        :class:`~fastcarbon.scenarios.Step`, :class:`~fastcarbon.scenarios.Schedule`, or a
        DataArray with a ``year`` dim (an explicit trajectory).
    parent : str, optional
        Scenario whose definitions apply where this one defines nothing.
    description : str
        Free text, kept in the output's ``scenario_description`` coordinate.
    """

    def __init__(self, name: str, variables: Mapping[str, Expression] | None = None, *,
                 parent: str | None = None, description: str = ""):
        if not isinstance(name, str) or not name:
            raise InputTypeError(f"Scenario name must be a non-empty string, got {show(name)}")
        variables = dict(variables or {})
        for var, expr in variables.items():
            if not isinstance(expr, _EXPRESSIONS):
                raise InputTypeError(
                    f"scenario {show(name)}, variable {show(var)}: expected Interp, Growth, Step, Schedule "
                    f"or a DataArray over years, got {type(expr).__name__}"
                )
        self.name, self.variables, self.parent, self.description = name, variables, parent, description

    def __repr__(self) -> str:
        parent = f", parent={show(self.parent)}" if self.parent else ""
        return f"Scenario({show(self.name)}, variables={sorted(self.variables)}{parent})"


class ScenarioSet:
    """Base-year values and scenarios, resolved in LEAP's search order and built into one Dataset.

    Parameters
    ----------
    base : xarray.Dataset
        Base-year value of every variable (LEAP's Current Accounts), without a ``year`` dim (or
        with one that contains ``base_year``, which is selected).  Each variable's ``units`` and
        ``long_name`` become those of its trajectories.  Extra dims (region, sector, fuel...)
        broadcast through every expression.
    scenarios : iterable of Scenario
        Names must be unique; parents must be among them; no cycles.
    base_year : int
        The year of ``base``.
    years : sequence of int
        The horizon; must include ``base_year`` (schedules need it to be its first year).
    dim : str
        The year dimension.

    Raises
    ------
    InputError
        Duplicated scenario names, a horizon without the base year.
    UnknownLabelError
        A parent that is not in the set; a variable defined by a scenario but absent from ``base``.
    InputError
        A cyclic chain of parents (the message lists the cycle).

    Examples
    --------
    >>> import xarray as xr
    >>> from fastcarbon.scenarios import Scenario, ScenarioSet, Growth
    >>> base = xr.Dataset({"gdp": xr.DataArray(100.0, attrs={"units": "billion CNY", "long_name": "GDP"}),
    ...                    "ci": xr.DataArray(1.0, attrs={"units": "t CO2/CNY", "long_name": "carbon intensity"})})
    >>> ss = ScenarioSet(base, [Scenario("REF", {"gdp": Growth(0.05)}),
    ...                         Scenario("LOW", {"ci": Growth(-0.1)}, parent="REF")],
    ...                  base_year=2020, years=range(2020, 2023))
    >>> ds = ss.build()
    >>> ds.gdp.sel(scenario="LOW").round(2).values.tolist()   # inherited from REF
    [100.0, 105.0, 110.25]
    >>> ds.ci.sel(scenario="REF").values.tolist()             # base-year value held
    [1.0, 1.0, 1.0]
    >>> ss.defined_in("LOW", "gdp"), ss.defined_in("REF", "ci")
    ('REF', None)
    """

    def __init__(self, base: xr.Dataset, scenarios: Iterable[Scenario], *, base_year: int, years,
                 dim: Hashable = "year"):
        base = as_dataset(base, "base", "base-year values")
        self.dim = dim
        self.base_year = int(base_year)
        self.years = check_years(years, base_year=self.base_year)
        if dim in base.dims:
            if self.base_year not in base.indexes[dim]:
                raise InputError(f"base: has a {show(dim)} dim without the base year {self.base_year}")
            base = base.sel({dim: self.base_year}, drop=True)
        self.base = base
        self.scenarios: dict[str, Scenario] = {}
        for sc in scenarios:
            if not isinstance(sc, Scenario):
                raise InputTypeError(f"scenarios: expected Scenario objects, got {type(sc).__name__}")
            if sc.name in self.scenarios:
                raise InputError(f"scenarios: the name {show(sc.name)} is used twice; scenario names must be unique")
            self.scenarios[sc.name] = sc
        for sc in self.scenarios.values():
            self.lineage(sc.name)  # unknown parents and cycles fail here, not at build time
            missing = [v for v in sc.variables if v not in base.data_vars]
            if missing:
                raise UnknownLabelError(
                    f"scenario {show(sc.name)} defines {show(missing)} but base has no base-year value for "
                    f"them (base has {show_list(base.data_vars)}); every variable needs one"
                )

    def lineage(self, name: str) -> list[str]:
        """``[name, parent, grandparent, ...]``: the scenarios searched for a variable, in order."""
        if name not in self.scenarios:
            raise UnknownLabelError(f"scenario {show(name)} is not in the set; known: {show_list(self.scenarios)}")
        chain = [name]
        while (parent := self.scenarios[chain[-1]].parent) is not None:
            if parent not in self.scenarios:
                raise UnknownLabelError(
                    f"scenario {show(chain[-1])} inherits from {show(parent)}, which is not in the set; "
                    f"known: {show_list(self.scenarios)}"
                )
            if parent in chain:
                cycle = " -> ".join(chain[chain.index(parent):] + [parent])
                raise InputError(f"scenario {show(name)}: cyclic inheritance {cycle}; a parent chain must end")
            chain.append(parent)
        return chain

    def defined_in(self, scenario: str, variable: str) -> str | None:
        """The scenario whose definition of ``variable`` applies to ``scenario``, or None where
        the base-year value holds (LEAP's search order)."""
        if variable not in self.base.data_vars:
            raise UnknownLabelError(f"variable {show(variable)} is unknown; known: {show_list(self.base.data_vars)}")
        return next((s for s in self.lineage(scenario) if variable in self.scenarios[s].variables), None)

    def _build_one(self, owner: str | None, variable: str) -> xr.DataArray:
        base = self.base[variable]
        if owner is None:
            out = base.expand_dims({self.dim: self.years})
            return out.assign_attrs(trajectory=f"base-year ({self.base_year}) value held constant")
        expr = self.scenarios[owner].variables[variable]
        name = f"scenario {show(owner)}, variable {show(variable)}"
        if isinstance(expr, xr.DataArray):
            return explicit(as_dataarray(expr, name), base, self.years, self.dim, name)
        try:
            return expr.build(base, self.base_year, self.years, self.dim)
        except (InputError, InputTypeError) as err:
            # say which scenario and variable the bad definition belongs to
            raise type(err)(f"{name}: {err}") from None

    def build(self, scenarios: Iterable[str] | None = None, dim: Hashable = "scenario") -> xr.Dataset:
        """Every variable of the chosen scenarios (default all, in the order given) as one Dataset.

        A definition shared through inheritance is built once and reused for every scenario that
        inherits it.  Variables keep ``units`` and ``long_name`` from ``base``; the
        ``scenario_parent`` coordinate records each scenario's parent ("" for none), and each
        variable's ``defined_in`` attr lists where its definition came from per scenario.
        """
        names = list(self.scenarios) if scenarios is None else list(scenarios)
        for n in names:
            self.lineage(n)
        cache: dict[tuple[str | None, str], xr.DataArray] = {}
        data = {}
        for var in self.base.data_vars:
            owners = [self.defined_in(n, var) for n in names]
            for o in owners:
                if (o, var) not in cache:
                    cache[(o, var)] = self._build_one(o, var)
            pieces = [cache[(o, var)] for o in owners]
            attrs = {"units": self.base[var].attrs.get("units", "1"),
                     "long_name": self.base[var].attrs.get("long_name", str(var)),
                     "defined_in": "; ".join(f"{n}: {o or 'base year'}" for n, o in zip(names, owners))}
            combined = xr.concat(pieces, dim=dim, coords="minimal", compat="override", join="exact",
                                 combine_attrs="drop")
            data[var] = combined.transpose(dim, self.dim, ...).assign_attrs(attrs)
        ds = xr.Dataset(data).assign_coords({
            dim: names,
            f"{dim}_parent": (dim, [self.scenarios[n].parent or "" for n in names]),
            f"{dim}_description": (dim, [self.scenarios[n].description for n in names]),
        })
        ds.attrs["base_year"] = self.base_year
        ds.attrs["method"] = "LEAP search order: scenario -> parent -> ... -> base-year value"
        return ds
