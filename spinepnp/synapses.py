"""Double-exponential synapses: the biophysics summary's eq 18 and NEURON's Exp2Syn.

The summary (Latham, eq 14b, 17-18) writes a synaptic conductance as ``g(t) = W f(t)``
with the double exponential

    f(t) = (exp(-t/tau_s) - exp(-t/tau_f)) / (tau_s - tau_f) * Theta(t),      (18)

tau_f the fast (rise) and tau_s the slow (decay) time constant. This ``f`` has unit
1/time and integrates to 1, so the weight ``W`` is the time integral of the conductance
(uS ms, the conductance-time area of one event).

NEURON's built-in ``Exp2Syn`` (tau1 = rise, tau2 = decay) produces, for a NetCon event of
weight ``w`` (uS),

    g(t) = w * factor * (exp(-t/tau2) - exp(-t/tau1)),
    factor = 1 / (exp(-t_p/tau2) - exp(-t_p/tau1)),
    t_p = tau1 tau2 / (tau2 - tau1) ln(tau2/tau1)   (time of the peak),

i.e. it normalises the PEAK of g to ``w``. The two shapes are identical; only the
normalisation differs, so there is no separate "eq 18" mechanism: use ``Exp2Syn`` with
tau1 = tau_f, tau2 = tau_s and the weight from :func:`exp2syn_weight`. (Exp2Syn silently
replaces tau1 by 0.9999 tau2 when tau1/tau2 > 0.9999; the conversion below requires
tau_f < tau_s and refuses the degenerate case.)

Nothing here imports NEURON (:func:`poisson_netstim` is handed NEURON's ``h``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["poisson_netstim", "double_exp_kernel", "double_exp_peak_time", "double_exp_peak",
           "exp2syn_weight", "eq18_weight"]


def _check_taus(tau_fast, tau_slow):
    tau_fast = float(tau_fast)
    tau_slow = float(tau_slow)
    if not (tau_fast > 0.0 and tau_slow > 0.0):
        raise ValueError(f"time constants must be positive, got tau_fast={tau_fast!r} ms, "
                         f"tau_slow={tau_slow!r} ms")
    if not tau_fast < tau_slow:
        raise ValueError(f"need tau_fast < tau_slow (Exp2Syn: tau1 < tau2), got "
                         f"tau_fast={tau_fast!r} ms, tau_slow={tau_slow!r} ms; for equal "
                         "time constants use an alpha function")
    if tau_fast / tau_slow > 0.9999:
        raise ValueError(f"tau_fast/tau_slow = {tau_fast / tau_slow!r} > 0.9999: Exp2Syn "
                         "would replace tau1 by 0.9999 tau2, so no weight reproduces eq 18")
    return tau_fast, tau_slow


def double_exp_kernel(t, tau_fast: float, tau_slow: float):
    """The summary's eq 18 kernel f(t) [1/ms], unit area.

    Parameters
    ----------
    t : array_like
        Time since the presynaptic spike [ms]; f = 0 for t <= 0.
    tau_fast, tau_slow : float
        Rise and decay time constants [ms], 0 < tau_fast < tau_slow.
    """
    tf, ts = _check_taus(tau_fast, tau_slow)
    t = np.asarray(t, dtype=float)
    tp = np.where(t > 0.0, t, 0.0)
    val = (np.exp(-tp / ts) - np.exp(-tp / tf)) / (ts - tf)
    return np.where(t > 0.0, val, 0.0)


def double_exp_peak_time(tau_fast: float, tau_slow: float) -> float:
    """Time of the peak of exp(-t/tau_slow) - exp(-t/tau_fast) [ms] (as in Exp2Syn)."""
    tf, ts = _check_taus(tau_fast, tau_slow)
    return tf * ts / (ts - tf) * np.log(ts / tf)


def double_exp_peak(tau_fast: float, tau_slow: float) -> float:
    """Peak value [1] of exp(-t/tau_slow) - exp(-t/tau_fast) (1/factor in Exp2Syn)."""
    tf, ts = _check_taus(tau_fast, tau_slow)
    tp = double_exp_peak_time(tf, ts)
    return float(np.exp(-tp / ts) - np.exp(-tp / tf))


def exp2syn_weight(w_eq18, tau_fast: float, tau_slow: float):
    """NetCon weight for ``Exp2Syn`` that reproduces eq 18 with weight ``w_eq18``.

    Exp2Syn's peak conductance equals its weight; eq 18's peak is
    ``w_eq18 * double_exp_peak / (tau_slow - tau_fast)``. So

        w_exp2syn = w_eq18 * double_exp_peak(tau_fast, tau_slow) / (tau_slow - tau_fast).

    Parameters
    ----------
    w_eq18 : array_like
        Eq 18 weight: the time integral of the conductance of one event [uS ms].
    tau_fast, tau_slow : float
        Rise and decay time constants [ms] (Exp2Syn's tau1 and tau2), tau_fast < tau_slow.

    Returns
    -------
    float or ndarray
        Exp2Syn NetCon weight: peak conductance [uS].
    """
    tf, ts = _check_taus(tau_fast, tau_slow)
    return np.asarray(w_eq18, dtype=float) * (double_exp_peak(tf, ts) / (ts - tf))


def eq18_weight(w_exp2syn, tau_fast: float, tau_slow: float):
    """Inverse of :func:`exp2syn_weight`: eq 18 weight [uS ms] of an Exp2Syn weight [uS].

    Parameters
    ----------
    w_exp2syn : array_like
        Exp2Syn NetCon weight, the peak conductance [uS].
    tau_fast, tau_slow : float
        Rise and decay time constants [ms], tau_fast < tau_slow.

    Returns
    -------
    float or ndarray
        Time integral of the conductance of one event [uS ms].
    """
    tf, ts = _check_taus(tau_fast, tau_slow)
    return np.asarray(w_exp2syn, dtype=float) * ((ts - tf) / double_exp_peak(tf, ts))


def poisson_netstim(h, rate: float, stream: int, seed: int = 1, start: float = 0.0):
    """A NetStim firing as a Poisson process of ``rate`` [Hz] from ``start`` [ms], on its
    own reproducible Random123 stream ``(seed, stream, 0)``.

    Returns ``(netstim, random)``; keep both alive while simulating.
    """
    if not rate > 0:
        raise ValueError(f"rate = {rate!r} Hz: a Poisson input needs a positive rate")
    ns = h.NetStim()
    ns.interval, ns.number, ns.start, ns.noise = 1000.0 / rate, 1e9, start, 1.0
    rng = h.Random()
    rng.Random123(seed, stream, 0)
    rng.negexp(1)
    ns.noiseFromRandom(rng)
    return ns, rng
