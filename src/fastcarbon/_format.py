"""How values and labels appear in fastcarbon's messages: as the user wrote them.

``repr`` of a numpy scalar is ``np.float64(4.25)``, ``np.int64(2021)`` or ``np.str_('steel')``
(numpy >= 2), and a list of them repeats that for every element; a user who wrote ``4.25``,
``2021`` and ``'steel'`` should read exactly that.  Every message that quotes a value, a label or a
list of them goes through :func:`show` (or :func:`show_list`), so the rule lives in one place.

This module imports numpy only: the numpy API (:mod:`fastcarbon.core`) uses it without xarray.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

__all__ = ["show", "show_list", "show_index"]


def show(value) -> str:
    """``value`` written as the user would write it: ``4.25``, ``2021``, ``'steel'``.

    Numpy scalars become the Python value they hold; strings keep their quotes (a label
    ``'2021'`` stays distinguishable from a year 2021); lists, tuples, sets, dicts and arrays
    show their elements the same way; dates show as ISO strings (``'2020-01-01'``).  Anything
    else falls back to ``repr``.

    Examples
    --------
    >>> show(np.float64(4.25)), show(np.int64(2021)), show(np.str_("steel"))
    ('4.25', '2021', "'steel'")
    >>> show([np.str_("coal"), np.int64(3)]), show((np.int64(1),)), show(np.array(2.5))
    ("['coal', 3]", '(1,)', '2.5')
    >>> show(np.datetime64("2020-01-01")), show(float("inf"))
    ("'2020-01-01'", 'inf')
    """
    if isinstance(value, (np.datetime64, _dt.date)):
        return repr(_iso(value))
    if isinstance(value, np.timedelta64):
        return repr(str(value))
    if isinstance(value, np.ndarray):
        return show(value.item()) if value.ndim == 0 else show_list(value.tolist(), limit=None)
    if isinstance(value, np.generic):
        return show(value.item())
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, tuple) and not hasattr(value, "_fields"):  # not a NamedTuple
        return "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(show(v) for v in value)) + "}" if value else "set()"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def show_list(values, limit: int | None = 8) -> str:
    """A list of values or labels for a message, cut after ``limit`` of them with the count.

    Examples
    --------
    >>> show_list(np.arange(2011, 2021), limit=3)
    '[2011, 2012, 2013, ... (10 in all)]'
    """
    values = list(values)
    if limit is None or len(values) <= limit:
        return show(values)
    return show(values[:limit])[:-1] + f", ... ({len(values)} in all)]"


def show_index(index) -> str:
    """A position in a plain (unlabelled) array for a message, as numpy would index it:
    ``"index (1, 0, 5)"``.  A 0-d array has no position to give, so the empty tuple gives
    ``"the only element"`` rather than ``"index ()"``.

    Examples
    --------
    >>> show_index((np.int64(1), 0)), show_index((3,)), show_index(())
    ('index (1, 0)', 'index (3,)', 'the only element')
    """
    index = tuple(int(k) for k in index)
    return f"index {index}" if index else "the only element"


def _iso(value) -> str:
    """A date as ISO text; midnight drops the time of day (yearly data carries dates at 00:00)."""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return "NaT"
        value = value.astype("datetime64[us]").item()
    if value != value:  # pandas' NaT is a datetime that equals nothing, itself included
        return "NaT"
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0) and value.tzinfo is None:
        value = value.date()
    return value.isoformat()
