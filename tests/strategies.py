"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Non-negative, finite, and bounded so products and sums stay far from overflow.
nonneg = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
signed = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def core_shapes(draw, max_side: int = 4, max_fuels: int = 9, fuels=None):
    """(M, I, J, N) with small sides; up to 9 fuels so the kernels' 8-wide fuel piece and its
    narrower tails (4, 2, 1) are all drawn, or N drawn from ``fuels`` (a strategy) if given."""
    n = draw(fuels if fuels is not None else st.integers(1, max_fuels))
    return tuple(draw(st.integers(1, max_side)) for _ in range(3)) + (n,)


@st.composite
def batch_shapes(draw, max_dims: int = 2, max_side: int = 3):
    """Three mutually broadcastable leading shapes for activity, intensity and factor."""
    full = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side))
    out = []
    for _ in range(3):
        keep = draw(st.integers(0, len(full)))  # drop some leading dims, set others to 1
        shape = tuple(s if draw(st.booleans()) else 1 for s in full[len(full) - keep :])
        out.append(shape)
    return out


@st.composite
def tensor_inputs(draw, factor_elements=signed, **shape_options):
    """(activity, intensity, factor) numpy arrays with broadcastable batch dims;
    ``shape_options`` go to :func:`core_shapes`."""
    m, i, j, n = draw(core_shapes(**shape_options))
    bp, be, bf = draw(batch_shapes())
    p = draw(hnp.arrays(np.float64, bp + (m, i, j), elements=nonneg))
    e = draw(hnp.arrays(np.float64, be + (m, i, j, n), elements=nonneg))
    f = draw(hnp.arrays(np.float64, bf + (m, i, j, n), elements=factor_elements))
    return p, e, f


# =============================================================================================
# The registry of public functions and bad-input generators (issue 10).
#
# Each public function of the labelled API is an :class:`Entry`: a builder of small, valid
# inputs (``make``), the call (``call``), and what each labelled input promises (which inputs
# must be finite, which carry a time axis and with which rule, which carry units).  Each
# bad-input class is a hypothesis strategy over a valid input (``nonfinite``, ``time_axis``,
# ``duplicated``, ``pandas_labels``, ``unknown_chunks``, ``zero_length``, ``garbage_units``).
# tests/test_bad_inputs.py runs every class against every entry it applies to: a new public
# function is covered once it is added to ``REGISTRY``.
# =============================================================================================

from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Callable  # noqa: E402

import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

YEARS = np.arange(2011, 2021)
REGIONS = ["A", "B", "C"]
FUELS = ["coal", "refined_oil", "natural_gas"]


@dataclass
class Entry:
    """One public function under test.

    ``make()`` returns a dict of inputs (slot → DataArray, Dataset or anything else);
    ``call(inputs)`` runs the function.  ``finite``: slots whose values must be finite (an inf
    must raise).  ``time``: slot → (time dim, rule) with rule ``"annual"`` (consecutive years),
    ``"equal"`` (equal steps) or ``"increasing"``.  ``units``: slots whose ``units`` attr is
    parsed.  ``named``: slot → the name the messages use for it (default: the slot).
    ``unnamed_dims``: dims an error may leave out of its message (e.g. the year of an
    unfittable series, which is named by its batch labels).
    """

    name: str
    make: Callable[[], dict]
    call: Callable[[dict], Any]
    finite: tuple = ()
    time: dict = field(default_factory=dict)
    units: tuple = ()
    named: dict = field(default_factory=dict)
    unnamed_dims: tuple = ()

    def arg(self, slot: str) -> str:
        return self.named.get(slot, slot)

    def labelled_slots(self) -> list[str]:
        return [k for k, v in self.make().items() if isinstance(v, (xr.DataArray, xr.Dataset))]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _series(dims=("region", "year"), base=300.0, trend=1.02, seed=0, units="Mt CO2"):
    """Smooth positive series over REGIONS × YEARS (EGM-fittable)."""
    r = _rng(seed)
    t = np.arange(YEARS.size)
    x = base * (1 + r.uniform(-0.2, 0.2, (len(REGIONS), 1))) * trend ** t * (1 + r.uniform(-0.01, 0.01, (len(REGIONS), YEARS.size)))
    return xr.DataArray(x, dims=dims, coords={"region": REGIONS, "year": YEARS}, attrs={"units": units})


