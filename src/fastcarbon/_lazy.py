"""PEP 562 lazy exports, shared by :mod:`fastcarbon.core` and :mod:`fastcarbon.kernels`: each
public name imports its submodule on first access, so ``import fastcarbon.<anything>`` does not
create every kernel's numba dispatchers."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]], submodules: Iterable[str] = ()
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a submodule to the names it
    defines; ``submodules`` are returned as modules themselves.  A name is bound in the package on
    first access, so later reads are a plain attribute."""
    home = {name: module for module, names in exports.items() for name in names}
    submodules = frozenset(submodules)

    def __getattr__(name: str):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")  # the import binds it as an attribute
        module = home.get(name)
        if module is None:
            from fastcarbon._format import show  # only on this error path

            raise AttributeError(f"module {show(package)} has no attribute {show(name)}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__():
        namespace = vars(sys.modules[package])
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
