"""fastcarbon: fast, labelled, reproducible carbon accounting, peak forecasting and uncertainty.

Layers (imports flow downward only):

- ``fastcarbon.cli``                        what a person runs
- ``fastcarbon.accounting``, ...            labelled API (xarray): one module per method
- ``fastcarbon.core``                       numpy API: plain arrays, validation, dispatch
- ``fastcarbon.kernels``                    numba kernels, callable from a user's own ``@njit`` code
- ``fastcarbon.factors``, ``fastcarbon.datasets``, ``fastcarbon.units``   bundled data and units

Importing fastcarbon compiles nothing; kernels compile (or load from cache) on first use.
"""

# set_options / get_options: a small module with no numba, numpy or xarray import
from fastcarbon._options import get_options, set_options

__all__ = ["__version__", "get_options", "set_options"]


def __getattr__(name: str):
    # __version__ is read from the installed metadata on first access (PEP 562): importlib.metadata
    # costs ~90 ms, which every ``import fastcarbon.<anything>`` paid before.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("fastcarbon")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0+unknown"
        globals()["__version__"] = value  # later reads are a plain attribute
        return value
    from fastcarbon._format import show  # only on this error path

    raise AttributeError(f"module {show(__name__)} has no attribute {show(name)}")