def _energy():
    r = _rng(1)
    return xr.DataArray(r.uniform(1, 10, (YEARS.size, len(FUELS))), dims=("year", "fuel"),
                        coords={"year": YEARS, "fuel": FUELS}, attrs={"units": "10**4 tce"})


def _detailed_energy():
    """Fuel use by detailed fuel, grouped onto hj2021's three fuels by fastcarbon.names."""
    r = _rng(5)
    fuels = ["coal", "coke", "diesel", "natural_gas"]
    return xr.DataArray(r.uniform(1, 10, (YEARS.size, len(fuels))), dims=("year", "fuel"),
                        coords={"year": YEARS, "fuel": fuels}, attrs={"units": "10**4 tce"})


def _hj_factors():
    return xr.DataArray([2.66, 2.73, 1.56], dims="fuel", coords={"fuel": FUELS}, attrs={"units": "t CO2/tce"})


def _tensor():
    r = _rng(2)
    sectors, procs, equip = ["steel", "cement"], ["p0", "p1"], ["e0", "e1"]
    P = xr.DataArray(r.uniform(0, 5, (3, 2, 2, 2)), dims=("year", "sector", "process", "equipment"),
                     coords={"year": [2020, 2025, 2030], "sector": sectors, "process": procs, "equipment": equip},
                     attrs={"units": "t"})
    e = xr.DataArray(r.uniform(0, 1, (2, 2, 2, 3)), dims=("sector", "process", "equipment", "fuel"),
                     coords={"sector": sectors, "process": procs, "equipment": equip, "fuel": FUELS},
                     attrs={"units": "tce/t"})
    return {"activity": P, "intensity": e, "factor": _hj_factors()}


def _scenario_tensor():
    inputs = _tensor()
    P = inputs["activity"]
    inputs["activity"] = xr.concat([P, 0.8 * P], dim=pd.Index(["RS", "LOW"], name="scenario"))
    return inputs


def _indicators():
    r = _rng(3)
    return xr.DataArray(r.uniform(1, 10, (len(REGIONS), YEARS.size, 4)), dims=("region", "year", "indicator"),
                        coords={"region": REGIONS, "year": YEARS, "indicator": ["x0", "x1", "x2", "x3"]})


def _key_values():
    return xr.DataArray([[100.0, 80.0, 20.0], [50.0, 45.0, 5.0]], dims=("region", "year"),
                        coords={"region": ["A", "B"], "year": [2020, 2030, 2060]}, attrs={"units": "Mt CO2"})


def _mc_inputs():
    years = np.arange(2020, 2031)
    t = np.arange(years.size)
    gdp = xr.DataArray(np.array([[100.0], [100.0]]) * 1.05 ** t, dims=("scenario", "year"),
                       coords={"scenario": ["RS", "LOW"], "year": years}, attrs={"units": "1e8 CNY"})
    ci = xr.DataArray(np.array([[1.0], [1.0]]) * np.array([[0.97], [0.93]]) ** t, dims=("scenario", "year"),
                      coords={"scenario": ["RS", "LOW"], "year": years}, attrs={"units": "t CO2 / (1e4 CNY)"})
    return {"scenarios": xr.Dataset({"gdp": gdp, "carbon_intensity": ci})}


def _mc_region_inputs():
    """Two regions x two scenarios: the regions draw from streams keyed by their labels."""
    ds = _mc_inputs()["scenarios"]
    scale = xr.DataArray([1.0, 0.8], dims="region", coords={"region": ["Hefei", "Bengbu"]})
    return {"scenarios": (ds * scale).transpose("region", ...).assign_attrs(ds.attrs)
            .assign({k: (ds * scale)[k].assign_attrs(ds[k].attrs) for k in ds.data_vars})}


