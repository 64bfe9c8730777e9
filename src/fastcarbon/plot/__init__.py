"""Figures of fastcarbon's results (matplotlib, imported only when a figure is drawn).

Each function takes the labelled results the library returns, draws into ``ax`` (or a new
figure), labels its axes with the data's ``units`` and returns ``(fig, ax)`` — ``(fig, axes)``
with a 2-D array of axes for figures of several panels:

- :func:`forecast` — observed, fitted and forecast values of a grey fit, with its grade;
- :func:`trajectories` — scenario paths with their peaks and net-zero years;
- :func:`fan` — Monte Carlo bands 5-95 % and 25-75 % with the median;
- :func:`peak_years` — the peak-year distribution of the draws, with the censored share;
- :func:`sensitivity` — Sobol' S1/ST bars with intervals, or Morris μ* against σ;
- :func:`obstacles` — obstacle degrees stacked per year (000 Fig. 2);
- :func:`structure` — energy or emissions stacked by fuel or by sector (001 Figs. 3-4);
- :func:`potentials` — each sector's part of the reduction in chosen years (001 Figs. 5-6);
- :func:`decomposition` — LMDI effects as a waterfall from V^0 to V^T, or bars by sector or fuel;
- :func:`save` — a figure written to PNG atomically.

Importing this package does not import matplotlib; the first figure does, and without it
raises :class:`~fastcarbon.errors.MissingDependencyError` naming ``pip install 'fastcarbon[plot]'``.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastcarbon._format import show
from fastcarbon.errors import InputError, InputTypeError
from fastcarbon.plot import _common
from fastcarbon.plot.bars import obstacles, peak_years, potentials, sensitivity
from fastcarbon.plot.decomposition import decomposition
from fastcarbon.plot.series import fan, forecast, structure, trajectories

__all__ = ["forecast", "trajectories", "fan", "peak_years", "sensitivity", "obstacles", "structure", "potentials",
           "decomposition", "save"]


def save(fig, path: str | os.PathLike, *, dpi: float = 150) -> Path:
    """Write ``fig`` to ``path`` as a PNG of figsize x ``dpi`` pixels, atomically.

    The file holds either what it held before or the whole new image, however the process
    stops (:func:`fastcarbon.output.write_atomic`: a temporary next to it, then a rename).

    Parameters
    ----------
    fig : matplotlib Figure
    path : path
        Ends in ``.png``.
    dpi : float
        Pixels per inch (> 0).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fastcarbon.studies.chongqing import chongqing_scenarios
    >>> from fastcarbon import plot
    >>> fig, ax = plot.trajectories(chongqing_scenarios())
    >>> out = plot.save(fig, pathlib.Path(tempfile.mkdtemp()) / "trajectories.png", dpi=50)
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    _common.pyplot()
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise InputTypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path, got {type(path).__name__}")
    if Path(path).suffix.lower() != ".png":
        raise InputError(f"path: {show(str(path))} does not end in .png; save writes PNG files")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0 or dpi == float("inf"):
        raise InputError(f"dpi must be a positive number, got {show(dpi)}")
    from fastcarbon.output import write_atomic

    return write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
