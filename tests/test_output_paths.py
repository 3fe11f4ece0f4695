"""Where output goes: ``--output`` files that are links or special files, full disks, a
standard output that cannot be written.

Every ``--output`` writer (``validate``'s report, ``export``'s dataset) goes through
``sanctions_kg.atomic.output_file``; the library cases run both. Special files are made in the
test's folder (a FIFO, links to ``/dev/null`` and ``/dev/full``), never written by their own
name: before, a rename replaced whatever ``--output`` named.
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from conftest import CLI, SHAPE_FIXTURES, Built, run_cli
from sanctions_kg import results
from sanctions_kg.errors import OutputError
from sanctions_kg.reports import write_report
from sanctions_kg.results import ExportFormat
from test_results import sample_store

REPORT = "The report.\n"


def write_a_report(path: Path) -> None:
    write_report(REPORT, path)


def export_a_dataset(path: Path) -> None:
    results.export(sample_store(), path, export_format=ExportFormat.NQUADS)


def exported() -> bytes:
    out = io.BytesIO()
    results.export(sample_store(), out, export_format=ExportFormat.NQUADS)
    return out.getvalue()


#: Each writer, what it writes, and the words its failure messages use for it.
WRITERS: dict[str, tuple[Callable[[Path], None], Callable[[], bytes], str]] = {
    "report": (write_a_report, lambda: REPORT.encode(), "the report"),
    "export": (export_a_dataset, exported, "the dataset"),
}
writers = pytest.mark.parametrize("writer", list(WRITERS))


@writers
def test_a_link_is_followed_and_stays_a_link(tmp_path: Path, writer: str) -> None:
    # Before: the link was replaced by a file, and the file it pointed to kept the old content.
    write, content, _ = WRITERS[writer]
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "out.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to("data/out.txt")
    write(link)
    assert link.is_symlink() and os.readlink(link) == "data/out.txt"
    assert target.read_bytes() == content()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["out.txt"]


@writers
def test_a_dangling_link_creates_its_target(tmp_path: Path, writer: str) -> None:
    write, content, _ = WRITERS[writer]
    link = tmp_path / "link.txt"
    link.symlink_to("new.txt")
    write(link)
    assert link.is_symlink() and (tmp_path / "new.txt").read_bytes() == content()


@writers
def test_a_dangling_link_into_a_missing_folder_is_refused(tmp_path: Path, writer: str) -> None:
    write, _, _ = WRITERS[writer]
    link = tmp_path / "link.txt"
    link.symlink_to("gone/new.txt")
    with pytest.raises(OutputError) as caught:
        write(link)
    assert str(caught.value) == (
        f"{link}: is a symbolic link to gone/new.txt, whose folder {tmp_path / 'gone'} does not "
        "exist; create that folder or choose another --output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt"]


@writers
def test_a_loop_of_links_is_refused(tmp_path: Path, writer: str) -> None:
    write, _, _ = WRITERS[writer]
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OutputError) as caught:
        write(tmp_path / "a")
    assert str(caught.value) == (
        f"{tmp_path / 'a'}: is a symbolic link in a loop of links; choose another --output")


@writers
def test_a_folder_is_refused(tmp_path: Path, writer: str) -> None:
    # Before, the report's message was "cannot write the report (Is a directory)".
    write, _, _ = WRITERS[writer]
    with pytest.raises(OutputError) as caught:
        write(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a folder; give a file name for --output"


@writers
def test_a_fifo_is_written_into(tmp_path: Path, writer: str) -> None:
    # Before: the FIFO was replaced by a regular file, and its reader got nothing.
    write, content, _ = WRITERS[writer]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        write(fifo)
    finally:
        with suppress(OSError):  # release a reader still waiting for a writer
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert read == [content()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


@writers
def test_a_link_to_dev_null_leaves_dev_null_as_it_is(tmp_path: Path, writer: str) -> None:
    write, _, _ = WRITERS[writer]
    before = os.stat(os.devnull)
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    write(link)
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert link.is_symlink()


@writers
def test_a_full_device_is_an_output_error(tmp_path: Path, writer: str) -> None:
    write, _, what = WRITERS[writer]
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    with pytest.raises(OutputError) as caught:
        write(link)
    assert str(caught.value) == f"{link}: cannot write {what} (No space left on device)"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


# --- a write that fails half-way, through the real command ----------------------------------


def limit_file_size() -> None:
    """In the child: files may not grow past 100 bytes; a longer write fails with EFBIG (Python
    ignores SIGXFSZ), as a full disk would fail it with ENOSPC."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))


@pytest.mark.parametrize(
    ("command", "what"),
    [(("export", "--format", "nquads"), "the dataset"),
     (("validate", SHAPE_FIXTURES / "context.trig",
       SHAPE_FIXTURES / "SanctionShape-invalid-01.ttl", "--format", "turtle"), "the report")],
    ids=["export", "validate"],
)
def test_a_failed_write_leaves_the_old_file_and_nothing_else(
    seed_build: Built, tmp_path: Path, command: tuple[str | Path, ...], what: str
) -> None:
    # Before, for export: an internal error (exit 3, "OSError: [Errno 27] File too large").
    target = tmp_path / "out.txt"
    target.write_text("old")
    store = ("--store", seed_build.store) if command[0] == "export" else ()
    done = subprocess.run([CLI, *map(str, command), *map(str, store), "--output", str(target)],
                          capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=limit_file_size)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", f"error: {target}: cannot write {what} (File too large)\n")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# --- standard output -------------------------------------------------------------------------