def _draws():
    r = _rng(4)
    years = np.arange(2020, 2041)
    t = np.arange(years.size)
    peak_at = r.uniform(3, 18, (40, 2, 1))
    x = 100 + 10 * t - 10 * np.maximum(t - peak_at, 0) * 2 + r.normal(0, 1, (40, 2, years.size))
    return {"emissions": xr.DataArray(x, dims=("draw", "scenario", "year"),
                                      coords={"draw": np.arange(40), "scenario": ["RS", "LOW"], "year": years},
                                      attrs={"units": "Mt CO2"})}


def _sweep(d):
    """fastcarbon.sweep.run into a new store each call (a store of another sweep is refused)."""
    import tempfile

    from fastcarbon import sweep

    return sweep.run(d["scenarios"], n_draws=20, seed=1, store=tempfile.mkdtemp(prefix="fc-sweep-") + "/s.zarr",
                     target_year=2025, progress=False)


def _lmdi_factors():
    """activity (region, year) × intensity (region, year, sector) × factor (sector), for LMDI."""
    r = _rng(6)
    sectors = ["steel", "cement"]
    coords = {"region": REGIONS, "year": YEARS, "sector": sectors}
    return {"factors": xr.Dataset(
        {"activity": (("region", "year"), r.uniform(50, 100, (len(REGIONS), YEARS.size)), {"units": "1e8 CNY"}),
         "intensity": (("region", "year", "sector"), r.uniform(0.5, 2, (len(REGIONS), YEARS.size, 2)),
                       {"units": "t CO2 / (1e4 CNY)"}),
         "share": (("sector",), [0.6, 0.4])},
        coords=coords)}


def _identity_inputs():
    """activity (year, sector), energy and emissions (year, sector, fuel), for sector_identity."""
    r = _rng(7)
    sectors = ["steel", "cement"]
    coords = {"year": YEARS, "sector": sectors, "fuel": FUELS}
    energy = xr.DataArray(r.uniform(1, 10, (YEARS.size, 2, len(FUELS))), dims=("year", "sector", "fuel"),
                          coords=coords, attrs={"units": "tce"})
    return {"activity": xr.DataArray(r.uniform(50, 100, (YEARS.size, 2)), dims=("year", "sector"),
                                     coords={"year": YEARS, "sector": sectors}, attrs={"units": "1e8 CNY"}),
            "energy": energy, "emissions": (energy * 2.5).assign_attrs(units="t CO2")}


