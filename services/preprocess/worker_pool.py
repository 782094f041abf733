"""Photos prepared in worker processes, one per core, so the event loop never blocks.

Decoding and resampling hold the GIL for tens of milliseconds; in the gRPC
process they would stall every other call (health checks included) and use
one core. Workers run :func:`prepare` instead, each single-threaded.

A worker can die: a decoder crash on hostile bytes, the per-photo CPU limit
(``task_cpu_seconds``, enforced with RLIMIT_CPU so even a hang inside C code
ends), or the kernel's OOM killer. The pool is then rebuilt and the calls
that were in flight are retried once; a photo that kills a worker twice is
refused as IMAGE_CORRUPT.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pillow_heif

from services.preprocess.enhancement import PhotoRole
from services.preprocess.pipeline import PreparedPhoto, prepare
from services.preprocess.rejections import Reason, reject
from services.preprocess.settings import PreprocessSettings

# Workers come from a fork server: a fresh interpreter (fork + exec, so safe while gRPC's
# threads run) that imported the pipeline's libraries once, so replacing a worker is quick.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["services.preprocess.pipeline"])
_WARM_UP_SECONDS = 0.2
# Workers yield to the gRPC process: health checks and I/O stay quick when every core is busy.
_WORKER_NICENESS = 5


# How often a worker checks that the service that owns it is still alive.
_OWNER_CHECK_SECONDS = 1.0


def _exit_when_owner_dies(owner_pid: int) -> None:
    """Workers are children of the forkserver, not of the service: if the service is
    SIGKILLed, nothing tells them, and they (and the forkserver, which lives while any
    worker does) would wait forever for work. So each worker watches its owner."""
    while True:
        time.sleep(_OWNER_CHECK_SECONDS)
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            os._exit(1)


def _start_worker(owner_pid: int) -> None:
    threading.Thread(target=_exit_when_owner_dies, args=(owner_pid,), daemon=True).start()
    # Ctrl-C in a terminal reaches the whole process group; the parent handles it and
    # shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(_WORKER_NICENESS)
    # Like libvips (see resampling.py), HEIF decoding uses one thread: one worker per core.
    pillow_heif.options.DECODE_THREADS = 1


def limit_cpu_time(seconds: int) -> None:
    """Have the kernel kill this process (SIGXCPU) once it uses ``seconds`` more CPU time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + 1 + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _prepare_within_cpu_limit(
    data: bytes, role: PhotoRole, settings: PreprocessSettings
) -> PreparedPhoto:
    """``prepare`` in a worker that is killed if this photo uses more than its CPU time."""
    limit_cpu_time(settings.task_cpu_seconds)
    return prepare(data, role, settings)


def _warm_up() -> int:
    """Held long enough that each warm-up call lands on its own worker."""
    time.sleep(_WARM_UP_SECONDS)
    return os.getpid()


class WorkerPool:
    """A process pool that survives its workers' deaths."""

    def __init__(self, settings: PreprocessSettings) -> None:
        self._settings = settings
        self._executor = self._new_executor()
        self.rebuilds = 0

    @property
    def size(self) -> int:
        return self._settings.worker_count

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._settings.worker_count,
            mp_context=_CONTEXT,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    async def start(self) -> list[int]:
        """Start every worker now, so the first photos do not pay for process start-up; their pids."""
        loop = asyncio.get_running_loop()
        pids = await asyncio.gather(
            *(loop.run_in_executor(self._executor, _warm_up) for _ in range(self.size))
        )
        return sorted(set(pids))

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (the executor keys its processes by pid)."""
        return sorted(self._executor._processes or {})

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        # Several calls see the same broken pool; only the first replaces it.
        if self._executor is broken:
            self._executor = self._new_executor()
            self.rebuilds += 1
            broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, data: bytes, role: PhotoRole) -> PreparedPhoto:
        """Prepare one photo in a worker; raises ImageRejected like :func:`prepare`."""
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            executor = self._executor
            try:
                return await loop.run_in_executor(
                    executor, _prepare_within_cpu_limit, data, role, self._settings
                )
            except BrokenProcessPool:
                self._replace(executor)
                if attempt == 1:
                    break
        raise reject(
            Reason.IMAGE_CORRUPT,
            "the photo could not be decoded within the service's memory and time limits",
        )

    async def close(self) -> None:
        """Stop the workers, letting photos in progress finish."""
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
