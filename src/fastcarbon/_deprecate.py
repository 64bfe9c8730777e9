"""Old import paths kept for one release: a module ``__getattr__`` that warns and forwards."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping


def moved(old: str, names: Mapping[str, str], modules: Mapping[str, str] | None = None) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``old`` whose ``names`` moved: ``{name: new module}``.

    Getting a moved name emits a :class:`DeprecationWarning` naming the new path and returns
    the object from there (the same object, not a copy).  ``modules`` names the deprecated
    submodules of a package, ``{submodule: new module}``: ``package.submodule`` keeps working
    as an attribute without an import (as it did while the package imported it)."""

    def __getattr__(name: str):
        if modules and name in modules:
            warnings.warn(f"{old}.{name} is deprecated; its contents moved to {modules[name]}",
                          DeprecationWarning, stacklevel=2)
            return importlib.import_module(f"{old}.{name}")
        new = names.get(name)
        if new is None:
            raise AttributeError(f"module '{old}' has no attribute '{name}'")
        warnings.warn(f"{old}.{name} moved to {new}.{name}; import it from {new} "
                      f"(the old path goes in the next release)", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    return __getattr__
