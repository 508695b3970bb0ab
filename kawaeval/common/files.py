"""Files as every stage writes them: SHA-256 digests, atomic replacement, reproducible dates,
and the one place where an OSError of writing becomes the error a person can act on
(:func:`writing_into`: the folder named, and what to do).

Importing nothing heavy: the build's up-to-date check and the readers of records both use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kawaeval.exceptions import OutputWriteError, UsageError

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def file_sha256(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@contextmanager
def replacing(*targets: Path) -> Iterator[list[Path]]:
    """Temporary files beside each target, to be written by the caller; when the block ends
    without an error each replaces its target (``os.replace``), else they are removed and the
    targets are left as they were.

    Raises
    ------
    OutputWriteError
        If a folder cannot be created or written to, or a file not moved into place (no
        space, no permission), naming the folder or the file.
    """
    staged: list[Path] = []
    where = targets[0].parent if targets else Path(".")
    try:
        for target in targets:
            where = target.parent
            where.mkdir(parents=True, exist_ok=True)
            staged.append(_new_file_beside(target))
        where = targets[0].parent if targets else where
        yield list(staged)
        for temporary, target in zip(staged, targets, strict=True):
            where = target
            os.replace(temporary, target)
    except OSError as exc:
        raise OutputWriteError(where, exc.strerror or str(exc), exc.errno) from exc
    finally:
        for temporary in staged:
            temporary.unlink(missing_ok=True)


def _new_file_beside(target: Path) -> Path:
    """An empty new file next to ``target``, with the permissions ``target`` would get (the
    umask's, unlike ``mkstemp``'s owner-only files: reports and workbooks are for readers)."""
    while True:
        path = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return path


@contextmanager
def writing_into(folder: Path | str) -> Iterator[None]:
    """Turn an OSError raised while writing into ``folder`` (read-only, full, a file where the
    folder should be) into :class:`OutputWriteError` naming the folder and what to do.

    ``clean``, ``build`` and ``template`` write through it (or :func:`replacing`, which says
    the same), so each says the same; an error about a folder inside this one (a build's
    staging folder) is told about the folder the person gave.
    """
    try:
        yield
    except OSError as exc:
        raise OutputWriteError(folder, exc.strerror or str(exc), exc.errno) from exc
    except OutputWriteError as exc:
        inner = Path(exc.path)
        if inner != Path(folder) and inner.is_relative_to(folder):
            raise OutputWriteError(folder, exc.problem, exc.error_number) from exc
        raise


def write_files(contents: dict[Path, bytes]) -> None:
    """Write every file beside its target first, then move each into place (:func:`replacing`).

    Raises
    ------
    OutputWriteError
        If a file cannot be written; the targets are then left as they were.
    """
    targets = list(contents)
    with replacing(*targets) as staged:
        for temporary, target in zip(staged, targets, strict=True):
            temporary.write_bytes(contents[target])


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line ends (byte-identical on every platform)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_json(path: Path, data: object) -> None:
    """Write JSON sorted and indented, as every report file is written."""
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def source_date_epoch() -> datetime | None:
    """The build time from SOURCE_DATE_EPOCH (reproducible-builds.org), None when unset.

    Raises
    ------
    UsageError
        If SOURCE_DATE_EPOCH is set but is not a whole number of seconds.
    """
    value = os.environ.get(SOURCE_DATE_EPOCH)
    if value is None or value == "":
        return None
    try:
        seconds = int(value)
    except ValueError:
        raise UsageError(
            f"SOURCE_DATE_EPOCH「{value}」は秒数ではありません"
            " (expected whole seconds since 1970-01-01, e.g. 1700000000)"
        ) from None
    return datetime.fromtimestamp(seconds, tz=UTC)


def source_date() -> str | None:
    """SOURCE_DATE_EPOCH as the date a report shows (``2023-11-14``), None when unset."""
    when = source_date_epoch()
    return None if when is None else when.strftime(REPORT_DATE)


REPORT_DATE = "%Y-%m-%d"


def epoch_date(value: object) -> str | None:
    """A SOURCE_DATE_EPOCH value as a build stamp records it, as the date a report shows;
    None when it is unset or not a whole number of seconds (a stamp is not checked again)."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC).strftime(REPORT_DATE)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def source_datetime() -> str | None:
    """SOURCE_DATE_EPOCH as a W3C date-time (a document's creation date), None when unset."""
    when = source_date_epoch()
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")
