"""Bottom-up accounting on plain numpy arrays (001 eqs. 2–4).

This layer knows shapes, not labels: it validates dtypes and shapes, expresses broadcasting of the
extra (batch) dims as row indices, chooses the serial or the parallel kernel, and turns the
kernel's report of a bad element into an :class:`InvalidValueError` carrying the index.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from fastcarbon import kernels
from fastcarbon._format import show, show_index
from fastcarbon.core._common import (
    PARALLEL_THRESHOLD,
)
from fastcarbon.core._common import as_float_array as _as_float_array
from fastcarbon.core._common import (
    check_no_alias,
    launch,
    out_array,
    out_fields,
    raise_if_not_finite,
    same_or_new,
    use_parallel,
    writeable,
)
from fastcarbon.errors import InputError, InvalidValueError, OverflowResultError

__all__ = ["bottom_up", "sector_fuel_totals", "BadValueError", "PARALLEL_THRESHOLD"]

_INPUT_NAMES = {
    kernels.BAD_ACTIVITY: "activity",
    kernels.BAD_INTENSITY: "intensity",
    kernels.BAD_FACTOR: "factor",
}
_OVERFLOWS = {kernels.BAD_ENERGY_OVERFLOW: "energy", kernels.BAD_EMISSIONS_OVERFLOW: "emissions"}


class BadValueError(InvalidValueError):
    """A negative, NaN or infinite input value, with where it was found.

    Attributes
    ----------
    variable : str
        ``"activity"``, ``"intensity"`` or ``"factor"``.
    index : tuple of int
        Position of the first bad element in that input as it was passed.
    value : float
        The offending value.
    """

    def __init__(self, variable: str, index: tuple[int, ...], value: float):
        self.variable, self.index, self.value = variable, index, value
        super().__init__(self.describe(show_index(index)))

    def describe(self, where: str, value: float | None = None) -> str:
        """The message, with the position stated as ``where`` (e.g. by coordinate labels) and
        ``value`` (default: the one found)."""
        allowed = "must be finite" if self.variable == "factor" else "must be finite and >= 0"
        value = self.value if value is None else value
        return f"{self.variable}: bad value {show(value)} at {where}; values {allowed}"


#: identity row maps (``arange(n)``) by length, for the last few lengths: the kernels only read
#: them, and a simulation loop calls with the same batch size again and again (np.arange is
#: ~0.5 µs of a ~0.1 ms call)
_IDENTITY_ROWS: dict[int, np.ndarray] = {}


def _rows(batch_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> np.ndarray:
    """Row of an input with batch shape ``batch_shape`` read by each row of ``out_shape``
    (read-only use: the identity map is shared between calls)."""
    if batch_shape == out_shape:  # the common case, without np.broadcast_to's few µs per call
        n = math.prod(out_shape)
        rows = _IDENTITY_ROWS.get(n)
        if rows is None:
            if len(_IDENTITY_ROWS) >= 8:
                _IDENTITY_ROWS.clear()
            rows = _IDENTITY_ROWS[n] = np.arange(n, dtype=np.int64)
        return rows
    own = np.arange(math.prod(batch_shape), dtype=np.int64).reshape(batch_shape)
    # np.ascontiguousarray keeps a broadcast view that is already contiguous (only leading dims
    # added), and such a view is read-only: see `writeable`.
    return writeable(np.ascontiguousarray(np.broadcast_to(own, out_shape)).reshape(-1))


def bottom_up(
    activity,
    intensity,
    factor,
    *,
    factor_layout: Literal["full", "sector_fuel", "fuel"] = "full",
    parallel: bool | None = None,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy and emissions by sector and fuel from the bottom-up tensor.

    .. math::

        E_{mn} = \\sum_i \\sum_j e_{n,j,i,m} P_{m,i,j}, \\qquad
        CE_{mn} = \\sum_i \\sum_j f_{n,j,i,m}\\, e_{n,j,i,m} P_{m,i,j}

    (Dai et al. 2025, *Green and Low-Carbon Economy*, eqs. 3–4, before the sums over m and n).

    Parameters
    ----------
    activity : array_like (..., M, I, J)
        Activity by sector m, process i, equipment j; finite and >= 0.
    intensity : array_like (..., M, I, J, N)
        Energy intensity by sector, process, equipment and fuel n; finite and >= 0.
    factor : array_like
        Emission factor, (..., M, I, J, N) when ``factor_layout="full"``; (..., M, N) or
        (..., 1, N) when ``"sector_fuel"`` (a factor that does not vary over process and
        equipment: then CE = f·E exactly and the factor tensor is never read); (..., N) when
        ``"fuel"``.  Finite; negative values (sinks) are allowed.
    factor_layout : {"full", "sector_fuel", "fuel"}
    parallel : bool, optional
        Force the serial (``False``) or multi-threaded (``True``) kernel.  By default the
        parallel kernel runs when the tensor has at least ``parallel_threshold`` elements
        (:func:`fastcarbon.set_options`; default :data:`PARALLEL_THRESHOLD`) and more than one
        thread is available.  Both give bit-identical results.
    out : (energy, emissions), optional
        Arrays to write the results into, as this function returns them (e.g. the result of an
        earlier call with the same shapes): writeable, C-contiguous float64 of shape (..., M, N),
        not sharing memory with the inputs or each other.  Returned, filled, bit-identical to the
        allocating call; a simulation loop then allocates its outputs once.  (Only O(batch · M)
        scratch remains per call; with a ``"sector_fuel"`` or ``"fuel"`` factor that adds batch
        dims of its own, also the (batch, M, N) energy before broadcasting.)

    Returns
    -------
    energy, emissions : ndarray (..., M, N)
        The leading dims are the broadcast of the inputs' leading dims.  With a ``"sector_fuel"``
        factor that adds batch dims, ``energy`` is a read-only broadcast view (a copy in ``out``:
        pass ``(energy.copy(), emissions)`` of the first call as ``out`` to later ones).

    Raises
    ------
    InputTypeError
        Non-numeric input.
    InputError
        Core shapes that disagree, or leading dims that do not broadcast.
    BadValueError
        A negative, NaN or infinite activity or intensity, or a non-finite factor; carries the
        first bad index.
    OverflowResultError
        Finite inputs whose energy or emissions exceed the float64 range; ``variable`` is
        ``"energy"`` or ``"emissions"``, ``index`` the first such element of that output.
    """
    if factor_layout not in ("full", "sector_fuel", "fuel"):
        raise InputError(f"factor_layout must be 'full', 'sector_fuel' or 'fuel', got {show(factor_layout)}")
    p = _as_float_array(activity, "activity")
    e = _as_float_array(intensity, "intensity")
    f = f_user = _as_float_array(factor, "factor")
    if factor_layout == "fuel":
        if f.ndim < 1:
            raise InputError(f"factor: needs a fuel axis for layout 'fuel', got shape {f.shape}")
        f, factor_layout = f[..., None, :], "sector_fuel"
    if p.ndim < 3:
        raise InputError(f"activity: needs at least 3 dims (sector, process, equipment), got shape {p.shape}")
    if e.ndim < 4:
        raise InputError(
            f"intensity: needs at least 4 dims (sector, process, equipment, fuel), got shape {e.shape}"
        )
    core = e.shape[-4:]
    if p.shape[-3:] != core[:3]:
        raise InputError(
            f"activity core shape {p.shape[-3:]} (sector, process, equipment) does not match "
            f"intensity core shape {core[:3]}"
        )
    n_core_f = 4 if factor_layout == "full" else 2
    if f.ndim < n_core_f:
        raise InputError(f"factor: needs at least {n_core_f} dims for layout {show(factor_layout)}, got shape {f.shape}")
    want_f = core if factor_layout == "full" else (core[0], core[3])
    if factor_layout == "sector_fuel" and f.shape[-2] == 1:
        want_f = (1, core[3])
    if f.shape[-n_core_f:] != want_f:
        raise InputError(
            f"factor core shape {f.shape[-n_core_f:]} does not match {want_f} required by "
            f"intensity shape {e.shape} with factor_layout={show(factor_layout)}"
        )

    bp, be, bf = p.shape[:-3], e.shape[:-4], f.shape[:-n_core_f]
    try:
        if bp == be == bf:  # the common case, without np.broadcast_shapes' few µs per call
            out_batch = work_batch = bp
        else:
            out_batch = np.broadcast_shapes(bp, be, bf)
            work_batch = np.broadcast_shapes(bp, be) if factor_layout == "sector_fuel" else out_batch
    except ValueError:
        raise InputError(
            f"leading (batch) dims do not broadcast: activity {bp}, intensity {be}, factor {bf}"
        ) from None
    n_m, n_i, n_j, n_n = core
    n_b = math.prod(work_batch)
    parallel = use_parallel(parallel, n_b * n_m * n_i * n_j * n_n)

    # explicit leading sizes: reshape(-1, ...) cannot infer one when a core dim is 0
    # (a 4-d activity, 5-d intensity and factor already are the kernels' layout: no reshape call)
    p2 = p if p.ndim == 4 else p.reshape((math.prod(bp), n_m, n_i, n_j))
    e2 = e if e.ndim == 5 else e.reshape((math.prod(be),) + core)
    rows_p = _rows(bp, work_batch)
    rows_e = rows_p if be == bp else _rows(be, work_batch)
    shape = out_batch + (n_m, n_n)
    if out is not None:
        out_e, out_ce = (out_array(a, f"out[{k}] ({name})", shape, np.float64)
                         for k, (a, name) in enumerate(zip(out_fields(out, ("energy", "emissions"), "bottom_up"),
                                                           ("energy", "emissions"))))
        check_no_alias({"out[0] (energy)": out_e, "out[1] (emissions)": out_ce},
                       {"activity": p, "intensity": e, "factor": f})
    # with out=, the kernel writes the caller's arrays (through a reshaped view: no copy)
    energy = np.empty((n_b, n_m, n_n)) if out is None or work_batch != out_batch else out_e.reshape(n_b, n_m, n_n)
    bad = np.empty((n_b, n_m, 2), dtype=np.int64)
    if factor_layout == "full":
        emissions = np.empty((n_b, n_m, n_n)) if out is None else out_ce.reshape(n_b, n_m, n_n)
        f2 = f if f.ndim == 5 else f.reshape((math.prod(bf),) + core)
        rows_f = rows_p if bf == bp else _rows(bf, work_batch)
        flagged = launch(kernels.sector_fuel_energy_emissions, kernels.sector_fuel_energy_emissions_parallel,
                         parallel, p2, e2, f2, rows_p, rows_e, rows_f, energy, emissions, bad)
        if flagged:  # the kernel's screen fired somewhere: find out what (or nothing: a -0.0)
            _raise_first_bad(bad, {"activity": (p, rows_p, 3), "intensity": (e, rows_e, 4), "factor": (f, rows_f, 4)},
                             work_batch, {"energy": energy, "emissions": emissions})
        if out is not None:
            return same_or_new(out, (out_e, out_ce))
        if energy.shape == shape:  # one batch dim: already the caller's shape
            return energy, emissions
        return energy.reshape(shape), emissions.reshape(shape)

    if launch(kernels.sector_fuel_energy, kernels.sector_fuel_energy_parallel, parallel,
              p2, e2, rows_p, rows_e, energy, bad):
        _raise_first_bad(bad, {"activity": (p, rows_p, 3), "intensity": (e, rows_e, 4)}, work_batch,
                         {"energy": energy}, len(out_batch))
    wild = ~np.isfinite(f_user)  # small: the factor has no process or equipment axes here
    if wild.any():
        idx = tuple(int(k) for k in np.unravel_index(np.flatnonzero(wild)[0], f_user.shape))
        raise BadValueError("factor", idx, float(f_user[idx]))
    energy = energy.reshape(work_batch + (n_m, n_n))
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised below, with its index
        # (…, M, N) × (…, M|1, N): small, not tensor-sized
        # into a C-ordered array (energy * f would take f's broadcast layout), so a result can
        # serve as a later call's out=
        emissions = np.multiply(energy, f, out=np.empty(shape) if out is None else out_ce)
    raise_if_not_finite(emissions, "emissions")
    if out is not None:
        if work_batch != out_batch:  # the factor added batch dims: energy is the same along them
            np.copyto(out_e, np.broadcast_to(energy, shape))
        return same_or_new(out, (out_e, out_ce))
    if energy.shape == emissions.shape:  # writeable, so the result can serve as a later call's out=
        return energy, emissions
    return np.broadcast_to(energy, emissions.shape), emissions


