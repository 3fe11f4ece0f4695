"""Canonical serialisation of mapped graphs into the build's files, one graph at a time.

Graphs are written in a fixed order (ontology, reference, then articles by id) with their quads
sorted, so the same input always gives the same bytes, and memory holds one graph at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from .mapper import MappedGraph
from .namespaces import SERIALISATION_PREFIXES as PREFIXES


class BuildFile(Enum):
    """The files a build writes."""

    TRIG = "sanctions-kg.trig"
    NQUADS = "sanctions-kg.nq"
    TURTLE = "sanctions-kg.ttl"
    SOURCEMAP = "sanctions-kg.sourcemap.json"


@dataclass(frozen=True)
class GraphCount:
    """How many triples one named graph holds."""

    graph: str
    triples: int


def _header() -> bytes:
    lines = [f"@prefix {name}: <{iri}> .\n" for name, iri in sorted(PREFIXES.items())]
    return "".join(lines).encode() + b"\n"


def _body(serialised: bytes) -> bytes:
    """Drop the prefix lines pyoxigraph writes at the top of each chunk."""
    lines = serialised.split(b"\n")
    index = 0
    while index < len(lines) and (lines[index].startswith(b"@prefix") or not lines[index]):
        index += 1
    return b"\n".join(lines[index:])


@dataclass(frozen=True)
class SerialisedGraph:
    """One graph in the three build formats, ready to be appended to the files."""

    graph: str
    triples: int
    nquads: bytes
    trig: bytes
    turtle: bytes


def serialise(mapped: MappedGraph) -> SerialisedGraph:
    """Serialise a mapped graph (its quads already sorted) in the three build formats."""
    import pyoxigraph as ox

    nquads = ox.serialize(mapped.quads, format=ox.RdfFormat.N_QUADS) or b""
    trig = ox.serialize(mapped.quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""
    triples = [quad.triple for quad in mapped.quads]
    turtle = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    return SerialisedGraph(mapped.graph, len(mapped.quads), nquads, _body(trig), _body(turtle))


class DatasetWriter:
    """Writes TriG, N-Quads and merged Turtle side by side, graph by graph."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._trig: IO[bytes] = (folder / BuildFile.TRIG.value).open("wb")
        self._nquads: IO[bytes] = (folder / BuildFile.NQUADS.value).open("wb")
        self._turtle: IO[bytes] = (folder / BuildFile.TURTLE.value).open("wb")
        self._trig.write(_header())
        self._turtle.write(_header())
        self.counts: list[GraphCount] = []

    def write(self, graph: SerialisedGraph) -> None:
        """Append one graph to the three files."""
        if not graph.triples:
            return
        self.counts.append(GraphCount(graph.graph, graph.triples))
        self._nquads.write(graph.nquads)
        self._trig.write(graph.trig)
        self._turtle.write(graph.turtle)

    def close(self) -> None:
        """Flush the files to disk and close them."""
        import os

        for handle in (self._trig, self._nquads, self._turtle):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()

    def discard(self) -> None:
        """Close the files without flushing them to disk (the build failed)."""
        for handle in (self._trig, self._nquads, self._turtle):
            handle.close()

    @property
    def nquads_path(self) -> Path:
        return self.folder / BuildFile.NQUADS.value
