"""What every numpy-API module shares: the float64 input check and the serial/parallel choice."""

from __future__ import annotations

import math
import os
import sys
import threading
import weakref

import numba
import numpy as np

from fastcarbon import _options
from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError, OverflowResultError, TimeAxisError

__all__ = ["PARALLEL_THRESHOLD", "as_float_array", "check_time_values", "raise_if_not_finite", "show_number",
           "use_parallel", "launch", "out_fields", "out_array", "check_no_alias", "column_block",
           "named_buffers", "same_or_new", "writeable", "empty_arrays"]

#: Elements below which the kernels run serial by default: the default of the option
#: ``parallel_threshold`` (:func:`fastcarbon.set_options`), which is what dispatch reads; kept
#: under this name for compatibility.  Waking the second thread costs tens of microseconds idle
#: and milliseconds when another process holds a core; benchmarks/threads_busy.py measures where
#: two threads stop losing to one on a busy 2-vCPU machine (benchmarks/README.md).
PARALLEL_THRESHOLD = _options.DEFAULTS["parallel_threshold"]


_F64 = np.dtype(np.float64)


def as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a C-contiguous float64 array (no copy when it already is one), or an
    :class:`InputTypeError` naming ``name`` when it is not real numbers."""
    # the usual input, a C-contiguous float64 ndarray of >= 1 dim, as it is without the two numpy
    # calls below (~0.4 us each call); ascontiguousarray would return this very object
    if type(x) is np.ndarray and x.dtype == _F64 and x.ndim and x.flags.c_contiguous:
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: data must be real numbers (int or float), got dtype {arr.dtype}")
    # float64 throughout: the kernels are compiled for one dtype (one compile, one cache entry).
    return np.ascontiguousarray(arr, dtype=np.float64)


def writeable(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself when it is writeable, else a copy of it.

    For the small arrays this layer derives (row indices, positions, weights): a broadcast view is
    read-only, and numba types a read-only array as a different type, so passing one would compile
    the kernel a second time (2-8 s for the bottom-up kernels) and cache a second copy of it.
    """
    return arr if arr.flags.writeable else arr.copy()


#: Total bytes from which :func:`empty_arrays` carves a call's outputs from one allocation: glibc's
#: initial mmap threshold (128 KiB).  Below it every array comes from the heap anyway.
CARVE_FROM = 1 << 17
_ITEMSIZE = {t: np.dtype(t).itemsize for t in (np.float64, np.int8, np.int32, np.int64, np.bool_, np.uint64)}
_ALIGN = 64  # a cache line: every carved array starts on one (and is numpy-"aligned" for numba)