def _registry() -> list[Entry]:
    from fastcarbon import accounting, decompose, grey, index, io, peaks, scenarios, uncertainty

    years_out = np.arange(2020, 2061)
    E = Entry
    return [
        E("fuel_emissions", lambda: {"energy": _energy(), "factors": _hj_factors()},
          lambda d: accounting.fuel_emissions(d["energy"], d["factors"]),
          finite=("energy", "factors"), units=("energy", "factors")),
        E("fuel_emissions[groups]", lambda: {"energy": _detailed_energy()},
          lambda d: accounting.fuel_emissions(d["energy"], "hj2021", groups=True),
          finite=("energy",), units=("energy",)),
        E("group_fuels", lambda: {"da": _detailed_energy()}, lambda d: io.group_fuels(d["da"], "hj2021")),
        # read back with from_iamc so the result is labelled; NaN is a valid (empty) IAMC cell
        E("to_iamc", lambda: {"data": _series()},
          lambda d: io.from_iamc(io.to_iamc(d["data"], model="m", scenario="RS", variable="Emissions|CO2")),
          time={"data": ("year", "increasing")}, units=("data",)),
        E("bottom_up", _tensor, lambda d: accounting.bottom_up(d["activity"], d["intensity"], d["factor"]),
          finite=("activity", "intensity", "factor"), units=("activity", "intensity", "factor")),
        E("potentials", lambda: {"result": accounting.bottom_up(**_scenario_tensor())},
          lambda d: accounting.potentials(d["result"], "RS")),
        E("entropy_weights", lambda: {"da": _indicators()},
          lambda d: index.entropy_weights(d["da"], "year", negative=["x1"]), finite=("da",)),
        E("obstacle_degree", lambda: {"data": _indicators()},
          lambda d: index.obstacle_degree(d["data"], "year", negative=["x1"]), finite=("data",)),
        E("fit_egm", lambda: {"da": _series()}, lambda d: grey.fit_egm(d["da"]),
          finite=("da",), time={"da": ("year", "equal")}, unnamed_dims=("year",)),
        E("forecast_egm", lambda: {"da": _series()}, lambda d: grey.forecast_egm(grey.fit_egm(d["da"]), 5),
          finite=("da",), time={"da": ("year", "equal")}, unnamed_dims=("year",)),
        E("fit_linear", lambda: {"da": _series()}, lambda d: grey.fit_linear(d["da"]),
          finite=("da",), time={"da": ("year", "equal")}, unnamed_dims=("year",)),
        E("forecast_linear", lambda: {"da": _series()}, lambda d: grey.forecast_linear(grey.fit_linear(d["da"]), 5),
          finite=("da",), time={"da": ("year", "equal")}, unnamed_dims=("year",)),
        E("backtest", lambda: {"da": _series()}, lambda d: grey.backtest(d["da"], horizon=2),
          finite=("da",), time={"da": ("year", "equal")}, unnamed_dims=("year",)),
        E("forecast_peak", lambda: {"observed": _series()},
          lambda d: grey.forecast_peak(d["observed"], grey.fit_egm(d["observed"]), horizon=10, by=2030),
          finite=("observed",), time={"observed": ("year", "equal")}, unnamed_dims=("year",),
          named={"observed": "da"}),
        E("peak", lambda: {"da": _series()}, lambda d: peaks.peak(d["da"], target=2015),
          finite=("da",), time={"da": ("year", "increasing")}, named={"da": "emissions"}),
        E("interpolate", lambda: {"values": _key_values()},
          lambda d: scenarios.interpolate(d["values"], years_out),
          finite=("values",), time={"values": ("year", "increasing")}),
        E("step", lambda: {"values": _key_values()}, lambda d: scenarios.step(d["values"], years_out),
          finite=("values",), time={"values": ("year", "increasing")}),
        E("constant_growth",
          lambda: {"base": _key_values().isel(year=0, drop=True),
                   "rate": xr.DataArray([0.03, -0.02], dims="region", coords={"region": ["A", "B"]})},
          lambda d: scenarios.constant_growth(d["base"], d["rate"], base_year=2020, years=years_out),
          finite=("base", "rate")),
        E("rate_schedule",
          lambda: {"base": _key_values().isel(year=0, drop=True),
                   "rates": xr.DataArray([0.0425, 0.05], dims="period", coords={"period": ["2021-2025", "2026-2030"]})},
          lambda d: scenarios.rate_schedule(d["base"], d["rates"], base_year=2020, years=range(2020, 2031)),
          finite=("base", "rates")),
        E("top_down_emissions",
          lambda: {"activity": _mc_inputs()["scenarios"].gdp, "intensity": _mc_inputs()["scenarios"].carbon_intensity,
                   "share": xr.DataArray([[0.5, 0.2], [0.2, 0.1]], dims=("sector", "fuel"),
                                         coords={"sector": ["steel", "cement"], "fuel": ["coal", "natural_gas"]})},
          lambda d: scenarios.top_down_emissions(d["activity"], d["intensity"], d["share"]),
          finite=("activity", "intensity", "share"), units=("activity", "intensity")),
        E("bottom_up_emissions", lambda: {"scenarios": xr.Dataset(dict(list(_scenario_tensor().items())[:2]))},
          lambda d: scenarios.bottom_up_emissions(d["scenarios"], _hj_factors()), finite=("scenarios",)),
        E("monte_carlo", _mc_inputs, lambda d: uncertainty.monte_carlo(d["scenarios"], 20, seed=1),
          finite=("scenarios",), time={"scenarios": ("year", "annual")}),
        E("monte_carlo:regions", _mc_region_inputs,
          lambda d: uncertainty.monte_carlo(d["scenarios"], 20, seed=1, stream_correlation=0.3),
          finite=("scenarios",), time={"scenarios": ("year", "annual")}),
        E("sweep.run", _mc_region_inputs, _sweep,
          finite=("scenarios",), time={"scenarios": ("year", "annual")}, named={"scenarios": "inputs"}),
        E("quantile_bands", _draws, lambda d: uncertainty.quantile_bands(d["emissions"]), finite=("emissions",)),
        E("peak_probability", _draws, lambda d: uncertainty.peak_probability(d["emissions"]),
          finite=("emissions",), time={"emissions": ("year", "increasing")}),
        E("peak_year_distribution", _draws, lambda d: uncertainty.peak_year_distribution(d["emissions"]),
          finite=("emissions",), time={"emissions": ("year", "increasing")}),
        E("prob_below", _draws, lambda d: uncertainty.prob_below(d["emissions"], 150.0, 2030),
          finite=("emissions",), time={"emissions": ("year", "increasing")}),
        E("summarize", _draws, lambda d: uncertainty.summarize(d["emissions"], target_year=2030),
          finite=("emissions",), time={"emissions": ("year", "increasing")}),
        E("ScenarioSet.build", _scenario_base, _build_scenarios, finite=("base",)),
        E("lmdi", _lmdi_factors, lambda d: decompose.lmdi(d["factors"], dim="year", over="sector"),
          finite=("factors",), units=("factors",)),
        E("sector_identity", _identity_inputs,
          lambda d: decompose.sector_identity(d["activity"], d["emissions"], energy=d["energy"], fuel_dim="fuel"),
          finite=("activity", "emissions", "energy"), units=("activity", "emissions", "energy")),
        E("fuel_mix_factors", lambda: {"energy": _energy(), "factors": _hj_factors()},
          lambda d: decompose.fuel_mix_factors(d["energy"], d["factors"]),
          finite=("energy", "factors"), units=("energy", "factors")),
        E("sobol_analyze", _sobol_outputs,
          lambda d: uncertainty.sobol_analyze(_PROBLEM, d["outputs"], seed=1, num_resamples=10),
          finite=("outputs",)),
    ]


