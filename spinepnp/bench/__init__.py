"""spinepnp's benchmarks, each printing ratios against baselines run in the same call.

- :mod:`spinepnp.bench.scale`: spiny networks of 10^3-10^5 spines on NEURON with 1 and
  2 MPI ranks and on CoreNEURON, memory per spine (``spinepnp bench``);
- :mod:`spinepnp.bench.spine`: the drop-in spine against Exp2Syn and explicit spines
  (``python -m spinepnp.bench.spine``);
- :mod:`spinepnp.bench.pnp`: the PNP solver against its sparse-LU and
  ``scipy.integrate.solve_bvp`` baselines (``python -m spinepnp.bench.pnp``);
- :mod:`spinepnp.bench.cell`: a spiny reconstructed cell, folded spines against every
  spine a point process and Exp2Syn (``python -m spinepnp.bench.cell``);
- :mod:`spinepnp.bench.pnp2d`: the axisymmetric 2-D PNP solver against the quasi-1D one
  (``python -m spinepnp.bench.pnp2d``).

``comparisons/bench_*.py`` run the same from a checkout.
"""

from __future__ import annotations

import os
import platform

# The benchmarks time this process's CPU (time.process_time), which counts every thread:
# OpenBLAS's idle worker threads (started by any numpy import) spin and add their CPU
# time to the run being timed (measured: the same 200-spine ion run took 0.24-0.37 s CPU
# with them, 0.24-0.26 s without). One BLAS thread, set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__all__ = ["cpu_name"]


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), for the benchmarks' machine line."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
