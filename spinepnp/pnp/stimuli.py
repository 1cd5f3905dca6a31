"""Current waveforms for :func:`solve_transient` (callables of t [ms] returning nA).

Each helper returns a :class:`Waveform`, whose ``breakpoints`` [ms] tell the time
stepper where the waveform is not smooth, so that a step lands on them and restarts
there. Any plain callable ``f(t) -> nA`` works too.
"""

from __future__ import annotations

import math

__all__ = ["Waveform", "constant", "step", "alpha"]


class Waveform:
    """A current waveform: ``w(t)`` [nA] at time ``t`` [ms], with ``breakpoints`` [ms].

    Parameters
    ----------
    func : callable
        ``func(t) -> current [nA]``.
    breakpoints : sequence of float
        Times [ms] where ``func`` or its derivatives jump.
    description : str
        Human-readable description.
    """

    def __init__(self, func, breakpoints=(), description="waveform"):
        self.func = func
        self.breakpoints = tuple(sorted(float(b) for b in breakpoints if math.isfinite(b)))
        self.description = description

    def __call__(self, t):
        return float(self.func(float(t)))

    def __repr__(self):
        return f"Waveform({self.description})"


def _num(name, value, unit):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} is not a number [{unit}]") from None
    if math.isnan(v):
        raise ValueError(f"{name} is NaN; give a number in {unit}")
    return v


def constant(amplitude: float) -> Waveform:
    """Constant current ``amplitude`` [nA] for all t."""
    a = _num("amplitude", amplitude, "nA")
    return Waveform(lambda t: a, (), f"constant {a:g} nA")


def step(amplitude: float, t_on: float = 0.0, t_off: float = math.inf,
         baseline: float = 0.0) -> Waveform:
    """Step current: ``amplitude`` [nA] for ``t_on <= t < t_off`` [ms], else ``baseline``
    [nA]."""
    a = _num("amplitude", amplitude, "nA")
    t0 = _num("t_on", t_on, "ms")
    t1 = _num("t_off", t_off, "ms")
    b = _num("baseline", baseline, "nA")
    if not t1 > t0:
        raise ValueError(f"t_off = {t1} ms must be after t_on = {t0} ms")
    return Waveform(lambda t: a if t0 <= t < t1 else b, (t0, t1),
                    f"step {a:g} nA from {t0:g} to {t1:g} ms")


def alpha(peak: float, tpeak: float, t_on: float = 0.0) -> Waveform:
    """Alpha-function current ``I0 s exp(-s/tpeak)``, ``s = t - t_on`` (paper Fig 3D-G).

    ``I0 = peak e / tpeak`` so that the current reaches ``peak`` [nA] at ``s = tpeak``
    [ms].
    """
    p = _num("peak", peak, "nA")
    tp = _num("tpeak", tpeak, "ms")
    t0 = _num("t_on", t_on, "ms")
    if not tp > 0:
        raise ValueError(f"tpeak = {tp} ms must be > 0")
    i0 = p * math.e / tp

    def f(t):
        s = t - t0
        return i0 * s * math.exp(-s / tp) if s > 0 else 0.0
    return Waveform(f, (t0,), f"alpha peak {p:g} nA at {tp:g} ms after {t0:g} ms")
