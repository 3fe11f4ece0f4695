"""``sanctions-kg export`` through the real console script, on the seed store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import CLI, SEED_ID, Built, run_cli
from sanctions_kg.namespaces import GRAPH, XSD

INTEGER_TYPES = {XSD + name for name in ("nonNegativeInteger", "positiveInteger", "int", "long")}


def as_stored(quad: ox.Quad) -> ox.Quad:
    """The quad as pyoxigraph's store keeps it: derived integer types become xsd:integer."""
    value = quad.object
    if isinstance(value, ox.Literal) and value.datatype.value in INTEGER_TYPES:
        value = ox.Literal(value.value, datatype=ox.NamedNode(XSD + "integer"))
        return ox.Quad(quad.subject, quad.predicate, value, quad.graph_name)
    return quad


def build_quads(built: Built) -> set[ox.Quad]:
    """The quads of the build's N-Quads file, as the store holds them."""
    quads = ox.parse(path=built.out / "sanctions-kg.nq", format=ox.RdfFormat.N_QUADS)
    return {as_stored(quad) for quad in quads}


def test_nquads_to_a_file_hold_the_build(seed_build: Built, tmp_path: Path) -> None:
    target = tmp_path / "dataset.nq"
    result = run_cli("export", "--format", "nquads", "--output", target,
                     "--store", seed_build.store)
    quads = build_quads(seed_build)
    assert result.code == 0, result.stderr
    assert result.stdout == f"Wrote {len(quads)} quads from 3 graphs to {target}\n"
    assert set(ox.parse(path=target, format=ox.RdfFormat.N_QUADS)) == quads
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.nq"]


def test_trig_is_the_default_and_the_same_bytes_every_time(seed_build: Built) -> None:
    first = run_cli("export", "--store", seed_build.store)
    second = run_cli("export", "--store", seed_build.store)
    assert first.code == 0 and first.stdout == second.stdout
    quads = set(ox.parse(first.stdout.encode(), ox.RdfFormat.TRIG))
    assert quads == build_quads(seed_build)


