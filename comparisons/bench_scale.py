#!/usr/bin/env python
"""Scaling benchmark of spiny networks: 10^3-10^5 spines, NEURON on 1 and 2 MPI ranks,
CoreNEURON, memory per spine, with explicit Section spines and Exp2Syn baselines.

The same as ``spinepnp bench`` (the code is :mod:`spinepnp.bench_cli`)::

    python comparisons/bench_scale.py            # 10^3, 10^4, 10^5 spines
    python comparisons/bench_scale.py --quick    # seconds
    python comparisons/bench_scale.py --help
"""

import sys
from pathlib import Path

try:
    import spinepnp  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spinepnp.bench_cli import main  # noqa: E402

if __name__ == "__main__":
    main()
