"""Every bad-input class of issue 10 against every public function it applies to.

The functions and what their inputs promise are the registry in ``tests/strategies.py``
(:func:`strategies.registry`); each class below is one generator there.  The rules checked:

- a bad input raises a :class:`fastcarbon.errors.FastcarbonError` (never a raw numpy, pandas,
  xarray or dask error, never a silent result) whose message names the argument and, where the
  class has one, the offending label;
- labels that come from pandas (object, ``str`` and categorical dtype) give the same result as
  plain numpy labels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from fastcarbon.errors import FastcarbonError, FastcarbonWarning, InvalidValueError, UnitError

ENTRIES = S.registry()
_few = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))


def _ids(params):
    return [p[0].name + ":" + p[1] for p in params]


def _run(entry, inputs):
    """Call ``entry`` and compute any lazy result, as a user reading it would."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FastcarbonWarning)
        out = entry.call(inputs)
    if isinstance(out, (xr.Dataset, xr.DataArray)):
        out = out.compute()
    return out


def _expect_error(entry, inputs, *must_contain, kind=FastcarbonError):
    """The call raises ``kind`` (a FastcarbonError) whose message contains each of
    ``must_contain``; any other exception fails the test, and so does a result."""
    try:
        out = _run(entry, inputs)
    except FastcarbonError as err:
        assert isinstance(err, kind), f"{entry.name}: {type(err).__name__} is not a {kind.__name__}: {err}"
        msg = str(err)
        for part in must_contain:
            assert part in msg, f"{entry.name}: {part!r} not in the message {msg!r}"
        assert "np." not in msg, f"{entry.name}: numpy repr in {msg!r}"
        return err
    pytest.fail(f"{entry.name}: no error; returned {type(out).__name__}")


def _slots(entry, attr):
    return [(entry, slot) for slot in getattr(entry, attr)]


# ---------------------------------------------------------------------------- 1: non-finite


@pytest.mark.parametrize(("entry", "slot"), [p for e in ENTRIES for p in _slots(e, "finite")],
                         ids=_ids([p for e in ENTRIES for p in _slots(e, "finite")]))
@_few
@given(data=st.data())
def test_nonfinite_input_raises_naming_argument_and_labels(entry, slot, data):
    inputs = entry.make()
    bad, var, labels = data.draw(S.nonfinite(inputs[slot]))
    inputs[slot] = bad
    shown = [f"{d}={v!r}" for d, v in labels.items() if d not in entry.unnamed_dims]
    _expect_error(entry, inputs, var if var is not None else entry.arg(slot), *shown, kind=InvalidValueError)


# ---------------------------------------------------------------------------- 2: time axis

_TIME = [(e, slot, kind) for e in ENTRIES for slot in e.time for kind in ("reversed", "gapped", "strings")]


@pytest.mark.parametrize(("entry", "slot", "kind"), _TIME, ids=[f"{e.name}:{s}:{k}" for e, s, k in _TIME])
def test_time_axis_rule(entry, slot, kind):
    dim, rule = entry.time[slot]
    inputs = entry.make()
    good = _run(entry, inputs)
    inputs[slot] = S.time_axis(inputs[slot], dim, kind)
    if kind == "gapped" and rule == "increasing":
        _run(entry, inputs)  # gapped years are allowed where steps may differ
        return
    hint = {"reversed": ".sortby(", "gapped": "consecutive" if rule == "annual" else "equally spaced",
            "strings": "numeric"}[kind]
    _expect_error(entry, inputs, entry.arg(slot), repr(dim), hint)
    assert good is not None


# ---------------------------------------------------------------------------- 3: duplicate labels

_DUP = [(e, slot) for e in ENTRIES for slot in e.labelled_slots() if S.labelled_dims(e.make()[slot])]


@pytest.mark.parametrize(("entry", "slot"), _DUP, ids=_ids(_DUP))
@_few
@given(data=st.data())
def test_duplicate_labels_raise_naming_dim_and_label(entry, slot, data):
    inputs = entry.make()
    inputs[slot], dim, label = data.draw(S.duplicated(inputs[slot]))
    _expect_error(entry, inputs, entry.arg(slot), repr(dim), repr(label), "duplicated")


# ---------------------------------------------------------------------------- 4: shapes


# a Dataset cannot hold a dim of unknown length in several variables (xarray refuses to align
# them when it is built): DataArray inputs only
_CHUNKS = [(e, slot) for e, slot in _DUP if isinstance(e.make()[slot], xr.DataArray)]


@pytest.mark.parametrize(("entry", "slot"), _CHUNKS, ids=_ids(_CHUNKS))
def test_unknown_dask_chunks_raise_with_the_fix(entry, slot):
    inputs = entry.make()
    inputs[slot] = S.unknown_chunks(inputs[slot])
    _expect_error(entry, inputs, entry.arg(slot), "compute_chunk_sizes")


_ZERO = [(e, slot, d) for e, slot in _DUP for d in e.make()[slot].dims]


@pytest.mark.parametrize(("entry", "slot", "dim"), _ZERO, ids=[f"{e.name}:{s}:{d}" for e, s, d in _ZERO])
def test_zero_length_dim_raises_naming_it(entry, slot, dim):
    inputs = entry.make()
    inputs[slot] = S.zero_length(inputs[slot], dim)
    _expect_error(entry, inputs, entry.arg(slot), repr(dim), "empty")


# ---------------------------------------------------------------------------- 6: pandas labels

_PANDAS = [(e, slot, kind) for e, slot in _DUP for kind in ("object", "categorical", "str", "dataframe")]


def _same(a, b):
    if isinstance(a, xr.Dataset):
        assert set(a.data_vars) == set(b.data_vars)
        for k in a.data_vars:
            _same(a[k], b[k])
        return
    if isinstance(a, xr.DataArray):
        b = b.transpose(*a.dims)
        for d in a.dims:
            if d in a.indexes:  # same labels; a table read back may list them in another order
                mine, theirs = [str(v) for v in a.indexes[d]], [str(v) for v in b.indexes[d]]
                assert sorted(mine) == sorted(theirs)
                b = b.isel({d: [theirs.index(v) for v in mine]})
        # labels read back from a table may come sorted: sums then run in another order
        np.testing.assert_allclose(np.asarray(a.values), np.asarray(b.values), rtol=1e-13, atol=0)
        return
    assert a == b


@pytest.mark.parametrize(("entry", "slot", "kind"), _PANDAS, ids=[f"{e.name}:{s}:{k}" for e, s, k in _PANDAS])
def test_labels_from_pandas_give_the_same_result(entry, slot, kind):
    inputs = entry.make()
    good = _run(entry, inputs)
    obj = inputs[slot]
    inputs[slot] = S.from_dataframe(obj) if kind == "dataframe" else S.pandas_labels(obj, kind)
    _same(good, _run(entry, inputs))


# ---------------------------------------------------------------------------- 7: units

_UNITS = [(e, slot, u) for e in ENTRIES for slot in e.units for u in S.GARBAGE_UNITS]


@pytest.mark.parametrize(("entry", "slot", "units"), _UNITS, ids=[f"{e.name}:{s}:{u!r}" for e, s, u in _UNITS])
def test_garbage_units_raise_a_unit_error(entry, slot, units):
    inputs = entry.make()
    inputs[slot] = inputs[slot].assign_attrs(units=units)
    _expect_error(entry, inputs, entry.arg(slot), repr(units), kind=UnitError)
