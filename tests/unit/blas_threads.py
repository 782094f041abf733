"""Run a script that prints a digest with a given number of OpenBLAS threads (set before
numpy loads, so in a child process): for tests that a result does not depend on them."""

from __future__ import annotations

import os
import subprocess
import sys


def digest_with_threads(script: str, threads: str) -> str:
    """What ``script`` prints (stripped), run with ``OPENBLAS_NUM_THREADS=threads``."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "OPENBLAS_NUM_THREADS": threads},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()
