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
    cv = _h.CVode()
    saved = (_h.dt, cv.atol(), cv.rtol(), _h.celsius)
    yield _h
    # Stop every Vector play/record and NetCon before the sections go: a failed test
    # keeps its Vectors alive in the traceback, and recording into freed memory crashes
    # the run.
    for vec in _h.List("Vector"):
        vec.play_remove()
    for nc in _h.List("NetCon"):
        nc.active(False)
    for sec in list(_h.allsec()):
        _h.delete_section(sec=sec)
    _h.cvode_active(0)
    # leave dt, CVODE tolerances and temperature as found (tests share the process)
    _h.dt = saved[0]
    cv.atol(saved[1])
    cv.rtol(saved[2])
    _h.celsius = saved[3]
