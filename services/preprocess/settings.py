"""Preprocess settings, from ``FF_PREPROCESS_*`` environment variables.

The geometry and byte limits are the upstream's rules (1688 image search:
at least 800x800, at most 2 MB); the input limits protect the service from
photos that would cost too much memory or time to decode. The 500,000-byte
target is our own aim below that hard limit, not a rule any consumer checks:
the gateway sends the JPEG base64-encoded in a form body (4/3 of its size),
no real 1688 body or document shows a limit other than the 2 MB (one vendor
advises ~100 KB, unconfirmed: ../shared/docs/1688-protocol.md), and nothing
in the services refuses a bigger JPEG.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from shared.config import (
    ConfigError,
    ServerSettings,
    float_range,
    int_range,
    parse_bool,
    parse_list,
    setting,
)

MB = 1_000_000


def effective_cpu_count() -> int:
    """Cores this process may really use: CPU affinity, capped by a cgroup v2 quota (Kubernetes)."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == "max":
        return cores
    return max(1, min(cores, int(quota) // int(period)))


@dataclass(frozen=True)
class PreprocessSettings(ServerSettings):
    """Everything the preprocess service reads from its environment."""

    ENV_PREFIX: ClassVar[str] = "FF_PREPROCESS"

    # --- the upstream's geometry and size rules ---
    # Longest side (pixels) of the photo sent upstream; larger photos are scaled down.
    long_side_max: int = setting("{prefix}_LONG_SIDE_MAX", 1200, parse=int_range(64, 8192))
    # Shortest side (pixels) the upstream prefers; smaller photos are scaled up towards it.
    short_side_min: int = setting("{prefix}_SHORT_SIDE_MIN", 800, parse=int_range(1, 8192))
    # Photos with a side below this many pixels are refused as too small.
    min_side_floor: int = setting("{prefix}_MIN_SIDE_FLOOR", 64, parse=int_range(1, 8192))
    # Size (bytes) the prepared JPEG aims for, lowering the quality if needed.
    target_bytes: int = setting("{prefix}_TARGET_BYTES", 500_000, parse=int_range(10_000))
    # Hard limit (bytes) of the prepared JPEG; never exceeded.
    max_output_bytes: int = setting("{prefix}_MAX_OUTPUT_BYTES", 2 * MB, parse=int_range(10_000))
    # JPEG quality the prepared photo starts at.
    jpeg_quality: int = setting("{prefix}_JPEG_QUALITY", 90, parse=int_range(30, 95))
    # Below this quality the target is given up (with a warning); the hard limit never is.
    jpeg_min_quality: int = setting("{prefix}_JPEG_MIN_QUALITY", 70, parse=int_range(10, 95))

    # --- what the service accepts ---
    # Largest photo (bytes) accepted.
    max_input_bytes: int = setting("{prefix}_MAX_INPUT_BYTES", 25 * MB, parse=int_range(1024))
    # 100 MP covers 108-MP phone sensors; above it a photo is treated as a decompression bomb.
    max_pixels: int = setting("{prefix}_MAX_PIXELS", 100_000_000, parse=int_range(1))
    # Progressive JPEGs with thousands of scans decode for minutes (libjpeg-turbo advises 500).
    max_jpeg_scans: int = setting("{prefix}_MAX_JPEG_SCANS", 500, parse=int_range(1))

    # --- worker processes (0 = one per usable core) ---
    # Worker processes decoding photos; 0 = one per usable core.
    workers: int = setting("{prefix}_WORKERS", 0, parse=int_range(0, 256))
    # CPU seconds one photo may use before its worker is killed (a hang inside a decoder).
    task_cpu_seconds: int = setting("{prefix}_TASK_CPU_SECONDS", 30, parse=int_range(1, 3600))
    # Memory one worker may use above its idle size (RLIMIT_AS); photos estimated to need more
    # are refused unread, and a worker still holding more than half of it after a photo is
    # replaced. 2 workers x (idle ~90 + 320) + the service stay under 1 GiB.
    worker_memory_mb: int = setting("{prefix}_WORKER_MEMORY_MB", 320, parse=int_range(64, 1 << 20))
    # How much lower the CPU priority of the image work is than the service's own (a nice
    # increment for the worker processes and the comparison threads; 0 = the same): on a
    # shared host (factoryfinder up, a small node) request routing, this service's and
    # the others', is served first; with cores of its own it changes nothing.
    image_niceness: int = setting("{prefix}_IMAGE_NICENESS", 5, parse=int_range(0, 19))

    # --- fetching a photo by URL ---
    # Largest photo (bytes) fetched for a photo given by URL.
    fetch_max_bytes: int = setting("{prefix}_FETCH_MAX_BYTES", 25 * MB, parse=int_range(1024))
    # Time allowed to fetch a photo given by URL.
    fetch_timeout_seconds: float = setting(
        "{prefix}_FETCH_TIMEOUT_SECONDS", 10.0, parse=float_range(0.1, 300)
    )
    # Redirects followed when fetching a photo given by URL.
    fetch_max_redirects: int = setting("{prefix}_FETCH_MAX_REDIRECTS", 3, parse=int_range(0, 10))
    # Only for the sandbox and tests: lets URLs point at loopback and private networks.
    allow_private_urls: bool = setting("{prefix}_ALLOW_PRIVATE_URLS", False, parse=parse_bool)

    # --- offers' images for CompareImages (services/preprocess/offer_images.py) ---
    # Host names, or ".suffix" for a domain and its subdomains (with ALLOW_PRIVATE_URLS,
    # 127.0.0.1 and localhost too: the sandbox serves its images itself). 1688's rows point
    # at its CDN and now and then at Alibaba Cloud object storage (an OSS link, real-1688);
    # the mesh's egress (deploy/istio/egress.yaml) opens exactly these to preprocess.
    image_hosts: list[str] = setting(
        "{prefix}_IMAGE_HOSTS", [".alicdn.com", ".aliyuncs.com"], parse=parse_list
    )
    # Largest offer image downloaded, in bytes.
    image_max_bytes: int = setting("{prefix}_IMAGE_MAX_BYTES", 4 * MB, parse=int_range(1024))
    # Most pixels an offer image may declare; larger ones are not decoded.
    image_max_pixels: int = setting("{prefix}_IMAGE_MAX_PIXELS", 40_000_000, parse=int_range(1))
    # Seconds allowed to download one offer image.
    image_timeout_seconds: float = setting(
        "{prefix}_IMAGE_TIMEOUT_SECONDS", 3.0, parse=float_range(0.1, 60)
    )
    # Offer images downloaded at the same time, per call.
    image_fetch_concurrency: int = setting(
        "{prefix}_IMAGE_FETCH_CONCURRENCY", 16, parse=int_range(1, 256)
    )
    # Bytes of downloaded offer images kept, by URL.
    image_cache_bytes: int = setting("{prefix}_IMAGE_CACHE_BYTES", 64 * MB, parse=int_range(0))
    # Descriptions of offer images kept by URL (about 32 KB each: 8 views of 1007 floats;
    # 4096 of them, ~128 MB, fit the pod's memory limit beside the workers, deploy/).
    cached_descriptions: int = setting(
        "{prefix}_CACHED_DESCRIPTIONS", 4096, parse=int_range(0, 1_000_000)
    )
    # CompareImages takes at most this many candidates (a verification compares <= 300).
    compare_max_candidates: int = setting(
        "{prefix}_COMPARE_MAX_CANDIDATES", 300, parse=int_range(1, 1000)
    )

    def __post_init__(self) -> None:
        checks = [
            (self.short_side_min <= self.long_side_max, "SHORT_SIDE_MIN must be <= LONG_SIDE_MAX"),
            (
                self.min_side_floor <= self.short_side_min,
                "MIN_SIDE_FLOOR must be <= SHORT_SIDE_MIN",
            ),
            (
                self.target_bytes <= self.max_output_bytes,
                "TARGET_BYTES must be <= MAX_OUTPUT_BYTES",
            ),
            (
                self.jpeg_min_quality <= self.jpeg_quality,
                "JPEG_MIN_QUALITY must be <= JPEG_QUALITY",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"{self.ENV_PREFIX}_{message}")

    @property
    def worker_count(self) -> int:
        """Worker processes to start: the setting, or one per usable core."""
        return self.workers or effective_cpu_count()
