"""Photos prepared in worker processes, one per core, so the event loop never blocks.

Decoding and resampling hold the GIL for tens of milliseconds; in the gRPC
process they would stall every other call (health checks included) and use
one core. Workers run :func:`prepare` instead, each single-threaded.

A worker can die: a decoder crash on hostile bytes, the per-photo CPU limit
(``task_cpu_seconds``, enforced with RLIMIT_CPU so even a hang inside C code
ends), or the kernel's OOM killer. The pool is then rebuilt and the calls
that were in flight are retried once; a photo that kills a worker twice is
refused as IMAGE_CORRUPT.

Memory has a ceiling per worker. Photos whose header promises more than
``worker_memory_mb`` of decoding are refused before any decoding
(``memory_budget.py``); the kernel enforces the rest: each worker's address
space may grow by that much (plus room for a few threads' stacks) above its
size when it started (RLIMIT_AS), so a lying header or a greedy decoder meets
a failed allocation (MemoryError, or a decoder's "out of memory"), refused as
IMAGE_TOO_MANY_PIXELS, instead of the machine's memory. glibc keeps freed
memory, so after each photo a worker whose RSS stays above its starting RSS
plus half the budget returns free memory to the kernel (malloc_trim), and if
that is not enough it retires after sending its result: the executor starts a
replacement, and no call in flight is lost (that is the path the standard
library takes for ``max_tasks_per_child``; ``_recycling_worker`` is its loop
with the decision made on RSS instead of a task count).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import process as futures_process
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, cast

import pillow_heif

from services.preprocess.enhancement import PhotoRole
from services.preprocess.errors import ImageRejected, Reason, reject
from services.preprocess.pipeline import PreparedPhoto, prepare
from services.preprocess.settings import PreprocessSettings

# Workers come from a fork server: a fresh interpreter (fork + exec, so safe while gRPC's
# threads run) that imported the pipeline's libraries once, so replacing a worker is quick.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["services.preprocess.pipeline"])
_WARM_UP_SECONDS = 0.2


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


MIB = 1 << 20
# Address space beyond the photo budget: stacks and malloc arenas of the threads that
# decoders start (each arena reserves 64 MiB of address space it may never touch).
_THREAD_SLACK_MB = 128
# Words in errors that decoders raise when an allocation fails.
_MEMORY_HINTS = ("out of memory", "cannot allocate", "memory allocation", "not enough memory")


def _status_kib(field: str) -> int:
    """A ``VmSize``/``VmRSS`` line of /proc/self/status, in KiB (0 where there is no /proc)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def limit_address_space(megabytes: int) -> None:
    """Let this process's address space grow by at most ``megabytes`` (and the thread slack)."""
    current = _status_kib("VmSize") * 1024
    if not current:
        return
    soft = current + (megabytes + _THREAD_SLACK_MB) * MIB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_LIBC_NAME = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None


def _give_back_free_memory() -> None:
    """Return the heap's free pages to the kernel (glibc keeps them otherwise)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


class _RssCeiling:
    """Set in each worker at start: the RSS above which it retires after a photo."""

    limit_kib = 0

    @classmethod
    def set(cls, memory_mb: int) -> None:
        cls.limit_kib = _status_kib("VmRSS") + memory_mb * 1024 // 2

    @classmethod
    def exceeded(cls) -> bool:
        if not cls.limit_kib or _status_kib("VmRSS") <= cls.limit_kib:
            return False
        _give_back_free_memory()
        return _status_kib("VmRSS") > cls.limit_kib


def _start_worker(owner_pid: int, memory_mb: int, niceness: int) -> None:
    threading.Thread(target=_exit_when_owner_dies, args=(owner_pid,), daemon=True).start()
    # Ctrl-C in a terminal reaches the whole process group; the parent handles it and
    # shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Workers yield to the gRPC processes (``image_niceness``): health checks and I/O stay
    # quick when every core is busy.
    os.nice(niceness)
    # Like libvips (see resampling.py), HEIF decoding uses one thread: one worker per core.
    pillow_heif.options.DECODE_THREADS = 1
    _RssCeiling.set(memory_mb)
    limit_address_space(memory_mb)


def _recycling_worker(
    call_queue: Any, result_queue: Any, initializer: Any, initargs: tuple[Any, ...]
) -> None:
    """The standard library's worker loop (``_process_worker``), retiring on RSS after a call."""
    initializer(*initargs)
    while True:
        call_item = call_queue.get(block=True)
        if call_item is None:  # shutdown: wake the executor's manager thread
            result_queue.put(os.getpid())
            return
        result: Any = None
        error: Any = None
        try:
            result = call_item.fn(*call_item.args, **call_item.kwargs)
        except BaseException as exc:
            trace: Any = exc.__traceback__  # always set inside the except block
            error = futures_process._ExceptionWithTraceback(exc, trace)
        exit_pid = os.getpid() if _RssCeiling.exceeded() else None
        futures_process._sendback_result(
            result_queue, call_item.work_id, result=result, exception=error, exit_pid=exit_pid
        )
        del call_item, result, error
        if exit_pid is not None:
            return


class _RecyclingExecutor(ProcessPoolExecutor):
    """A process pool whose workers run :func:`_recycling_worker`."""

    def _adjust_process_count(self) -> None:
        # The standard library replaces a retired worker only when no other is idle (on the
        # next submission); a pool that serves bursts wants its full size back at once.
        while len(self._processes) < getattr(self, "_max_workers"):  # noqa: B009 (not in the stub)
            self._spawn_process()

    def _spawn_process(self) -> None:
        process = _CONTEXT.Process(
            target=_recycling_worker,
            args=(
                getattr(self, "_call_queue"),  # noqa: B009 (not in typeshed's stub)
                self._result_queue,
                self._initializer,
                self._initargs,
            ),
        )
        process.start()
        assert process.pid is not None
        # typeshed types the mapping with multiprocessing.Process, a sibling of ForkServerProcess.
        self._processes[process.pid] = cast(Any, process)


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
    try:
        return prepare(data, role, settings)
    except ImageRejected:
        raise
    except MemoryError as exc:
        raise reject(
            Reason.IMAGE_TOO_MANY_PIXELS,
            f"preparing the photo needs more than a worker's {settings.worker_memory_mb} MiB",
        ) from exc
    except Exception as exc:  # resampling and encoding (libvips, Pillow) outside the decoders
        if not any(hint in str(exc).lower() for hint in _MEMORY_HINTS):
            raise
        raise reject(
            Reason.IMAGE_TOO_MANY_PIXELS,
            f"preparing the photo needs more than a worker's {settings.worker_memory_mb} MiB",
        ) from exc


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
        return _RecyclingExecutor(
            max_workers=self._settings.worker_count,
            mp_context=_CONTEXT,
            initializer=_start_worker,
            initargs=(
                os.getpid(),
                self._settings.worker_memory_mb,
                self._settings.image_niceness,
            ),
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
