"""
The dynamic neck relaxes to the steady law
==========================================

Two 200 pA current pulses, 2 ms long and 6 ms apart, into the head of a thin spine,
under the steady law (``"pnp"``), the dynamic electroneutral neck (``"pnp-dynamic"``)
and the Ohmic neck with the same small-signal resistance (``"ohmic"``).

At a pulse's onset both ions of the salt carry the current, so the dynamic neck starts
with the bulk resistance ``VT Gamma / (F C (D+ + D-))``, below ``R0``. The anions cannot
leave the head, so within about a millisecond their flux stops, salt piles up in the head
and the neck's voltage drop relaxes towards the steady law's value. After the pulse the
head's salt decays back over milliseconds; for a thin spine it has almost recovered when
the second pulse arrives.
"""

import matplotlib.pyplot as plt
import numpy as np
from neuron import h

from spinepnp.build import attach_spine

PULSES = [(5.0, 7.0), (13.0, 15.0)]         # on, off [ms]
AMPLITUDE = 0.2                             # nA into the head

runs = {}
for law, ls in (("pnp", "--"), ("pnp-dynamic", "-"), ("ohmic", ":")):
    dend = h.Section(name=f"dend_{law}")
    dend.L, dend.diam, dend.nseg = 200.0, 1.0, 21
    dend.insert("pas")
    spine = attach_spine(dend(0.5), law=law, params="thin", name=f"spine_{law}")
    # the head current as a played vector: 0 outside the pulses
    t_play = h.Vector([0.0] + [x for on, off in PULSES for x in (on, on, off, off)] + [1e9])
    i_play = h.Vector([0.0] + [x for _ in PULSES for x in (0.0, AMPLITUDE, AMPLITUDE, 0.0)]
                      + [0.0])
    i_play.play(spine.point._ref_iinj, t_play, True)
    t = h.Vector().record(h._ref_t)
    vhead = h.Vector().record(spine.point._ref_vhead)
    chead = h.Vector().record(spine.point._ref_chead)     # mode 0: stays at conc
    vdend = h.Vector().record(dend(0.5)._ref_v)
    h.finitialize(-70.0)                # the rest of pas (e_pas = -70 mV)
    h.continuerun(30.0)
    runs[law] = (ls, np.array(t), np.array(vhead), np.array(chead), np.array(vdend))
    del i_play, t_play, spine, dend

fig, ax = plt.subplots(3, 1, figsize=(7, 7), sharex=True, layout="constrained")
for law, (ls, t, vhead, chead, vdend) in runs.items():
    ax[0].plot(t, vhead, ls, label=law)
    ax[1].plot(t, vhead - vdend, ls, label=law)
    ax[2].plot(t, chead, ls, label=law)
    drop = vhead - vdend
    onset, end = (drop[np.searchsorted(t, x)] for x in (PULSES[0][0] + 0.1, PULSES[0][1] - 0.05))
    print(f"{law:12s} neck drop 0.1 ms into pulse 1: {onset:.3f} mV, at its end: {end:.3f} mV")
ax[0].set_ylabel("head potential [mV]")
ax[1].set_ylabel("neck drop\nvhead - vdend [mV]")
ax[2].set_ylabel("head salt [mM]")
ax[2].set_xlabel("time [ms]")
ax[0].set_title(f"two {AMPLITUDE * 1e3:g} pA pulses into a thin spine head")
for a in ax:
    a.legend(fontsize=8, loc="upper right")
plt.show()
