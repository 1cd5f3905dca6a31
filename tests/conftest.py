"""Shared fixtures. NEURON is imported only by tests that ask for it."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def mechanisms():
    """spinepnp's mechanisms, compiled (cached) and loaded into this process's NEURON."""
    from spinepnp.loader import load_mechanisms
    return load_mechanisms()


@pytest.fixture
def h(mechanisms):
    """NEURON's hoc interpreter with the mechanisms loaded; sections deleted afterwards."""
    from neuron import h as _h
    _h.load_file("stdrun.hoc")
    yield _h
    for sec in list(_h.allsec()):
        _h.delete_section(sec=sec)
    _h.cvode_active(0)