_PROBLEM = {"names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}


def _sobol_outputs():
    from fastcarbon import uncertainty

    x = uncertainty.sobol_sample(_PROBLEM, 16, seed=1)
    y = (x.sel(param="a") + 2 * x.sel(param="b") ** 2).drop_vars("param", errors="ignore")
    return {"outputs": y.expand_dims(region=["A", "B"]).copy() * xr.DataArray([1.0, 2.0], dims="region")}


def _scenario_base():
    gdp = xr.DataArray([100.0, 50.0], dims="region", coords={"region": ["A", "B"]},
                       attrs={"units": "1e8 CNY", "long_name": "GDP"})
    ci = xr.DataArray([1.0, 2.0], dims="region", coords={"region": ["A", "B"]},
                      attrs={"units": "t CO2 / (1e4 CNY)", "long_name": "carbon intensity"})
    return {"base": xr.Dataset({"gdp": gdp, "ci": ci})}


def _build_scenarios(d):
    from fastcarbon.scenarios import Growth, Scenario, ScenarioSet

    scen = [Scenario("REF", {"gdp": Growth(0.05)}), Scenario("LOW", {"ci": Growth(-0.1)}, parent="REF")]
    return ScenarioSet(d["base"], scen, base_year=2020, years=range(2020, 2031)).build()


REGISTRY: list[Entry] = []


def registry() -> list[Entry]:
    """The entries (built once: the builders import the package)."""
    if not REGISTRY:
        REGISTRY.extend(_registry())
    return REGISTRY


# ----------------------------------------------------------------------- bad-input generators


def _variables(obj):
    """(name, DataArray) pairs of a DataArray slot or a Dataset slot's data variables."""
    if isinstance(obj, xr.Dataset):
        return list(obj.data_vars.items())
    return [(None, obj)]


@st.composite
def nonfinite(draw, obj):
    """``obj`` with one element set to +inf or -inf: (bad obj, variable name, position labels)."""
    var, da = draw(st.sampled_from(_variables(obj)))
    pos = tuple(draw(st.integers(0, n - 1)) for n in da.shape)
    value = draw(st.sampled_from([np.inf, -np.inf]))
    data = np.array(da.values, dtype=float)
    data[pos] = value
    bad = da.copy(data=data)
    labels = {d: _py(da[d].values[k]) for d, k in zip(da.dims, pos) if d in da.indexes}
    return (obj.assign({var: bad}) if var is not None else bad), var, labels


def _py(label):
    """A label as the user wrote it (a str stays a str; numpy scalars become Python ones)."""
    return label.item() if isinstance(label, np.generic) else label


def time_axis(obj, dim: str, kind: str):
    """``obj`` with its ``dim`` axis reversed, gapped (one year dropped), or given as strings."""
    if kind == "reversed":
        return obj.isel({dim: slice(None, None, -1)})
    if kind == "gapped":
        keep = [k for k in range(obj.sizes[dim]) if k != 2]
        return obj.isel({dim: keep})
    if kind == "strings":
        return obj.assign_coords({dim: [str(v) for v in obj[dim].values]})
    raise ValueError(kind)


def labelled_dims(obj) -> list[str]:
    return [d for d in obj.dims if d in obj.indexes and obj.sizes[d] >= 2]


@st.composite
def duplicated(draw, obj):
    """``obj`` with its second label along one labelled dim replaced by the first:
    (bad obj, dim, the duplicated label)."""
    dim = draw(st.sampled_from(labelled_dims(obj)))
    labels = list(obj[dim].values)
    labels[1] = labels[0]
    return obj.assign_coords({dim: labels}), dim, _py(labels[0])


def pandas_labels(obj, kind: str):
    """``obj`` with every string coordinate as pandas hands it over: ``object`` dtype (as from
    ``DataArray.from_series``), a categorical index, or pandas' ``str`` dtype."""
    out = obj
    for d in obj.dims:
        if d not in obj.indexes or obj[d].dtype.kind not in "UO":
            continue
        values = [str(v) for v in obj[d].values]
        if kind == "object":
            idx = pd.Index(np.array(values, dtype=object), name=d)
        elif kind == "categorical":
            idx = pd.CategoricalIndex(values, name=d)
        elif kind == "str":
            idx = pd.Index(values, dtype="str", name=d)
        else:
            raise ValueError(kind)
        out = out.assign_coords({d: idx})
    return out


def from_dataframe(obj):
    """``obj`` rebuilt the way a user builds it from a long pandas table:
    ``DataFrame -> set_index -> DataArray.from_series`` (object-dtype labels)."""
    if isinstance(obj, xr.Dataset):
        return xr.Dataset({k: from_dataframe(v) for k, v in obj.data_vars.items()}, attrs=obj.attrs)
    if obj.ndim == 0 or not all(d in obj.indexes for d in obj.dims):
        return obj
    frame = obj.to_series().reset_index()
    for d in obj.dims:
        if frame[d].dtype.kind not in "iuf":
            frame[d] = frame[d].astype(object)
    back = xr.DataArray.from_series(frame.set_index(list(obj.dims))[obj.name if obj.name is not None else 0])
    back.attrs = dict(obj.attrs)
    back.name = obj.name
    return back


def unknown_chunks(obj):
    """``obj`` dask-backed with chunk sizes dask does not know (as after boolean indexing)."""
    import dask.array as dsa

    def one(da):
        # a dim of unknown length can carry no coordinate: the first dim loses its labels
        data = _with_unknown(dsa.from_array(np.asarray(da.values), chunks=-1))
        coords = {d: da[d] for d in da.dims[1:] if d in da.coords}
        return xr.DataArray(data, dims=da.dims, coords=coords, attrs=da.attrs, name=da.name)

    if isinstance(obj, xr.Dataset):
        return xr.Dataset({k: one(v) for k, v in obj.data_vars.items()}, attrs=obj.attrs)
    return one(obj)


def _with_unknown(data):
    """The same dask array with its chunk sizes along the first axis forgotten."""
    import dask.array as dsa

    chunks = ((np.nan,) * len(data.chunks[0]),) + data.chunks[1:]
    return dsa.Array(data.dask, data.name, chunks, meta=data._meta)


def zero_length(obj, dim: str):
    """``obj`` with ``dim`` cut to length 0."""
    return obj.isel({dim: slice(0, 0)})


GARBAGE_UNITS = ["tce!!", "tce#x", "t CO2 of tce", "", "tce tce tce )"]
