"""The SHA-256 of a file, as manifests, build stamps and report provenance record it.

A module of its own, importing nothing heavy: the build's up-to-date check and the readers
of records both use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
