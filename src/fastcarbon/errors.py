"""One error hierarchy for fastcarbon.

Every exception raised by fastcarbon derives from :class:`FastcarbonError`.  Problems with the
caller's input also derive from :class:`ValueError` or :class:`TypeError`, so code that already
catches those keeps working.  Messages say *what* was wrong, *where* (variable, dimension,
coordinate label or index) and *what is allowed*.
"""

from __future__ import annotations

from fastcarbon._format import show

__all__ = [
    "FastcarbonError",
    "FastcarbonWarning",
    "FlaggedFactorWarning",
    "InputError",
    "InputTypeError",
    "MissingDependencyError",
    "OutputPathError",
    "StudyFileError",
    "StoreMismatchError",
    "MissingDimensionError",
    "CoordinateMismatchError",
    "InvalidValueError",
    "OverflowResultError",
    "NonFiniteSampleError",
    "UnknownLabelError",
    "UnitError",
    "DuplicateLabelError",
    "ShapeError",
    "TimeAxisError",
]


class FastcarbonError(Exception):
    """Base class of every error raised by fastcarbon."""

    def __reduce__(self):
        # Errors raised inside dask tasks travel between processes (dask.distributed) by pickle.
        # Exception's default rebuilds with cls(*self.args), i.e. from the message alone, which
        # fails for subclasses whose __init__ takes other arguments (an index, a flag...).
        # Rebuild from the message and the attributes instead, without calling __init__.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls, args, state):
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class FastcarbonWarning(UserWarning):
    """Base class of every warning emitted by fastcarbon."""


class FlaggedFactorWarning(FastcarbonWarning):
    """A computation used a factor value its set flags as likely wrong (shipped as printed).

    The message names the set, the fuel, the printed value with its units and what the value
    likely means.  Silence it only where the printed value is wanted on purpose, as in a
    reproduction of the paper that printed it.
    """


class InputError(FastcarbonError, ValueError):
    """The caller's input has the right type but an unusable value."""


class InputTypeError(FastcarbonError, TypeError):
    """The caller's input has the wrong type (e.g. non-numeric data)."""


class MissingDimensionError(InputError):
    """A dimension the method needs is absent."""


class CoordinateMismatchError(InputError):
    """Two inputs disagree on the labels along a shared dimension."""


class InvalidValueError(InputError):
    """A value is outside what the method allows (negative, NaN, out of range)."""


class UnknownLabelError(InputError, KeyError):
    """A label (fuel, factor set, scenario...) is not known."""

    # KeyError.__str__ wraps the message in quotes; keep it readable.
    __str__ = ValueError.__str__


class UnitError(InputError):
    """Units are missing, unparsable or incompatible."""


class DuplicateLabelError(InputError):
    """A labelled dimension holds the same label more than once."""


class ShapeError(InputError):
    """A shape the method cannot work with: a zero-length dim, dask chunks of unknown size."""


class TimeAxisError(InvalidValueError):
    """A time coordinate that is not numeric, not strictly increasing, or not in the steps the
    method assumes (consecutive years, equal steps)."""


class MissingDependencyError(FastcarbonError, ImportError):
    """An optional dependency a feature needs is not installed (matplotlib for
    :mod:`fastcarbon.plot`); the message names the ``pip install`` command that adds it."""


class OutputPathError(InputError):
    """A result cannot be written where it was asked for: the output folder is a file, cannot be
    created or is read-only, a folder sits where a result file goes, or writing failed (the
    message carries the system's reason, e.g. no space left on the device)."""


class StudyFileError(InputError):
    """A study file (:mod:`fastcarbon.studies`) that cannot run: an unknown key, a value of the
    wrong type or range, a data file that is missing or unreadable, an unknown fuel, a scenario
    whose parent is missing or whose parents form a cycle.  Raised by ``load_study`` before
    anything computes; the message starts with the file and the dotted key
    (``study.toml: scenarios.LOW.parent: ...``), which ``key`` and ``file`` also hold."""

    def __init__(self, message: str, key: str = "", file: str = ""):
        self.key, self.file = key, file
        where = ": ".join(p for p in (file, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class StoreMismatchError(InputError):
    """A result store cannot be resumed by this run: it was made by a different computation (its
    fingerprint of inputs, noise, seed and outputs differs) or by something else than fastcarbon."""


class OverflowResultError(InvalidValueError):
    """Finite inputs gave a result outside the float64 range (±inf, or NaN from inf - inf).

    Every function whose products or sums can overflow raises this one class, after its input
    screens have passed: the inputs are finite, so the cause is their magnitude (often a unit
    slip, kg given as t, or a rate in percent given as a fraction).

    Attributes
    ----------
    variable : str
        The output variable that overflowed (``"emissions"``, ``"cumulative_emissions"``...).
    index : tuple of int
        Position of its first overflowing element, in the output as returned.
    value : float
        That element (inf, -inf or NaN).
    """

    def __init__(self, variable: str, index: tuple[int, ...], value: float, where: str = "", hint: str = ""):
        self.variable, self.index, self.value, self.hint = variable, tuple(index), float(value), hint
        super().__init__(self.describe(where or (f"index {self.index}" if self.index else "the only element")))

    def describe(self, where: str) -> str:
        """The message with the position stated as ``where`` (e.g. coordinate labels)."""
        return (
            f"{self.variable}: overflows to {show(self.value)} at {where}: the inputs are finite but the "
            f"result exceeds the float64 range (about 1.8e308)"
            + (f"; {self.hint}" if self.hint else "; check the inputs' magnitudes and units")
        )


class NonFiniteSampleError(InvalidValueError):
    """A sample to be reduced (quantiles, draw summaries) holds NaN or an infinity.

    NaN-skipping reductions would hide a broken draw, so fastcarbon's exact quantiles refuse
    NaN instead; skipping is explicit (``skipna=True`` in
    :func:`fastcarbon.uncertainty.quantile_bands`).

    Attributes
    ----------
    name : str
        The argument holding it.
    index : tuple of int
        Position of the first such value in the array as it was passed.
    value : float
    """

    def __init__(self, name: str, index: tuple[int, ...], value: float, hint: str = ""):
        self.name, self.index, self.value = name, tuple(int(k) for k in index), float(value)
        where = f"index {self.index}" if self.index else "the only element"
        super().__init__(
            f"{name}: {show(self.value)} at {where}; every value must be a finite number"
            + (f" ({hint})" if hint else "")
        )