def empty_arrays(specs) -> list[np.ndarray]:
    """Uninitialised C-contiguous writeable arrays of the given ``(shape, dtype)`` specs, as
    ``np.empty`` would give them, but carved from one allocation when they total
    :data:`CARVE_FROM` bytes or more (each on a 64-byte boundary; ``.base`` is the block).

    Why: a call that returns several arrays of a few hundred kB (a grey fit of 1e4 series: four
    (B, n) float64 arrays of 0.8 MB and five small ones) allocates each above glibc's mmap
    threshold; when they are freed, glibc's heap top exceeds its trim threshold (twice the largest
    freed chunk) and goes back to the kernel, so the next call page-faults every output page
    again.  In this Firecracker VM a fault costs ~3 us per 4 kB page: 2.2 ms for three fresh
    1 MB arrays written once, against 2 us for one 3 MB array reused by malloc
    (benchmarks/README.md, "Allocation").  One block per call is one chunk that malloc recycles.
    The price: the arrays of one call share their memory's lifetime (keeping one keeps the block).
    Blocks up to :data:`POOL_MAX_BLOCK` are also kept once freed, up to :data:`POOL_BYTES` in all,
    and handed to the next call that fits (:func:`_block`), so a loop's outputs stay mapped.
    """
    # a small call (an embedding loop's) pays ~2 us here for ten arrays on top of their np.empty calls
    sizes = [math.prod(shape) * (_ITEMSIZE.get(dtype) or np.dtype(dtype).itemsize) for shape, dtype in specs]
    if sum(sizes) < CARVE_FROM:
        return [np.empty(shape, dtype) for shape, dtype in specs]
    offsets, total = [], 0
    for nbytes in sizes:
        offsets.append(total)
        total += -(-nbytes // _ALIGN) * _ALIGN
    block = _block(total + _ALIGN)
    start = -block.ctypes.data % _ALIGN
    # np.ndarray on the block's buffer: one call per array (~0.4 us, against ~0.9 for slice + view
    # + reshape); .base is the block
    return [np.ndarray(shape, dtype, block, start + o) for o, (shape, dtype) in zip(offsets, specs)]


#: Blocks of :func:`empty_arrays` up to this size are kept for reuse (:func:`_block`) ...
POOL_MAX_BLOCK = 32 << 20
#: ... up to this many bytes in all, least recently used dropped first.
POOL_BYTES = 64 << 20
_POOL: list[np.ndarray] = []  # uint8 blocks, least recently used first
# The free test reads reference counts: exact in CPython with the GIL, not in a free-threaded
# build (counts split between threads), where no block is kept.
_REFCOUNTS_EXACT = sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()
_POOL_LOCK = threading.Lock()


def _reset_pool() -> None:
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()  # a fork may copy the lock held by another thread
    _POOL.clear()


os.register_at_fork(after_in_child=_reset_pool)


def _block(nbytes: int) -> np.ndarray:
    """A uint8 array of at least ``nbytes``: a kept block nothing else refers to any more, else a new one.

    Why keep them: malloc hands a freed block back only while glibc has not trimmed its heap,
    and any numpy work with several temporaries between two fits makes it trim (measured with
    ``benchmarks/egm_interleaved.py``: a fit of 1e4 series then page-faults its 3.4 MB of
    outputs anew, 2.3 ms of a 4.6 ms labelled call).  A block is free when only this list refers
    to it: every array carved from it holds it as ``.base`` (and so do views of those arrays,
    numba's references to them, memoryviews), so a block is never reused while any of its arrays
    is alive.  CPython's reference count says so exactly; the check runs under a lock, and the
    caller's own reference claims the block before the lock is released.
    """
    if nbytes > POOL_MAX_BLOCK or not _REFCOUNTS_EXACT:
        return np.empty(nbytes, dtype=np.uint8)
    with _POOL_LOCK:
        for k in range(len(_POOL)):  # (not enumerate: its tuple would hold one more reference)
            b = _POOL[k]
            # 3 references when free: the list, `b`, getrefcount's argument
            if nbytes <= b.size <= 2 * nbytes and sys.getrefcount(b) == 3:
                del _POOL[k]
                _POOL.append(b)
                return b
        b = np.empty(nbytes, dtype=np.uint8)
        _POOL.append(b)
        total = sum(x.size for x in _POOL)
        while total > POOL_BYTES and len(_POOL) > 1:
            # dropped from the list only: arrays still using it keep it alive
            total -= _POOL.pop(0).size
        return b


def use_parallel(parallel: bool | None, size: int, threshold: int | None = None, *,
                 option: str = "parallel_threshold") -> bool:
    """The caller's choice, or by default: parallel kernels from ``threshold`` elements on (None:
    the current value of the option ``option``, :func:`fastcarbon.set_options`), when the
    kernels would get more than one thread (serial and parallel results are bit-identical)."""
    if parallel is None:
        if size < (_options.OPTIONS[option] if threshold is None else threshold):
            return False
        n = _options.OPTIONS["num_threads"]
        return (numba.get_num_threads() if n is None else n) > 1
    return bool(parallel)


def launch(serial, parallel_kern, parallel: bool, *args):
    """Call ``parallel_kern(*args)`` when ``parallel`` (on ``num_threads`` threads when that option
    is set, restored afterwards; numba's thread count is per calling thread), else ``serial(*args)``."""
    if not parallel:
        return serial(*args)
    n = _options.OPTIONS["num_threads"]
    if n is None:
        return parallel_kern(*args)
    before = numba.get_num_threads()
    if n == before:
        return parallel_kern(*args)
    numba.set_num_threads(n)
    try:
        return parallel_kern(*args)
    finally:
        numba.set_num_threads(before)


#: what each step rule of check_time_values means, for its messages
STEP_RULES = {
    "annual": "consecutive years (the method steps one year at a time)",
    "equal": "equally spaced (the method assumes equal steps)",
    "increasing": "strictly increasing",
}


def check_time_values(values, name: str, steps: str = "increasing", *,
                      sort_hint: str = "np.argsort on the years, applied to the data too",
                      fill_hint: str | None = None, type_hint: str | None = None) -> np.ndarray:
    """The one time-axis rule, for the numpy API and (through
    :func:`fastcarbon._validate.check_time`) the labelled one: ``values`` as float64, or an
    error naming ``name`` and the fix.

    Times are real numbers (not strings, not datetimes), finite and strictly increasing;
    with ``steps="annual"`` consecutive integers (a recursion year on year, an AR(1)); with
    ``steps="equal"`` equally spaced (grey models).  Disorder is never sorted silently: a rate
    applied year to year would run backwards; ``sort_hint`` says how to sort, ``fill_hint`` how to
    fill gaps, ``type_hint`` how to turn non-numbers into years.
    """
    raw = np.asarray(values)
    if raw.dtype.kind not in "iuf":
        shown = ", ".join(show(v) for v in raw.reshape(-1)[:3])
        hint = type_hint or ("pass .dt.year" if raw.dtype.kind == "M"
                             else "convert them to numbers, e.g. .astype(int)")
        raise InputTypeError(f"{name} must be numeric years, got {shown}{', ...' if raw.size > 3 else ''} "
                             f"(dtype {raw.dtype}); {hint}")
    t = raw.astype(np.float64).reshape(-1)
    if _time_ok(t, steps):  # the usual case, checked cheaply (tens of years: plain Python)
        return t
    if not np.isfinite(t).all():
        k = int(np.flatnonzero(~np.isfinite(t))[0])
        raise TimeAxisError(f"{name} must be finite, got {show_number(t[k])} at position {k}")
    step = np.diff(t)
    if (step <= 0).any():
        k = int(np.flatnonzero(step <= 0)[0])
        what = "is repeated" if step[k] == 0 else f"is followed by {show_number(t[k + 1])}"
        raise TimeAxisError(
            f"{name} must be strictly increasing; {show_number(t[k])} {what}. "
            f"{'Drop the repeated years' if step[k] == 0 else 'Sort with ' + sort_hint}"
        )
    if steps == "annual":
        bad = (step != 1) | (t[1:] != np.round(t[1:]))
    elif steps == "equal":
        bad = np.abs(step - step[0]) > 1e-9 * np.abs(step[0])  # np.isclose costs ~20 us a call
    elif steps == "increasing":
        return t
    else:  # a programming error, not the user's
        raise ValueError(f"steps: {show(steps)}")
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        if steps == "annual":
            fix = f"fill the missing years first (e.g. {fill_hint or 'interpolate'} over every year)"
        else:
            fix = f"resample to equal steps first (e.g. {fill_hint or 'interpolate'})"
        raise TimeAxisError(
            f"{name} must be {STEP_RULES[steps]}; {show_number(t[k])} is followed by "
            f"{show_number(t[k + 1])}; {fix}"
        )
    return t


def _time_ok(t: np.ndarray, steps: str) -> bool:
    """Whether ``t`` passes :func:`check_time_values` (no message; a few microseconds where
    numpy's per-call overhead would cost tens)."""
    if t.size > 512:
        step = np.diff(t)
        ok = bool(np.isfinite(t).all() and (step > 0).all())
        if ok and steps == "annual":
            ok = bool((step == 1).all() and (t == np.round(t)).all())
        elif ok and steps == "equal" and step.size:
            ok = bool((np.abs(step - step[0]) <= 1e-9 * abs(step[0])).all())
        return ok
    v = t.tolist()
    if not all(math.isfinite(x) for x in v):
        return False
    diffs = [b - a for a, b in zip(v, v[1:])]
    if not all(d > 0 for d in diffs):
        return False
    if steps == "annual":
        return all(d == 1 for d in diffs) and all(x == round(x) for x in v)
    if steps == "equal" and diffs:
        return all(abs(d - diffs[0]) <= 1e-9 * abs(diffs[0]) for d in diffs)
    return True


def show_number(x) -> str:
    """A year or a value as people write it: 2021, not 2021.0 or np.float64(2021.0)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
def raise_if_not_finite(result: np.ndarray, variable: str, hint="") -> None:
    """Raise :class:`~fastcarbon.errors.OverflowResultError` naming ``variable`` and the index of
    the first non-finite element of ``result``, an output computed from finite inputs.

    ``hint(index)``, when given as a callable, says more about that element (e.g. which draw);
    a string is used as is.  The shared check of every numpy-API function that can overflow."""
    wild = ~np.isfinite(result)
    if wild.any():
        idx = tuple(int(k) for k in np.unravel_index(int(np.argmax(wild)), wild.shape))
        raise OverflowResultError(variable, idx, float(result[idx]), hint=hint(idx) if callable(hint) else hint)


# --- out= buffers ---------------------------------------------------------------------------------
# The rule, the same in every family: ``out`` is what the function returns (its NamedTuple, or a
# plain tuple of the same arrays in the same order; an ndarray where it returns one), e.g. the
# result of an earlier call with the same shapes.  Every array is written in place and the result
# is returned on those arrays, bit-identical to the allocating call.


def out_fields(out, names: tuple[str, ...], function: str) -> tuple:
    """The fields of ``out`` (a tuple of ``len(names)`` items), or an :class:`InputTypeError`
    saying what ``function`` expects."""
    if not isinstance(out, tuple) or len(out) != len(names):
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else f"{type(out).__name__}"
        raise InputTypeError(f"out: {function} takes a tuple ({', '.join(names)}) as it returns (e.g. an earlier "
                             f"call's result with the same shapes), got {got}")
    return tuple(out)


def out_array(arr, name: str, shape: tuple[int, ...], dtype, *, contiguous: bool = True) -> np.ndarray:
    """``arr`` if it is a writeable array of ``shape`` and ``dtype`` (C-contiguous when
    ``contiguous``: a kernel writes it through a reshaped view), else an error naming ``name``."""
    dtype = np.dtype(dtype)
    if not isinstance(arr, np.ndarray):
        raise InputTypeError(f"{name}: must be a numpy array of dtype {dtype} and shape {shape}, got "
                             f"{type(arr).__name__}")
    if arr.dtype != dtype:
        raise InputError(f"{name}: must have dtype {dtype}, got {arr.dtype} (shape {arr.shape})")
    if arr.shape != tuple(shape):
        raise InputError(f"{name}: must have shape {tuple(shape)}, got {arr.shape}")
    if contiguous and not arr.flags.c_contiguous:
        raise InputError(f"{name}: must be C-contiguous (the kernel writes it as one block), got strides "
                         f"{arr.strides}; pass np.ascontiguousarray(...) once and reuse it")
    if not arr.flags.writeable:
        raise InputError(f"{name}: must be writeable (got a read-only array, e.g. a broadcast view)")
    return arr


def _owner(a: np.ndarray):
    """The array that owns ``a``'s memory, or None when that is not a numpy allocation (a buffer
    from elsewhere: mmap, bytes)."""
    o = a if a.base is None else a.base
    return o if isinstance(o, np.ndarray) and o.base is None else None


def check_no_alias(outputs: dict, inputs: dict) -> None:
    """An :class:`InputError` when an out buffer shares memory with an input or another buffer
    (the kernels read the inputs while writing the outputs).

    Arrays of two different numpy allocations cannot overlap, so the arrays are grouped by the
    allocation that owns them and only arrays of one group (or of a foreign buffer: mmap, bytes)
    are compared, by ``np.may_share_memory`` (bounds: O(1), never a false "no").  The usual
    call is one attribute lookup per array."""
    groups: dict[int, list] = {}
    foreign = []
    for is_out, items in ((True, outputs), (False, inputs)):
        for name, arr in items.items():
            if not isinstance(arr, np.ndarray) or not arr.size:
                continue
            own = _owner(arr)
            (foreign if own is None else groups.setdefault(id(own), [])).append((name, arr, is_out))
    suspects = [g for g in groups.values() if len(g) > 1]
    if foreign:  # compared with everything
        everything = [item for g in groups.values() for item in g] + foreign
        suspects = [everything]
    for group in suspects:
        for k, (name, arr, is_out) in enumerate(group):
            for other, brr, other_out in group[k + 1:]:
                if not (is_out or other_out) or not np.may_share_memory(arr, brr):
                    continue
                if is_out and other_out:
                    raise InputError(f"{name} and {other}: share memory; every out= buffer must be its own array")
                out_name, in_name = (name, other) if is_out else (other, name)
                raise InputError(f"{out_name}: shares memory with the input {in_name}; out= buffers must be "
                                 f"separate arrays (the kernel reads {in_name} while writing {out_name})")


#: :func:`column_block`'s recent answers, by the columns' ids: weak references to the columns and
#: their owner, their geometry, and where the block lies in the owner.  Weak references only, so
#: the memo keeps none of a caller's memory alive; an entry is used only when the very same
#: column objects come back with the same shapes, strides and dtypes (a loop passing its previous
#: result as ``out=``).  A hit costs ~1 us against ~5 us for the check (three ``.ctypes.data``
#: lookups and the owner's, ~0.8 us each).
_BLOCK_MEMO: dict = {}
_BLOCK_MEMO_SIZE = 16


def _geometry(columns, owner) -> tuple:
    return tuple((c.shape, c.strides, c.dtype) for c in columns) + ((owner.shape, owner.dtype),)


def column_block(columns, n_rows: int, dtype) -> np.ndarray | None:
    """The (n_rows, k) C-ordered array whose columns are ``columns`` (as a function returns them:
    e.g. ``GreyFit.C, .P, .mape`` are the columns of the kernel's stats array), or None when they
    are not such views (the caller then writes a scratch block and copies).

    Checked through ``.base`` (numpy keeps the owning array there) and data pointers: a few
    microseconds, where building the block with ``as_strided`` cost tens; the same columns again
    (by identity and geometry, :data:`_BLOCK_MEMO`) skip the data pointers."""
    k = len(columns)
    owner = columns[0].base
    if (not isinstance(owner, np.ndarray) or not owner.flags.c_contiguous or not owner.flags.writeable
            or any(c.base is not owner for c in columns)):
        return None
    key = (tuple(map(id, columns)), n_rows, dtype)
    hit = _BLOCK_MEMO.get(key)
    if hit is not None:
        refs, geometry, owner_ref, place = hit
        if (owner_ref() is owner and all(r() is c for r, c in zip(refs, columns))
                and geometry == _geometry(columns, owner)):
            return _block_at(owner, place, n_rows, k, dtype)
    place = _block_place(columns, owner, n_rows, k, dtype)
    if place is None:
        return None
    if n_rows:
        if len(_BLOCK_MEMO) >= _BLOCK_MEMO_SIZE:
            _BLOCK_MEMO.clear()
        _BLOCK_MEMO[key] = (tuple(weakref.ref(c) for c in columns), _geometry(columns, owner),
                            weakref.ref(owner), place)
    return _block_at(owner, place, n_rows, k, dtype)


def _block_at(owner: np.ndarray, place, n_rows: int, k: int, dtype) -> np.ndarray:
    """The block :func:`_block_place` found: ``"whole"`` (the owner itself, reshaped) or
    ``(offset, nbytes)`` into an owner of bytes."""
    if place == "whole":
        return owner if owner.shape == (n_rows, k) else owner.reshape(n_rows, k)
    offset, nbytes = place
    return owner[offset:offset + nbytes].view(dtype).reshape(n_rows, k)


def _block_place(columns, owner: np.ndarray, n_rows: int, k: int, dtype):
    """Where in ``owner`` the block whose columns are ``columns`` lies (see :func:`_block_at`),
    or None when they are not its columns."""
    if owner.size == n_rows * k and owner.dtype == dtype:
        place = "whole"
    elif owner.dtype == np.uint8 and owner.ndim == 1 and n_rows:
        # a block carved by empty_arrays: the columns' block is the bytes from column 0 on
        offset, nbytes = columns[0].ctypes.data - owner.ctypes.data, n_rows * k * np.dtype(dtype).itemsize
        if offset < 0 or offset + nbytes > owner.size:
            return None
        place = (offset, nbytes)
    else:
        return None
    if n_rows == 0:
        return place
    block = _block_at(owner, place, n_rows, k, dtype)
    item = block.itemsize
    addr = block.ctypes.data
    for i, c in enumerate(columns):
        # column i of the block: starts at element i, then every k-th element in C order of its shape
        step = k * item
        for size, stride in zip(reversed(c.shape), reversed(c.strides)):
            if size > 1 and stride != step:
                return None
            step *= size
        if c.ctypes.data != addr + i * item:
            return None
    return place


def named_buffers(out, cls, function: str, specs: dict, inputs: dict) -> dict:
    """The fields of ``out`` (a ``cls`` NamedTuple or a tuple in its field order) checked against
    ``specs`` (field -> (shape, dtype)) and against aliasing with ``inputs``, by field name."""
    fields = dict(zip(cls._fields, out_fields(out, cls._fields, function)))
    given = {k: out_array(fields[k], f"out.{k}", shape, dtype) for k, (shape, dtype) in specs.items()}
    check_no_alias({f"out.{k}": v for k, v in given.items()}, inputs)
    return given


def same_or_new(out, result):
    """``out`` itself when it is already ``result`` field for field (the caller's object back),
    else ``result``."""
    same = isinstance(out, type(result)) and all(a is b or (type(a) is int and a == b) for a, b in zip(out, result))
    return out if same else result
