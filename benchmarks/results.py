"""``benchmarks/RESULTS.md``: each benchmark rewrites its own section between two markers; the
notes written by hand around the sections stay as they are."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(lines: list[str], start: str, end: str, path: Path = RESULTS) -> None:
    """Put ``lines`` between the markers ``start`` and ``end`` (appended if they are not there)."""
    section = "\n".join([start, *lines, end])
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
