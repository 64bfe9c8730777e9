"""Load fastcarbon's cached kernels without numba's first target refresh.

Before numba loads any function from its on-disk cache it calls ``target_context.refresh()``
(``numba.core.caching.Cache.load_overload``).  The first refresh of a process imports and
installs every typing and lowering registry numba has (``numba.cpython.unicode``, ``charseq``,
``numba.np.arraymath``, the third-party extensions, ...) and compiles the NRT runtime: what a
*compiler* needs.  Loading cached machine code needs none of it, only that every external
symbol the object code refers to resolves.  Measured on the development machine (2026-12-04,
numba 0.68.1): the first call of ``bottom_up`` in a new process took 0.17-0.19 s with the
refresh, 0.03-0.06 s without; of those 0.17 s, 0.11-0.13 s is the refresh alone, and it also
set off the ~40 ms full garbage collection that its allocations trigger.

:class:`QuickLoadCache` is numba's own :class:`~numba.core.caching.FunctionCache` (same files,
same index, same staleness checks, same saving) with one change in ``load_overload``: it reads
the cached entry first and lists the undefined symbols of its object code (an ELF symbol table,
:func:`undefined_symbols`).  Then:

- every symbol already resolves (``llvmlite.binding.address_of_symbol``: the symbols numba
  registers when it creates its CPU target, libm, the process's own): load it as is;
- otherwise initialise numba's NRT (its allocator functions: what kernels that make or return
  arrays need) and look again;
- anything still missing, or an object file this module cannot read (not 64-bit little-endian
  ELF: macOS, Windows), or an entry of another layout: refresh as numba does, then load.

So a symbol that the refresh would have provided never reaches the JIT linker unresolved (that
would abort the process); the worst case is numba's usual cost.  Numba's compiler refreshes the
target itself (``numba.core.compiler.CompilerBase``), so a user's own ``@njit`` code that
calls these kernels, or any compilation later in the process, is unaffected.

Only fastcarbon's own dispatchers get this cache (:func:`install`); a user's functions keep
numba's.  ``FASTCARBON_QUICK_LOAD=0`` turns it off (read on every load).  :data:`LOADS` counts
the loads by the way they went, for the tests.
"""

from __future__ import annotations

import collections
import os
import struct

import llvmlite.binding as ll
from numba.core.caching import FunctionCache

__all__ = ["LOADS", "QuickLoadCache", "install", "undefined_symbols"]

#: loads by the way they went: "as_is" (no refresh, no NRT), "nrt" (NRT initialised),
#: "refresh" (numba's own refresh first: a symbol missing or an unreadable entry), "off"
#: (``FASTCARBON_QUICK_LOAD=0``)
LOADS: collections.Counter = collections.Counter()

# ELF64 layouts, little-endian: the file header fields used, a section header, a symbol
_EHDR_SHOFF = struct.Struct("<Q")  # e_shoff at byte 0x28
_EHDR_SHENT = struct.Struct("<HH")  # e_shentsize, e_shnum at byte 0x3A
_SHDR = struct.Struct("<IIQQQQIIQQ")  # name, type, flags, addr, offset, size, link, info, align, entsize
_SYM = struct.Struct("<IBBHQQ")  # name, info, other, shndx, value, size
_SHT_SYMTAB = 2
_SHN_UNDEF = 0


def undefined_symbols(obj: bytes) -> list[str] | None:
    """The names of the undefined symbols in a relocatable ELF64 little-endian object file.

    Parameters
    ----------
    obj : bytes
        The object code, as numba caches it for a compiled function.

    Returns
    -------
    list of str or None
        Every symbol of the ``SHT_SYMTAB`` section(s) whose section index is ``SHN_UNDEF``
        (the external references the JIT linker must resolve), in table order; ``None`` when
        ``obj`` is not such a file or cannot be read (the caller then does what numba does).
    """
    try:
        if obj[:4] != b"\x7fELF" or obj[4] != 2 or obj[5] != 1:  # ELFCLASS64, ELFDATA2LSB
            return None
        (shoff,) = _EHDR_SHOFF.unpack_from(obj, 0x28)
        shentsize, shnum = _EHDR_SHENT.unpack_from(obj, 0x3A)
        if shentsize != _SHDR.size or shnum == 0:  # shnum 0: extended numbering, not handled
            return None
        sections = [_SHDR.unpack_from(obj, shoff + i * shentsize) for i in range(shnum)]
        names = []
        for _, kind, _, _, offset, size, link, _, _, entsize in sections:
            if kind != _SHT_SYMTAB:
                continue
            if entsize != _SYM.size or offset + size > len(obj):
                return None
            strtab = sections[link][4]
            for st_name, _, _, shndx, _, _ in _SYM.iter_unpack(obj[offset:offset + size]):
                if shndx == _SHN_UNDEF and st_name:
                    start = strtab + st_name
                    names.append(obj[start:obj.index(b"\0", start)].decode("ascii"))
        return names
    except (struct.error, IndexError, ValueError, OverflowError, UnicodeDecodeError):
        return None


def _object_code(data) -> bytes | None:
    """The object code of a cached ``CompileResult`` payload, or ``None`` for another layout.

    The payload is ``CompileResult._reduce()``: its first item is the library's
    ``serialize_using_object_code()``, ``(name, "object", (object_code, bitcode))``.
    """
    try:
        libdata = data[0]
        if libdata[1] != "object":
            return None
        obj = libdata[2][0]
    except (TypeError, IndexError, KeyError):
        return None
    return obj if isinstance(obj, bytes) else None


def _unresolved(names: list[str]) -> list[str]:
    return [name for name in names if not ll.address_of_symbol(name)]


class QuickLoadCache(FunctionCache):
    """numba's function cache, loading without the target refresh when no symbol needs it."""

    def load_overload(self, sig, target_context):
        if os.environ.get("FASTCARBON_QUICK_LOAD", "1") == "0":
            LOADS["off"] += 1
            return super().load_overload(sig, target_context)
        # numba's _load_overload, with the refresh moved after reading the entry; the caller
        # (Dispatcher.compile) holds numba's compiler lock
        with self._guard_against_spurious_io_errors():
            if not self._enabled:
                return None
            data = self._cache_file.load(self._index_key(sig, target_context.codegen()))
            if data is None:
                return None  # a miss: numba compiles, and its compiler refreshes the target
            obj = _object_code(data)
            names = None if obj is None else undefined_symbols(obj)
            how = "as_is"
            missing = None if names is None else _unresolved(names)
            if missing:
                from numba.core.runtime import rtsys

                rtsys.initialize(target_context)  # once per process; registers NRT_* symbols
                missing = _unresolved(missing)
                how = "nrt"
            if missing is None or missing:
                target_context.refresh()
                how = "refresh"
            cres = self._impl.rebuild(target_context, data)
            LOADS[how] += 1
            return cres
        return None  # the guard swallowed an I/O error (Windows), as in numba


def install(dispatcher):
    """Give ``dispatcher`` a :class:`QuickLoadCache` in place of numba's; returns it.

    Leaves anything else alone: a dispatcher without numba's function cache (caching off,
    ``NUMBA_DISABLE_JIT``), or a numba whose cache lacks the parts used here.
    """
    cache = getattr(dispatcher, "_cache", None)
    if type(cache) is FunctionCache and all(
        hasattr(cache, name) for name in ("_cache_file", "_index_key", "_impl", "_enabled")
    ):
        # the same object, re-classed: a new cache would locate its directory (and probe it with
        # a temporary file) a second time for every kernel at import
        cache.__class__ = QuickLoadCache
    return dispatcher
