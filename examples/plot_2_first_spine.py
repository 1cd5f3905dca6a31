"""
One spine, every neck law
=========================

The same thin spine on a passive dendrite, driven by one AMPA input (2 nS), under each
neck law of :func:`spinepnp.build.attach_spine`. The steady law, the dynamic neck and the
Ohmic neck calibrated to the law's ``R0`` give nearly the same EPSPs for this small
input. An Ohmic neck with a typical ``Ra`` (150 Ohm cm, about 2.5 times the law's
effective resistivity) overestimates the neck resistance: its head depolarises more,
which lowers the synapse's driving force, so the dendrite receives less charge. The
point spine ``"ohmic-ra"`` and the explicit Sections ``"explicit-ra"`` agree closely:
the point-process embedding only drops the head's microsecond charging time.
"""

import matplotlib.pyplot as plt
from neuron import h

from spinepnp.build import attach_spine

LAWS = {"pnp": "-", "pnp-dynamic": "--", "ohmic": "-.", "ohmic-ra": ":",
        "explicit-ra": (0, (1, 3))}
traces = {}
for law in LAWS:
    dend = h.Section(name=f"dend_{law}")
    dend.L, dend.diam, dend.nseg = 200.0, 1.0, 21               # um
    dend.insert("pas")
    spine = attach_spine(dend(0.5), law=law, params="thin", name=f"spine_{law}")
    stim = h.NetStim()
    stim.number, stim.start = 1, 5.0                            # one input at 5 ms
    nc = spine.netcon(stim, ampa=0.002)                         # AMPA peak [uS]
    probe = spine.record()          # head and dendrite voltage [mV], neck current [nA]
    h.finitialize(-70.0)                # the rest of pas (e_pas = -70 mV)
    h.continuerun(30.0)
    rec = probe.arrays()
    traces[law] = (rec["t"], rec["vhead"], rec["vdend"])
    print(f"{law:12s} head EPSP {rec['vhead'].max() + 70:.2f} mV, "
          f"dendrite {rec['vdend'].max() + 70:.3f} mV")
    del nc, stim, probe, spine, dend

fig, (ax_h, ax_d) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
for law, (t, vh, vd) in traces.items():
    ax_h.plot(t, vh, linestyle=LAWS[law], label=law)
    ax_d.plot(t, vd, linestyle=LAWS[law], label=law)
ax_h.set_title("spine head")
ax_d.set_title("dendrite under the spine")
for a in (ax_h, ax_d):
    a.set_xlabel("time [ms]")
    a.set_ylabel("membrane potential [mV]")
    a.legend(fontsize=8)
plt.show()
