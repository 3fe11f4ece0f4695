"""Internal errors: a bug inside ``build`` is one line and exit 3, and nothing is half-written.

The bug is made in a child process that wraps one library function to raise, then calls the
real entry point (production code has no test hooks): while the output files are being written,
and after the new store generation is loaded, before any switch.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from test_facts import MINI, make_data, snapshot

BROKEN = """
import importlib, sys
module = importlib.import_module(sys.argv.pop(1))
owner_name, _, name = sys.argv.pop(1).rpartition(".")
owner = getattr(module, owner_name) if owner_name else module
real = getattr(owner, name)

def broken(*args, **kwargs):
    real(*args, **kwargs)
    raise RuntimeError("injected failure")

setattr(owner, name, broken)
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""
MESSAGE = ("internal error (a bug in sanctions-kg): RuntimeError: injected failure; "
           "run again with --debug for the traceback and report it\n")
#: With --debug the traceback is already shown: the last line no longer asks for it.
DEBUG_MESSAGE = ("internal error (a bug in sanctions-kg): RuntimeError: injected failure; "
                 "report it with the traceback above\n")
# Where the bug strikes: mapping an article while the output files are written, and loading
# the new store generation (while articles are still mapped, and after it is loaded, before the
# switch).
PLACES = [("sanctions_kg.pipeline", "map_article"), ("sanctions_kg.store", "ChunkLoader.add"),
          ("sanctions_kg.store", "ChunkLoader.finish")]


def run_broken(module: str, function: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BROKEN, module, function, *map(str, args)],
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(("module", "function"), PLACES, ids=[p[1] for p in PLACES])
def test_a_bug_is_one_line_exit_3_and_leaves_everything_as_it_was(
    tmp_path: Path, module: str, function: str
) -> None:
    data = make_data(tmp_path, MINI)
    out, store = tmp_path / "out", tmp_path / "store"
    args = ("build", "--no-validate", "--data", data, "--out", out, "--store", store)
    assert run_cli(*args).code == 0
    before = snapshot(out, store)
    generations = sorted(p.name for p in (store / "generations").iterdir())

    result = run_broken(module, function, *args)
    assert (result.returncode, result.stderr, result.stdout) == (3, MESSAGE, "")
    assert snapshot(out, store) == before
    assert sorted(p.name for p in (store / "generations").iterdir()) == generations
    assert not list(tmp_path.glob(".out.tmp-*"))

    debug = run_broken(module, function, "--debug", *args)
    assert debug.returncode == 3
    assert debug.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: injected failure\n" in debug.stderr
    assert debug.stderr.endswith(DEBUG_MESSAGE)
    assert snapshot(out, store) == before
    assert run_cli(*args).code == 0


def test_a_bug_in_the_first_build_leaves_no_output_and_no_store(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI)
    out, store = tmp_path / "out", tmp_path / "store"
    result = run_broken("sanctions_kg.pipeline", "map_article",
                        "build", "--no-validate", "--data", data, "--out", out, "--store", store)
    assert (result.returncode, result.stderr) == (3, MESSAGE)
    assert not out.exists()
    assert not store.exists(), "the store folder it created is removed"


def test_debug_after_the_command_says_where_it_goes() -> None:
    # Before: only "No such option: --debug".
    done = run_cli("query", "--debug", "ASK {}")
    assert done.code == 2
    assert done.stderr.endswith(
        "Error: No such option: --debug; put --debug before the command: "
        "sanctions-kg --debug query …\n")


def test_another_unknown_option_keeps_its_message() -> None:
    done = run_cli("query", "--bogus", "ASK {}")
    assert (done.code, done.stderr.splitlines()[-1]) == (2, "Error: No such option: --bogus")


#: What Ctrl-C inside ``threading.Condition.wait`` (a full queue's ``put``) does: the
#: condition's lock is left released, and the ``with`` around it fails to release it again,
#: raising RuntimeError while the KeyboardInterrupt is handled.
INTERRUPTED_IN_A_WAIT = """
import sys, threading
from sanctions_kg import store
real = store.ChunkLoader.add

def add(*args, **kwargs):
    real(*args, **kwargs)
    lock = threading.RLock()
    with lock:
        lock.release()
        raise KeyboardInterrupt

store.ChunkLoader.add = add
sys.argv[0] = "sanctions-kg"
from sanctions_kg.cli import main
main()
"""


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_an_error_raised_by_ctrl_c_is_an_interruption_not_a_bug(
        tmp_path: Path, debug: tuple[str, ...]) -> None:
    data = make_data(tmp_path, MINI)
    out, store = tmp_path / "out", tmp_path / "store"
    args = ("build", "--no-validate", "--data", data, "--out", out, "--store", store)
    assert run_cli(*args).code == 0
    before = snapshot(out, store)
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_IN_A_WAIT, *debug, *map(str, args)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert (result.returncode, result.stderr, result.stdout) == (130, "interrupted\n", "")
    assert snapshot(out, store) == before
