"""Physical constants and unit conversions, in one place.

Every constant comes from :mod:`scipy.constants` (CODATA). The public interface of
spinepnp uses NEURON's units (mV, ms, um, mM, nA, uS, MOhm, um2/ms for diffusion
coefficients, degrees Celsius); the analytic laws and the PNP solver convert to SI with
the factors below and nowhere else.
"""

from __future__ import annotations

import math

import scipy.constants as sc

__all__ = [
    "BOLTZMANN", "ELEMENTARY_CHARGE", "FARADAY", "EPSILON_0", "GAS_CONSTANT",
    "ZERO_CELSIUS", "EPSILON_WATER",
    "UM", "UM2", "UM3", "MM", "NA", "MV", "MS", "MOHM", "UM2_PER_MS", "US", "OHM_CM",
    "kelvin", "thermal_voltage", "debye_length", "DEFAULT_RA",
]

BOLTZMANN = sc.k                 # J/K : Boltzmann constant
ELEMENTARY_CHARGE = sc.e         # C : elementary charge
FARADAY = sc.physical_constants["Faraday constant"][0]  # C/mol : Faraday's constant
EPSILON_0 = sc.epsilon_0         # F/m : vacuum permittivity
GAS_CONSTANT = sc.R              # J/(mol K) : molar gas constant
ZERO_CELSIUS = sc.zero_Celsius   # K : 0 degC in kelvin
EPSILON_WATER = 80.0             # 1 : relative permittivity of water (paper, Table I)

# NEURON unit -> SI factors (multiply a NEURON-unit value by these to get SI)
UM = sc.micro                    # m per um
UM2 = UM ** 2                    # m2 per um2
UM3 = UM ** 3                    # m3 per um3
MM = 1.0                         # (mol/m3) per mM: 1 mM is exactly 1 mol/m3
NA = sc.nano                     # A per nA
MV = sc.milli                    # V per mV
MS = sc.milli                    # s per ms
MOHM = sc.mega                   # Ohm per MOhm
US = sc.micro                    # S per uS
OHM_CM = sc.centi                # (Ohm m) per (Ohm cm), NEURON's unit of Ra
UM2_PER_MS = UM2 / MS            # (m2/s) per (um2/ms)

#: Typical cytoplasmic axial resistivity NEURON models set today [Ohm cm] (users pick
#: 100-200; the steady electro-diffusion law's own resistivity VT/(2 C D F) is about
#: 59 Ohm cm at 20 degC, 167 mM, D = 1.33 um2/ms). The one default of every "typical Ra"
#: cable in spinepnp: dendrites, somata and the ``*-ra`` spine necks.
DEFAULT_RA = 150.0


def kelvin(celsius: float) -> float:
    """Absolute temperature [K] for a temperature in degrees Celsius."""
    t = float(celsius) + ZERO_CELSIUS
    if not math.isfinite(t):
        raise ValueError(f"celsius = {celsius!r} is not a finite temperature; give a "
                         "temperature in degrees Celsius above -273.15")
    if not t > 0.0:
        raise ValueError(f"celsius = {celsius!r} is at or below absolute zero; "
                         "give a temperature in degrees Celsius above -273.15")
    return t


def thermal_voltage(celsius: float = 20.0) -> float:
    """Thermal voltage kT/e [mV] at ``celsius`` [degC] (20 degC gives 25.26 mV)."""
    return BOLTZMANN * kelvin(celsius) / ELEMENTARY_CHARGE / MV


def debye_length(ionic_strength: float, celsius: float = 20.0,
                 epsilon_r: float = EPSILON_WATER) -> float:
    """Debye length [um] of an electrolyte.

    Parameters
    ----------
    ionic_strength : float
        Ionic strength 1/2 sum z_i^2 c_i [mM]; 167 mM of a 1:1 salt gives 167 mM.
    celsius : float
        Temperature [degC].
    epsilon_r : float
        Relative permittivity [1].
    """
    if not ionic_strength > 0:
        raise ValueError(f"ionic_strength = {ionic_strength!r} mM must be positive")
    lam2 = (epsilon_r * EPSILON_0 * BOLTZMANN * kelvin(celsius)
            / (2.0 * ionic_strength * MM * FARADAY * ELEMENTARY_CHARGE))
    return lam2 ** 0.5 / UM
