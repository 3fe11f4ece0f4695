"""The read paths start fast: they import neither rdflib nor pySHACL (nor rich for plain output).

Checked with ``python -X importtime``, which lists every module a process imports on stderr.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import Built
from sanctions_kg.queries import catalogue

HEAVY = ("rdflib", "pyshacl", "owlrl")


def imported_modules(*args: str) -> tuple[int, set[str], str]:
    """Exit code, the top-level names of all modules imported, and the other stderr lines."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sanctions_kg", *args],
        capture_output=True, text=True, check=False, timeout=120,
    )
    modules = set()
    other = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            modules.add(name.split(".")[0])
        else:
            other.append(line)
    return done.returncode, modules, "\n".join(other)


def test_a_named_query_as_tsv_imports_no_heavy_library(seed_build: Built) -> None:
    name = catalogue()[0].name or ""
    code, modules, errors = imported_modules(
        "query", "--name", name, "--store", str(seed_build.store), "--format", "tsv"
    )
    assert code == 0, errors
    assert "pyoxigraph" in modules
    assert not modules & {*HEAVY, "rich"}


@pytest.mark.parametrize(
    "args",
    [
        ("query", "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "--format", "table"),
        ("query", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", "--format", "turtle"),
        ("describe", "iran"),
        ("stats", "--format", "json"),
        ("export", "--format", "nquads"),
    ],
    ids=["query-table", "query-construct", "describe", "stats", "export"],
)
def test_read_commands_import_no_heavy_library(seed_build: Built, args: tuple[str, ...]) -> None:
    code, modules, errors = imported_modules(*args, "--store", str(seed_build.store))
    assert code == 0, errors
    assert not modules & set(HEAVY)