def sector_fuel_totals(matrix, *, parallel: bool | None = None,
                       out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals by sector, by fuel and overall of sector × fuel matrices (001 eqs. 3–4, the sums
    over n and m).

    Parameters
    ----------
    matrix : array_like (..., M, N)
        E or CE by sector and fuel, as returned by :func:`bottom_up`.
    parallel : bool, optional
        Force the serial or multi-threaded kernel (bit-identical); default: parallel when the
        matrix has at least ``parallel_threshold`` elements (:func:`fastcarbon.set_options`).
    out : (by_sector, by_fuel, total), optional
        Arrays to write into, as this function returns them (C-contiguous float64 of shapes
        (..., M), (..., N) and (...), writeable, not sharing memory with ``matrix``); returned,
        filled, bit-identical to the allocating call.

    Returns
    -------
    by_sector : ndarray (..., M)
        Σ over fuels, in fuel order.
    by_fuel : ndarray (..., N)
        Σ over sectors, in sector order.
    total : ndarray (...)
        Σ of ``by_sector``, in sector order.

    Raises
    ------
    OverflowResultError
        A non-finite value in ``matrix`` or a sum that overflows; ``variable`` is ``"matrix"``,
        ``"by_sector"``, ``"by_fuel"`` or ``"total"``.

    Examples
    --------
    >>> import numpy as np
    >>> by_sector, by_fuel, total = sector_fuel_totals(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> by_sector.tolist(), by_fuel.tolist(), float(total)
    ([3.0, 7.0], [4.0, 6.0], 10.0)
    """
    x = _as_float_array(matrix, "matrix")
    if x.ndim < 2:
        raise InputError(f"matrix: needs at least 2 dims (sector, fuel), got shape {x.shape}")
    batch, (n_m, n_n) = x.shape[:-2], x.shape[-2:]
    x2 = x.reshape((math.prod(batch), n_m, n_n))
    n_b = x2.shape[0]
    if out is None:
        by_sector, by_fuel, total = np.empty((n_b, n_m)), np.empty((n_b, n_n)), np.empty(n_b)
    else:
        names = ("by_sector", "by_fuel", "total")
        bufs = [out_array(a, f"out[{k}] ({name})", shp, np.float64) for k, (a, name, shp) in enumerate(
            zip(out_fields(out, names, "sector_fuel_totals"), names, (batch + (n_m,), batch + (n_n,), batch)))]
        check_no_alias({f"out[{k}] ({name})": a for k, (a, name) in enumerate(zip(bufs, names))}, {"matrix": x})
        by_sector, by_fuel, total = bufs[0].reshape(n_b, n_m), bufs[1].reshape(n_b, n_n), bufs[2].reshape(n_b)
    parallel = use_parallel(parallel, x.size)
    launch(kernels.sector_fuel_totals, kernels.sector_fuel_totals_parallel, parallel, x2, by_sector, by_fuel, total)
    if out is not None:
        by_sector, by_fuel, total = bufs = same_or_new(out, tuple(bufs))
    else:
        by_sector, by_fuel = by_sector.reshape(batch + (n_m,)), by_fuel.reshape(batch + (n_n,))
        total = total.reshape(batch)
    # Any non-finite matrix value or by-sector sum makes its row's total non-finite, so the small
    # total and by-fuel arrays are all that is read; the culprit is looked for only on failure.
    if not (np.isfinite(total).all() and np.isfinite(by_fuel).all()):
        for name, arr in (("matrix", x), ("by_sector", by_sector), ("by_fuel", by_fuel), ("total", total)):
            raise_if_not_finite(arr, name)
    return bufs if out is not None else (by_sector, by_fuel, total)


def _raise_first_bad(
    bad: np.ndarray, inputs: dict, work_batch: tuple[int, ...], matrices: dict, out_ndim: int | None = None
) -> None:
    """Raise :class:`BadValueError` (or :class:`OverflowResultError`, from the output
    ``matrices`` by name) for the first flagged (b, m) work item, in row-major order.

    ``out_ndim``: leading dims of the returned outputs when more than ``work_batch`` has (a factor
    with extra dims of its own); an overflow's index gets 0 there, where the energy is the same."""
    flagged = bad[..., 0] >= 0
    if not flagged.any():
        return
    b, m = np.unravel_index(np.flatnonzero(flagged)[0], flagged.shape)
    code, flat = bad[b, m]
    if int(code) in _OVERFLOWS:  # clean inputs, a sum over process and equipment overflowed
        pad = (0,) * ((out_ndim or len(work_batch)) - len(work_batch))
        idx = tuple(int(k) for k in (*pad, *np.unravel_index(int(b), work_batch), m, flat))
        value = float(matrices[_OVERFLOWS[int(code)]][(int(b), int(m), int(flat))])
        raise OverflowResultError(_OVERFLOWS[int(code)], idx, value)
    name = _INPUT_NAMES[int(code)]
    arr, rows, n_core = inputs[name]
    core = arr.shape[-n_core:]
    # flat indexes the (i, j, n) slice of the intensity; activity has no fuel axis.
    n_n = inputs["intensity"][0].shape[-1]
    i_j_n = np.unravel_index(int(flat), core[1:] + ((n_n,) if n_core == 3 else ()))
    inner = i_j_n[: n_core - 1]
    lead = np.unravel_index(int(rows[b]), arr.shape[:-n_core]) if arr.ndim > n_core else ()
    idx = tuple(int(k) for k in (*lead, m, *inner))
    raise BadValueError(name, idx, float(arr[idx]))
