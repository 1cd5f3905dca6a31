"""spinepnp: electro-diffusion (Poisson-Nernst-Planck) spines for NEURON.

Importing :mod:`spinepnp` or :mod:`spinepnp.laws` does not import NEURON or matplotlib.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
