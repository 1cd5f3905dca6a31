"""NEURON test fixtures shared by the SpnpSpine test modules (plain functions of h).

The voltage-clamped dendrite is :func:`spinepnp.build.clamped_dendrite`."""


def passive_dendrite(h, L=200.0, diam=1.0, nseg=41):
    """A passive dendrite (Ra 100 ohm cm, cm 1 uF/cm2, g_pas 1e-4 S/cm2 to -70 mV)."""
    d = h.Section(name="dend")
    d.L, d.diam, d.nseg, d.Ra, d.cm = L, diam, nseg, 100.0, 1.0
    d.insert("pas")
    for seg in d:
        seg.pas.g, seg.pas.e = 1e-4, -70.0
    return d
