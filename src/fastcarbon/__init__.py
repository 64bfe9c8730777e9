"""fastcarbon: fast, labelled, reproducible carbon accounting, peak forecasting and uncertainty.

Layers (imports flow downward only):

- ``fastcarbon.cli``                        what a person runs
- ``fastcarbon.accounting``, ...            labelled API (xarray): one module per method
- ``fastcarbon.core``                       numpy API: plain arrays, validation, dispatch
- ``fastcarbon.kernels``                    numba kernels, callable from a user's own ``@njit`` code
- ``fastcarbon.factors``, ``fastcarbon.datasets``, ``fastcarbon.units``   bundled data and units

Importing fastcarbon compiles nothing; kernels compile (or load from cache) on first use.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fastcarbon")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# set_options / get_options: a small module with no numba, numpy or xarray import
from fastcarbon._options import get_options, set_options

__all__ = ["__version__", "get_options", "set_options"]