@pytest.mark.parametrize(
    ("name", "rdf_format"),
    [("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES),
     ("rdfxml", ox.RdfFormat.RDF_XML)],
)
def test_graph_formats_hold_the_union(seed_build: Built, name: str,
                                      rdf_format: ox.RdfFormat) -> None:
    result = run_cli("export", "--format", name, "--store", seed_build.store)
    assert result.code == 0, result.stderr
    triples = [q.triple for q in ox.parse(result.stdout.encode(), rdf_format)]
    assert set(triples) == {q.triple for q in build_quads(seed_build)}
    assert len(triples) == len(set(triples))


def test_jsonld_keeps_the_graphs(seed_build: Built) -> None:
    result = run_cli("export", "--format", "jsonld", "--store", seed_build.store)
    assert result.code == 0
    assert set(ox.parse(result.stdout.encode(), ox.RdfFormat.JSON_LD)) == build_quads(seed_build)


@pytest.mark.parametrize("name", ["trig", "nquads", "turtle", "ntriples", "jsonld", "rdfxml"])
def test_every_format_ends_with_exactly_one_newline(seed_build: Built, tmp_path: Path,
                                                    name: str) -> None:
    target = tmp_path / f"dataset.{name}"
    for args in ((), ("--output", target)):
        done = subprocess.run([str(CLI), "export", "--format", name, "--graph", "reference",
                               "--store", str(seed_build.store), *args],
                              capture_output=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr
        data = target.read_bytes() if args else done.stdout
        assert data.endswith(b"\n") and not data.endswith(b"\n\n"), data[-20:]


def test_ntriples_are_sorted(seed_build: Built) -> None:
    result = run_cli("export", "--format", "ntriples", "--store", seed_build.store)
    lines = result.stdout.splitlines()
    assert lines == sorted(lines, key=lambda line: line.split(" ", 2))


def test_one_graph(seed_build: Built) -> None:
    graph = f"article/{SEED_ID}"
    result = run_cli("export", "--format", "nquads", "--graph", graph,
                     "--store", seed_build.store)
    assert result.code == 0
    quads = set(ox.parse(result.stdout.encode(), ox.RdfFormat.N_QUADS))
    expected = {q for q in build_quads(seed_build) if q.graph_name.value == GRAPH + graph}
    assert quads == expected and expected


def test_unknown_graph_lists_the_graphs(seed_build: Built) -> None:
    result = run_cli("export", "--graph", "article/nothing", "--store", seed_build.store)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --graph article/nothing: no such graph in the store; its graphs are: "
        f"{GRAPH}ontology, {GRAPH}reference, {GRAPH}article/{SEED_ID}\n"
    )


def test_output_into_a_missing_folder(seed_build: Built, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.trig"
    result = run_cli("export", "--output", target, "--store", seed_build.store)
    assert (result.code, result.stderr) == (
        2, f"error: {target}: the folder {target.parent} does not exist; create it first\n"
    )


def test_missing_store(tmp_path: Path) -> None:
    result = run_cli("export", "--store", tmp_path / "none")
    assert (result.code, result.stderr) == (
        2, f"error: no store at {tmp_path / 'none'}; run `sanctions-kg build` first\n"
    )
    assert not (tmp_path / "none").exists()


# --- a reader that stops early (`| head -1`) -------------------------------------------------

#: The documented exit code when the reader of stdout goes away: 128 + SIGPIPE, as for Unix tools.
OUTPUT_CLOSED = 141


def buffered_stdout() -> dict[str, str]:
    """The environment, but with stdout buffered as it is by default (PYTHONUNBUFFERED unset)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def head_one(*args: str | Path) -> tuple[str, int, str]:
    """Run the CLI into a reader that takes the first line and closes the pipe, like ``head -1``:
    that line, the exit code and stderr."""
    child = subprocess.Popen([str(CLI), *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=buffered_stdout())
    assert child.stdout is not None
    first = child.stdout.readline()
    child.stdout.close()
    _, stderr = child.communicate(timeout=120)
    return first, child.returncode, stderr


def into_a_closed_pipe(*args: str) -> tuple[int, str]:
    """Run ``python *args`` with stdout a pipe whose reader closed before anything was written:
    the exit code and stderr."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([sys.executable, *args], stdout=writer, stderr=subprocess.PIPE,
                              text=True, timeout=120, check=False, env=buffered_stdout())
    finally:
        os.close(writer)
    return done.returncode, done.stderr


def test_export_into_a_reader_that_stops_early_ends_quietly(seed_build: Built) -> None:
    # 800 kB of N-Quads: far more than a pipe holds, so the export is still writing when the
    # reader goes away.
    first, code, stderr = head_one("export", "--format", "nquads", "--store", seed_build.store)
    assert len(list(ox.parse(first.encode(), ox.RdfFormat.N_QUADS))) == 1
    assert (code, stderr) == (OUTPUT_CLOSED, "")


# A command that leaves its output in stdout's buffer: it reaches the pipe only when flushed.
BUFFERED = """
import sys
from sanctions_kg import cli

def buffered(**_):
    sys.stdout.write("one line, still in the buffer when the command returns\\n")

cli.app = buffered
sys.argv[0] = "sanctions-kg"
cli.main()
"""


def test_output_still_buffered_for_a_closed_reader_ends_quietly() -> None:
    # Flushed only at exit, the broken pipe would be "Exception ignored ..." and exit code 120.
    assert into_a_closed_pipe("-c", BUFFERED) == (OUTPUT_CLOSED, "")


def test_a_command_started_with_stdout_closed_is_an_input_error(seed_build: Built) -> None:
    # `sanctions-kg stats >&-`: before, an internal error (exit 3) naming sys.stdout.buffer.
    done = subprocess.run([str(CLI), "stats", "--store", str(seed_build.store)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=120, check=False, close_fds=True,
                          preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (
        2, "error: standard output is closed; redirect it (> file) or give --output where the "
           "command has one\n")


@pytest.mark.parametrize("args", [("export", "--store", "none"), ("push", "--bogus")],
                         ids=["input-error", "usage-error"])
def test_a_failing_command_whose_stderr_is_a_closed_pipe_keeps_its_exit_code(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # `sanctions-kg export --store none 2>&1 | true`: the message is lost, the exit code is not
    # (before, the failed write of the message made it 1). A usage error is printed by the
    # command-line parser, its own way.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([str(CLI), *args], stdout=writer, stderr=writer, timeout=120,
                              check=False, env=buffered_stdout(), cwd=tmp_path)
    finally:
        os.close(writer)
    assert done.returncode == 2


def test_a_damaged_block_read_from_an_opened_store_is_a_store_error(seed_build: Built) -> None:
    """RocksDB reports a damaged block as a RuntimeError from the read that meets it: the
    command names the store it opened and exits 2, as for a store it cannot open."""
    from sanctions_kg.errors import StoreError
    from sanctions_kg.store import damaged, open_read

    open_read(seed_build.store)
    error = damaged(RuntimeError("Corruption: block checksum mismatch: stored = 1, computed = 2"
                                 "\n in 000017.sst offset 18244"))
    assert isinstance(error, StoreError) and error.exit_code == 2
    assert str(error) == (
        f"{seed_build.store}: cannot read the store (Corruption: block checksum mismatch: stored "
        "= 1, computed = 2 in 000017.sst offset 18244); run `sanctions-kg build` again")
    assert damaged(RuntimeError("SERVICE call failed")) is None
    assert damaged(ValueError("Corruption")) is None
