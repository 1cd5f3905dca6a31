"""Exceptions of the PNP solver.

All derive from :class:`ValueError` or :class:`RuntimeError` so that callers (and the
command line, which reports ``ValueError`` on stderr) can catch them broadly.
"""

from __future__ import annotations

import math

__all__ = ["PNPError", "SaturationError", "ConvergenceError", "DepletionError",
           "check_positive"]


def check_positive(name: str, value, unit: str = "", *, integer: bool = False):
    """``value`` as a float (int if ``integer``) if it is finite and > 0, else a
    ValueError naming ``name``, its value and what is expected.

    The solver's numerical settings (steps, tolerances, iteration limits) pass through
    here before any work: a NaN step would otherwise run until ``max_steps``.
    """
    what = "a whole number >= 1" if integer else "a finite number > 0"
    try:
        num = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} must be {what}{unit}") from None
    ok = math.isfinite(num) and (num >= 1 and num == int(num) if integer else num > 0)
    if not ok:
        raise ValueError(f"{name} = {value!r} must be {what}{unit}")
    return int(num) if integer else num


class PNPError(RuntimeError):
    """Base class of the solver's run-time failures."""


class SaturationError(ValueError):
    """The requested steady current cannot be carried: no steady state exists.

    Attributes
    ----------
    current : float
        The requested current [nA].
    limit : float
        The current [nA] a steady state must stay beyond: ``-I_sat`` for a cation
        carrier (``+I_sat`` for an anion), with ``I_sat >= 0`` the saturation current.
    """

    def __init__(self, message: str, current: float = float("nan"),
                 limit: float = float("nan")):
        super().__init__(message)
        self.current = current
        self.limit = limit


class ConvergenceError(PNPError):
    """Newton's method failed.

    Attributes
    ----------
    residuals : list of float
        Scaled residual norm (inf-norm, each row divided by its Jacobian row scale)
        before every Newton iteration of the last attempt, then after the last one.
    updates : list of float
        Scaled Newton update norms of the last attempt.
    """

    def __init__(self, message: str, residuals=(), updates=()):
        self.residuals = [float(r) for r in residuals]
        self.updates = [float(u) for u in updates]
        hist = ", ".join(f"{r:.3g}" for r in self.residuals[-12:])
        super().__init__(f"{message} (residual history: [{hist}])" if hist else message)


class DepletionError(PNPError, ValueError):
    """A species (normally the carrier) ran out: beyond this point no solution exists.

    Attributes
    ----------
    species : str
        Name of the exhausted species.
    x : float
        Where it ran out [um].
    t : float
        When it ran out [ms] (NaN for a steady solve).
    current : float
        Steady solves: the last current [nA] for which a steady state was found.
    """

    def __init__(self, message: str, species: str = "", x: float = float("nan"),
                 t: float = float("nan"), current: float = float("nan")):
        super().__init__(message)
        self.species = species
        self.x = x
        self.t = t
        self.current = current