def unbuffered(value: bool) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONUNBUFFERED", "SANCTIONS_KG_STORE")}
    if value:
        environment["PYTHONUNBUFFERED"] = "1"
    return environment


@pytest.mark.parametrize("is_unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "command",
    [("export",), ("query", "--name", "raisi-claims"), ("stats",), ("describe", "iran"),
     ("query", "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "--format", "table")],
    ids=["export", "named-query", "stats", "describe", "table"],
)
def test_a_full_standard_output_is_an_output_error(
    seed_build: Built, command: tuple[str, ...], is_unbuffered: bool
) -> None:
    # `sanctions-kg export > /dev/full`; before: exit 3, "internal error (a bug …): OSError".
    with open("/dev/full", "wb") as full:
        done = subprocess.run([CLI, *command, "--store", str(seed_build.store)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                              env=unbuffered(is_unbuffered))
    assert (done.returncode, done.stderr) == (
        2, "error: cannot write to standard output: No space left on device\n")


def test_standard_output_that_works_is_unchanged(seed_build: Built) -> None:
    done = run_cli("query", "--name", "raisi-claims", "--format", "csv",
                   "--store", seed_build.store)
    assert done.code == 0 and done.stdout.startswith("speaker,date,")


@writers
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, writer: str) -> None:
    write, content, _ = WRITERS[writer]
    private = tmp_path / "private.out"
    private.write_text("old")
    private.chmod(0o600)
    write(private)
    assert private.read_bytes() == content()
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_output_to_dev_stdout_appends_to_the_file_stdout_appends_to(
        seed_build: Built, tmp_path: Path) -> None:
    """``--output /dev/stdout >> log``: a rename would have replaced the log."""
    log = tmp_path / "log"
    log.write_bytes(b"old line\n")
    command = [CLI, "export", "--store", seed_build.store, "--format", "nquads",
               "--output", "/dev/stdout"]
    with log.open("ab") as appended:
        done = subprocess.run(command, stdout=appended, stderr=subprocess.PIPE, text=True,
                              timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    piped = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert piped.returncode == 0 and piped.stdout.count(b"\n") > 1000  # a pipe is written too
    assert log.read_bytes() == b"old line\n" + piped.stdout


@pytest.mark.parametrize(("name", "args"), [
    ("--out", ["build", "--out", "", "--store", "store"]),
    ("--data", ["build", "--data", "", "--out", "out", "--store", "store"]),
    ("--store", ["build", "--store", ""]),
    ("FILE...", ["validate", ""]),
    ("--shapes", ["validate", "--shapes", ""]),
    ("--output", ["validate", "--store", "store", "--output", ""]),
    ("--output", ["export", "--store", "store", "--output", ""]),
    ("--file", ["query", "--file", ""]),
    ("--store", ["stats", "--store", ""]),
], ids=["out", "data", "store", "validate-file", "shapes", "report", "export", "query-file",
        "stats"])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
        tmp_path: Path, name: str, args: list[str]) -> None:
    """``--out ""`` (an unset shell variable) would otherwise write into the current folder."""
    result = run_cli(*args, cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '{name}': the path is empty; give a file or folder name")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["out", "store"])
@pytest.mark.parametrize("make_blocked", [
    lambda tmp: tmp / "a-file" / "below",  # a path through a file
    lambda tmp: Path("/proc/sanctions-kg-test"),  # a file system that makes no folders
])
def test_a_build_folder_that_cannot_be_created_is_an_input_error(
    tmp_path: Path, where: str, make_blocked: Callable[[Path], Path]
) -> None:
    """Not an internal error: exit 2 naming the folder, and nothing left in the other one."""
    (tmp_path / "a-file").write_text("x")
    blocked = make_blocked(tmp_path)
    folders = {"out": tmp_path / "out", "store": tmp_path / "store", where: blocked}
    result = run_cli("build", "--out", folders["out"], "--store", folders["store"])
    assert result.code == 2
    if blocked.parent.name == "a-file":
        assert result.stderr == (f"error: {blocked}: {blocked.parent} is a file, not a folder; "
                                 "choose another path or move the file\n")
    else:
        assert result.stderr.startswith(f"error: {blocked}: cannot write here (")
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder that every user may enter (pytest's own are the owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="sanctions-kg-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="runs the build as the user nobody")
@pytest.mark.parametrize(("where", "mode"), [
    ("out", 0o755), ("store", 0o755),  # the folder to create it in is not writable
    ("out", 0o700), ("store", 0o700),  # nor even readable
])
@pytest.mark.parametrize("deeper", [False, True], ids=["in", "below"])
def test_a_build_into_a_folder_without_permission_is_an_input_error(
    shared_tmp: Path, where: str, mode: int, deeper: bool
) -> None:
    locked = shared_tmp / "locked"
    locked.mkdir()
    locked.chmod(mode)
    open_ = shared_tmp / "open"
    open_.mkdir()
    open_.chmod(0o777)
    folders = {"out": open_ / "out", "store": open_ / "store", where: locked / where}
    if deeper:  # below the folder that cannot be searched (Path.exists raised there)
        folders[where] = locked / "sub" / where
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(CLI), "build",
         "--out", str(folders["out"]), "--store", str(folders["store"])],
        capture_output=True, text=True, timeout=120, cwd=open_,
        env={k: v for k, v in os.environ.items() if k != "SANCTIONS_KG_STORE"})
    assert (done.returncode, done.stderr) == (
        2, f"error: {folders[where]}: cannot write here (Permission denied)\n")
    assert list(locked.iterdir()) == [] and list(open_.iterdir()) == []
