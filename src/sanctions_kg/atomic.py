"""Replacing a folder or a file as one step, so that a crash leaves the old content or the new,
whole.

Linux's ``renameat2(RENAME_EXCHANGE)`` swaps two paths atomically; Python's standard library
does not expose it, hence the small ctypes call. Where it is unavailable the fallback renames
the old folder aside first and restores it on the next run if the switch was interrupted.

:func:`output_file` is the one writer of every ``--output`` file: a temporary sibling renamed
over the file, except for the special files (``/dev/null``, a FIFO) that a rename would destroy.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import io
import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from .errors import OutputError, SanctionsKGError, StoreInUseError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
MARKER = ".sanctions-kg-build"


@cache
def _renameat2() -> object | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    return getattr(libc, "renameat2", None)


def exchange(new: Path, target: Path) -> None:
    """Atomically put ``new`` in place of ``target``; the old content ends up at ``new``."""
    if not target.exists():
        os.rename(new, target)
        return
    function = _renameat2()
    if function is not None:
        result = function(  # type: ignore[operator]
            _AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE
        )
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(target))
    aside = target.with_name(target.name + ".previous")
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(target, aside)
    os.rename(new, target)
    os.rename(aside, new)


def recover(target: Path) -> None:
    """Restore ``target`` if a fallback exchange was interrupted between its two renames."""
    aside = target.with_name(target.name + ".previous")
    if aside.exists() and not target.exists():
        os.rename(aside, target)


@contextlib.contextmanager
def creating(path: Path, error: type[SanctionsKGError] = OutputError) -> Iterator[None]:
    """Report a failure to create the folders and files of ``path`` as ``error`` naming it (no
    permission, a read-only file system, a path through a file): an input error, not a bug."""
    try:
        yield
    except OSError as failure:
        refuse_a_path_through_a_file(path, error)
        raise error(f"{path}: cannot write here ({failure.strerror or failure})") from None


def refuse_a_path_through_a_file(path: Path,
                                 error: type[SanctionsKGError] = OutputError) -> None:
    """Raise ``error`` when a parent of ``path`` is a file (not a folder), naming it."""
    for parent in reversed(path.parents):
        # os.path, not Path: Path.exists raises for a folder that cannot be searched
        if os.path.exists(parent) and not os.path.isdir(parent):
            raise error(f"{path}: {parent} is a file, not a folder; choose another path or "
                        "move the file") from None


#: Failures of the file system rather than of the program: a full disk, a quota, a file size
#: limit, an I/O error, a file system mounted read-only.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


@contextlib.contextmanager
def writing(path: Path, what: str, option: str,
            error: type[SanctionsKGError] = OutputError) -> Iterator[None]:
    """Report the file system failing the writes of the block (see ``_STORAGE_ERRNOS``; the
    store's RocksDB says ``IO error: <reason>: …``) as ``error`` naming ``path``: an input
    error, with what to do, not a bug."""
    try:
        yield
    except OSError as failure:
        message = str(failure)
        if failure.errno in _STORAGE_ERRNOS and failure.strerror:
            reason = failure.strerror
        elif message.startswith("IO error: "):  # the system's reason comes last
            reason = message.rsplit(": ", 1)[-1]
        else:
            raise
        raise error(f"{path}: cannot write {what} ({reason}); free space, or choose another "
                    f"{option}") from None


def staging_dir(target: Path) -> Path:
    """A fresh folder beside ``target`` to prepare its replacement in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    path = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


#: The names a build writes in its --out folder: the marker, and files (never folders: a
#: folder named like this is someone's, the data folder perhaps) named like these (an earlier
#: version may have written one that this one does not).
BUILD_FILES = re.compile(r"sanctions-kg\.[\w.-]+")


def check_output_dir(target: Path) -> None:
    """Refuse to replace a folder that holds other things than a previous build: the build
    swaps in a new folder whole, and what else it held (the data folder itself, a report
    written there, notes) would be gone."""
    recover(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; choose another --out")
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not (target / MARKER).exists():
        raise OutputError(
            f"{target}: folder is not empty and was not written by sanctions-kg build; "
            "choose an empty or new --out folder"
        )
    others = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in target.iterdir()
                    if entry.name != MARKER and not (BUILD_FILES.fullmatch(entry.name)
                                                     and entry.is_file()
                                                     and not entry.is_symlink()))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise OutputError(
            f"{target}: holds {shown} besides the files of the last build, and the build "
            "replaces the whole folder; move them out, or choose another --out"
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def exclusive_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` or fail at once with a "store in use" error.

    The holder may remove the lock file (and its folder) before it lets go: a lock taken on a
    file that is no longer at ``path`` locks out nobody, so it is dropped and taken again on
    the file that is there now.
    """
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            if path.parent.is_dir():  # not a folder removed meanwhile (a dangling link, say)
                raise
            continue  # the folder was removed between the two calls
        held = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = _is_at(fd, path)
        except BlockingIOError:
            raise StoreInUseError(
                f"{what}: store in use: another sanctions-kg process is writing it; "
                "wait for it to finish and run again"
            ) from None
        finally:
            if not held:
                os.close(fd)
        if held:
            break
    try:
        _held_locks.add(fd)
        yield
    finally:
        _held_locks.discard(fd)
        os.close(fd)


def _is_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is the file at ``path``."""
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (here.st_dev, here.st_ino)


#: Descriptors of the locks this process holds; a forked worker must not keep them.
_held_locks: set[int] = set()


def become_worker() -> None:
    """In a forked worker process: drop inherited lock descriptors and die with the parent.

    A worker that kept the descriptor would keep the store locked after its parent was killed;
    a worker that outlived its parent would keep computing for nobody.
    """
    for fd in list(_held_locks):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()
    name = ctypes.util.find_library("c")
    if name is not None:
        libc = ctypes.CDLL(name, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call above took effect
            os._exit(1)


# --- output files --------------------------------------------------------------------------


class WriteError(OSError):
    """A write to an output file or stream failed (a full disk, an I/O error). Raised in place
    of the plain ``OSError``, so that the failure is reported as the output's, not as a bug."""


class CheckedFile(io.FileIO):
    """A file whose failed writes raise :class:`WriteError`. A broken pipe stays a
    ``BrokenPipeError``: for standard output it means that the reader went away."""

    def write(self, data: Any, /) -> int:
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise WriteError(error.errno, error.strerror) from None


#: What an all-or-nothing stream keeps in memory before it spills into a temporary file.
SPOOL_BYTES = 32 * 1024 * 1024


class _Spool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """A spool whose failed writes (its temporary file's disk full) are an OutputError."""

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise OutputError(
                f"cannot hold the results until the query ends ({error.strerror or error}); "
                f"free space in {tempfile.gettempdir()}, or set TMPDIR to a folder with room"
            ) from None


@contextlib.contextmanager
def all_or_nothing(stream: BinaryIO) -> Iterator[BinaryIO]:
    """A stream whose content reaches ``stream`` only once the block has ended without an
    error: a query that fails half-way (a time limit, a SERVICE that stops answering) leaves
    nothing in a file its output was redirected to, rather than the start of the results."""
    with _Spool(SPOOL_BYTES) as spool:
        yield cast(BinaryIO, spool)  # a binary file, in memory until it grows
        spool.seek(0)
        shutil.copyfileobj(spool, stream)
        stream.flush()


def is_regular_file(stream: IO[Any]) -> bool:
    """Whether a stream writes into a regular file (``> results.tsv``), not a terminal, a
    pipe or a device."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


@contextlib.contextmanager
def output_file(path: Path, *, what: str) -> Iterator[IO[bytes]]:
    """A binary stream that writes ``what`` (``the report``) to the ``--output`` file ``path``.

    A regular file, or a new one, is written through a temporary sibling that replaces it in one
    step once everything is written and on disk: a failure leaves the old file (or none) and no
    temporary file. A symbolic link is followed, so the file it points to is replaced and the
    link stays. A FIFO, a character device (``/dev/null``) or another special file would be
    destroyed by a rename, so it is opened and written into directly, as ``/dev/stdout`` and
    ``/dev/fd/N`` are (through a copy of the descriptor): there, atomicity cannot apply. A
    replaced file keeps its mode. Raises :class:`OutputError` (naming ``path``) when the file
    cannot be written.
    """
    inherited = _inherited_descriptor(path)
    destination = path if inherited is not None else _destination(path)
    try:
        mode: int | None = os.stat(destination).st_mode
    except FileNotFoundError:
        mode = None
    if inherited is not None or (mode is not None and not stat.S_ISREG(mode)):
        with _failing(path, what, OSError):
            descriptor = (os.dup(inherited) if inherited is not None
                          else os.open(destination, os.O_WRONLY))
        handle = io.BufferedWriter(CheckedFile(descriptor, "wb"))
        try:
            with _failing(path, what, WriteError, BrokenPipeError):
                yield handle
                handle.flush()
        finally:
            _close(handle)
        return
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent
        )
    except OSError as error:  # named where it is: a link may lead to another folder
        raise OutputError(f"{destination}: cannot write here ({error.strerror or error})") from None
    handle = io.BufferedWriter(CheckedFile(descriptor, "wb"))
    try:
        with _failing(path, what, WriteError, BrokenPipeError):
            yield handle
            handle.flush()
        with _failing(path, what, OSError):
            os.fsync(handle.fileno())
            handle.close()
            if mode is None:  # a new file gets the usual mode
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temporary, 0o666 & ~umask)
            else:  # a replaced file keeps its own (a private report stays private)
                os.chmod(temporary, stat.S_IMODE(mode))
            os.replace(temporary, destination)
    except BaseException:
        _close(handle)
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _failing(path: Path, what: str, *errors: type[OSError]) -> Iterator[None]:
    """Report the ``errors`` raised in the block as an :class:`OutputError` naming ``path``.

    Around the caller's writes only :class:`WriteError` (a failed write to the output) counts:
    another ``OSError`` there is none of the output's business and goes on as it is.
    """
    try:
        yield
    except errors as error:
        raise OutputError(f"{path}: cannot write {what} ({error.strerror})") from None


def _close(handle: IO[bytes]) -> None:
    """Close a file after a failure: what is still buffered is dropped."""
    with contextlib.suppress(OSError):
        handle.close()


_INHERITED = re.compile(r"^/dev/(?:(stdout)|(stderr)|fd/(\d+))$|^/proc/self/fd/(\d+)$")


def _inherited_descriptor(path: Path) -> int | None:
    """The descriptor ``/dev/stdout``, ``/dev/fd/N`` or ``/proc/self/fd/N`` names: written
    through a copy of it, so that ``--output /dev/stdout >> log`` appends to the log (a
    rename would replace it) and a pipe is written (its link leads to no file)."""
    match = _INHERITED.match(str(path))
    if match is None:
        return None
    stdout, stderr, number, proc = match.groups()
    return 1 if stdout else 2 if stderr else int(number or proc)


def _destination(path: Path) -> Path:
    """The file that writing ``path`` writes: ``path`` itself, or the file its link leads to."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name for --output")
    if not path.is_symlink():
        if not path.parent.is_dir():
            refuse_a_path_through_a_file(path)
            raise OutputError(
                f"{path}: the folder {path.parent} does not exist; create it first"
            )
        return path
    target = Path(os.path.realpath(path))
    if target.is_symlink():  # realpath gives up on a loop of links
        raise OutputError(
            f"{path}: is a symbolic link in a loop of links; choose another --output"
        )
    if not target.parent.is_dir():
        raise OutputError(
            f"{path}: is a symbolic link to {os.readlink(path)}, whose folder "
            f"{target.parent} does not exist; create that folder or choose another --output"
        )
    return target


def same_file(path: Path, others: Iterable[Path]) -> bool:
    """Whether ``path`` is one of ``others`` (the same file by another name, or through a
    link, included)."""
    for other in others:
        with contextlib.suppress(OSError):
            if os.path.samefile(path, other):
                return True
    return False
