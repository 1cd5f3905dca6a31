"""spinepnp's benchmarks, each printing ratios against baselines run in the same call.

- :mod:`spinepnp.bench.scale`: spiny networks of 10^3-10^5 spines on NEURON with 1 and
  2 MPI ranks and on CoreNEURON, memory per spine (``spinepnp bench``);
- :mod:`spinepnp.bench.spine`: the drop-in spine against Exp2Syn and explicit spines
  (``python -m spinepnp.bench.spine``);
- :mod:`spinepnp.bench.pnp`: the PNP solver against its sparse-LU and
  ``scipy.integrate.solve_bvp`` baselines (``python -m spinepnp.bench.pnp``).

``comparisons/bench_*.py`` run the same from a checkout.
"""
