"""The C allocator's settings for a step's short-lived arrays (glibc's malloc only).

A step makes many temporary arrays of a few hundred kilobytes (one value per co-member pair).
With glibc's defaults, memory freed at the top of the heap is given back to the operating system
as soon as more than 128 KiB is free, and larger blocks are mapped and unmapped one by one, so
the next array touches fresh pages again and the kernel zeroes each one: at 10,000 organisations
that page-faulting took about a sixth of a governance step. :func:`tune` raises both thresholds
once per process, so freed memory stays for the next array. Results are unaffected; the cost is
that the process keeps up to ``TRIM_THRESHOLD`` of freed memory instead of returning it. Set the
environment variable ``COOPSIM_TUNE_MALLOC=0`` to keep the allocator's defaults.
"""

from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
TRIM_THRESHOLD = 128 << 20  # free memory kept at the top of the heap
MMAP_THRESHOLD = 32 << 20  # blocks from this size up are mapped on their own

_tuned: bool | None = None


def tune() -> bool:
    """Raise glibc's trim and mmap thresholds, once per process; True if they are raised.

    Does nothing (and returns False) with another C library, or when ``COOPSIM_TUNE_MALLOC``
    is ``0``.
    """
    global _tuned
    if _tuned is None:
        _tuned = _apply()
    return _tuned


def _apply() -> bool:
    if os.environ.get("COOPSIM_TUNE_MALLOC", "1").strip() == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Setting either threshold also stops glibc from adjusting them on its own.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
