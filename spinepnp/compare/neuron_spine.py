"""Run the drop-in spine (``SpnpSpine``) in NEURON for the comparisons."""

from __future__ import annotations

import numpy as np


__all__ = ["spine_available", "steady_iv"]


def spine_available() -> bool:
    """True if the ``SpnpSpine`` mechanism is compiled and loadable."""
    from ..loader import load_mechanisms
    load_mechanisms()
    from neuron import h
    return hasattr(h, "SpnpSpine")


def steady_iv(neck, currents, conc=167.0, diffusion=1.33, celsius=20.0, v_dend=-70.0):
    """Steady head-minus-dendrite voltage [mV] of SpnpSpine (mode 1) for each ``iinj``.

    The spine sits in a large, voltage-clamped dendrite, so the dendrite holds
    ``v_dend`` [mV]; the head is quasi-static in SpnpSpine, so one time step after each
    change of ``iinj`` [nA] it is at steady state. The spine has no membrane leak and
    the head's floor conductance is set to its minimum so it does not divert current.
    """
    from neuron import h

    from ..build import attach_spine, clamped_dendrite
    dend, clamp = clamped_dendrite(v_dend, rs=1e-6, name="iv_dend")
    h.celsius = celsius
    sp = attach_spine(dend(0.5), "pnp", "paper", neck=neck, conc=conc, diffusion=diffusion,
                      g_pas=0.0, gfloor=1e-15).point
    out = []
    try:
        for i in np.atleast_1d(currents):
            sp.iinj = float(i)
            h.finitialize(v_dend)
            h.fadvance()
            out.append(sp.vhead - dend(0.5).v)
    finally:
        h.delete_section(sec=dend)
    return np.array(out)
