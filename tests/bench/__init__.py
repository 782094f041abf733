"""Benchmarks (``make bench``).

They run with one OpenBLAS thread, as the services that use numpy's BLAS run
(``factoryfinder serve`` sets it for preprocess and the sandbox): a CPU figure measured in
a bench's own process (the comparison's, bench_quality) is then the work's, not the
busy-waiting of BLAS threads it does not need. Set before any bench imports numpy; a
value already in the environment wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
