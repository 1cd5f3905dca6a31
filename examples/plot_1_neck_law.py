"""
The neck law against Ohm's
==========================

The steady electro-diffusion law of a cylindrical spine neck,
``dV = VT ln(1 + I Gamma / (2 C D F))``, for three neck radii, next to the Ohmic neck
with the same small-signal resistance ``R0``. Positive currents are injected into the
head and flow through the neck into the dendrite; there the law's resistance falls
below ``R0``. Current drawn out of the head through the neck (negative I) saturates at
``-I_s``: the head runs out of carriers, and the resistance rises without bound. No NEURON needed: :mod:`spinepnp.laws` only.
"""

import matplotlib.pyplot as plt
import numpy as np

from spinepnp import laws

fig, (ax_iv, ax_r) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
styles = ["-", "--", ":"]
for radius, ls in zip([0.05, 0.075, 0.1], styles):
    neck = laws.Cylinder(length=1.0, radius=radius)         # um
    r0 = laws.ohmic_resistance(neck)                         # MOhm
    i_s = laws.saturation_current(neck)                      # nA
    dv = np.linspace(-80.0, 25.0, 300)                       # head minus dendrite [mV]
    current = laws.current(dv, neck)                         # nA, defined for every dV
    line, = ax_iv.plot(dv, current * 1e3, ls, label=f"r0 = {radius * 1e3:.0f} nm")
    ax_iv.plot(dv, dv / r0 * 1e3, ls, color=line.get_color(), alpha=0.4, lw=1)
    i_grid = np.linspace(-0.95 * i_s, 0.6, 300)              # nA, above -I_s
    i_grid = i_grid[np.abs(i_grid) > 1e-6]                   # R(I) is dV / I
    ax_r.plot(i_grid * 1e3, laws.resistance(i_grid, neck), ls, color=line.get_color(),
              label=f"r0 = {radius * 1e3:.0f} nm (R0 = {r0:.0f} MOhm)")
    print(f"r0 = {radius * 1e3:.0f} nm: R0 = {r0:.2f} MOhm, I_s = {i_s * 1e3:.0f} pA")

ax_iv.set_xlabel("head - dendrite potential dV [mV]")
ax_iv.set_ylabel("neck current I [pA]")
ax_iv.set_title("I-V: law (bold) vs Ohm with R0 (faint)")
ax_iv.legend(fontsize=8)
ax_r.set_xlabel("neck current I [pA]")
ax_r.set_ylabel("R(I) = dV / I [MOhm]")
ax_r.set_title("R(I): below R0 for current from the head")
ax_r.set_yscale("log")
ax_r.set_ylim(8.0, 1500.0)                                 # room for the legend
ax_r.legend(fontsize=8)
plt.show()
