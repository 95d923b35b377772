"""The C allocator's settings for a step's short-lived arrays (glibc's malloc only), by opt-in.

A step makes many temporary arrays of a few hundred kilobytes (one value per co-member pair).
By default glibc adapts its thresholds to the blocks it sees, but it still gives the top of the
heap back to the operating system whenever more than twice the largest block so far lies free
there: when a step frees several such arrays at once, that happens, and the next arrays are
faulted in again page by page, each page zeroed by the kernel. At 10,000 organisations that was
about a sixth of a governance step. :func:`tune` sets the trim threshold to ``TRIM_THRESHOLD``
and the mmap threshold to ``MMAP_THRESHOLD`` (which also ends glibc's adapting), once per
process, so freed memory stays for the next array. Results are unaffected.

These settings are the whole process's, so nothing in coopsim's Python API makes them: importing
coopsim or building and running a model leaves malloc as it was. The command line and the worker
processes coopsim starts itself (sweeps, comparisons, patterns) call :func:`tune`; a script may
call it too.

The price: a process keeps freed memory instead of returning it — at least the free top of the
heap up to ``TRIM_THRESHOLD``, and free blocks below the top, as glibc always does. How much
depends on the peak a run reached. :func:`release` hands all of it back (``malloc_trim``);
``coopsim.runs`` calls it when a run ends, which does nothing where :func:`tune` was not applied.

Nothing is changed when the environment already sets glibc's malloc (``MALLOC_TRIM_THRESHOLD_``,
``MALLOC_MMAP_THRESHOLD_``, ``GLIBC_TUNABLES``: someone chose, e.g. Dask's nanny), when
``COOPSIM_TUNE_MALLOC`` is ``0``/``false``/``no``/``off``, or with another C library.
"""

from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "release", "tune", "tuned"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
TRIM_THRESHOLD = 128 << 20  # free memory kept at the top of the heap
MMAP_THRESHOLD = 32 << 20  # blocks from this size up are mapped on their own
_CHOSEN_ELSEWHERE = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")
_OFF = ("0", "false", "no", "off")

_tuned: bool | None = None  # None: tune() was never called in this process
_libc: ctypes.CDLL | None = None  # glibc, once the settings are made


def tune() -> bool:
    """Raise glibc's trim and mmap thresholds, once per process; True if they are raised."""
    global _tuned
    if _tuned is None:
        _tuned = _apply()
    return _tuned


def tuned() -> bool:
    """Whether this process runs with the raised thresholds (``tune`` was called and applied)."""
    return bool(_tuned)


def release() -> bool:
    """Hand free heap memory back to the operating system (after a run), where ``tune`` raised
    the thresholds; True if glibc released any memory."""
    if _tuned and _libc is not None:
        return bool(_libc.malloc_trim(0))
    return False


def _apply() -> bool:
    global _libc
    if os.environ.get("COOPSIM_TUNE_MALLOC", "1").strip().lower() in _OFF:
        return False
    if any(name in os.environ for name in _CHOSEN_ELSEWHERE):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt, libc.malloc_trim.argtypes = libc.mallopt, (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    libc.malloc_trim.restype = ctypes.c_int
    # Trim first: if it fails nothing has changed. Once it succeeds the process's settings have
    # changed (setting either also ends glibc's adapting), so that is what ``tuned()`` reports;
    # the mmap threshold is within glibc's range (at most 32 MiB on 64-bit) and is accepted.
    if not mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        return False
    _libc = libc
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return True
