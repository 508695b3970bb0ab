"""The CPUs this process may use: one answer for the build's ``--jobs`` and cleaning's threads."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
