"""Crashes mid-push: ``push`` killed with SIGKILL at any moment leaves every graph whole.

Two versions of a corpus of sixty articles are built: A, and B with one article removed and one
fact changed in every other article (so that each article graph, and the reference graph, has
an A and a B version). A real Oxigraph server gets A in full. Then ``push`` is started again and
again, towards B and back towards A in turn, and killed with SIGKILL: after a seeded random
delay spread over the whole length of a push, and from inside the process at exact points (in
the middle of sending a graph, after a graph is uploaded but before its count is checked,
between two graphs). After each kill:

- every graph on the server holds exactly the triples of its A or its B version (no mix, no
  half-loaded or emptied graph);
- the graphs that the interrupted push was to change are new up to some graph and old after it,
  in the order push sends them (sorted by IRI): nothing is skipped or sent twice;
- a rerun of the same push succeeds and leaves the server equal to the target version, graph by
  graph, plus only the graph that A has and B lacks: push replaces graphs and never deletes one
  the local store does not have (see the README, *Graphs that no longer exist locally*).

Whether a graph survives a client that dies in the middle of its PUT is up to the server; this
checks Oxigraph, which keeps the graph as it was when the body of a PUT never arrives whole.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import CLI, run_cli
from sanctions_kg.remote import CHUNK_BYTES, SPARQL_JSON, sparql_query
from sanctions_kg.store import open_read
from test_crash_build import make_corpus

#: Copies of the seed facts file and of the small MINI file: a push takes about a second.
SEED_COPIES, MINI_COPIES = 1, 59
TIMED_KILLS = 10
SEED = 20221605
#: B's one changed fact in each article: in the copies of the seed, and of MINI.
CHANGES = [("label: Iran–Russia relations", "label: Iran–Russia ties"),
           ("{expression: since 2018}", '{expression: "2018"}')]

Graphs = dict[str, frozenset[str]]


def triples_of(quads: object) -> Graphs:
    """Graph IRI → its triples, each in N-Triples syntax (as pyoxigraph writes terms)."""
    import pyoxigraph as ox

    graphs: dict[str, set[str]] = {}
    for quad in quads:  # type: ignore[attr-defined]
        assert isinstance(quad.graph_name, ox.NamedNode), f"outside the named graphs: {quad}"
        graphs.setdefault(quad.graph_name.value, set()).add(
            str(ox.Triple(quad.subject, quad.predicate, quad.object)))
    return {graph: frozenset(triples) for graph, triples in graphs.items()}


@dataclass(frozen=True)
class Version:
    """A built store and what it holds."""

    name: str
    store: Path
    graphs: Graphs


def build_version(root: Path, name: str) -> Version:
    data = make_corpus(root / name, SEED_COPIES, MINI_COPIES)
    if name == "B":
        last = f"copy-{SEED_COPIES + MINI_COPIES - 1:03d}"
        (data / "facts" / f"{last}.yaml").unlink()
        (data / "articles" / f"{last}.txt").unlink()
        for facts in (data / "facts").iterdir():
            text = facts.read_text(encoding="utf-8")
            old, new = next(change for change in CHANGES if change[0] in text)
            facts.write_text(text.replace(old, new, 1), encoding="utf-8")
    store = root / name / "store"
    built = run_cli("build", "--no-validate", "--data", data, "--out", root / name / "out",
                    "--store", store)
    assert built.code == 0, built.stderr
    return Version(name, store, triples_of(open_read(store).quads_for_pattern(None, None, None)))


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Version]:
    root = tmp_path_factory.mktemp("push-versions")
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(lambda name: build_version(root, name), ["A", "B"])
    only_a = set(a.graphs) - set(b.graphs)
    assert len(only_a) == 1 and set(b.graphs) < set(a.graphs)
    differing = {g for g in b.graphs if a.graphs[g] != b.graphs[g]}
    assert differing == {g for g in b.graphs if "/article/" in g or g.endswith("/reference")}
    assert len(differing) == SEED_COPIES + MINI_COPIES  # every article but the removed one, + 1
    return {"A": a, "B": b}


class Server:
    """The Oxigraph server, read whole: its named graphs (empty ones included) and triples."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.graph_store = f"{base}/store"
        self.endpoint = f"{base}/query"

    def read(self) -> Graphs:
        import pyoxigraph as ox

        accept = {"Accept": "application/n-quads"}
        with urllib.request.urlopen(urllib.request.Request(self.graph_store, headers=accept),
                                    timeout=30) as answer:
            graphs = triples_of(ox.parse(answer.read(), format=ox.RdfFormat.N_QUADS))
        names = json.loads(sparql_query(self.endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }",
                                        accept=SPARQL_JSON))
        for row in names["results"]["bindings"]:
            graphs.setdefault(row["g"]["value"], frozenset())
        return graphs

    def counts(self) -> dict[str, int]:
        rows = json.loads(sparql_query(
            self.endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            accept=SPARQL_JSON))["results"]["bindings"]
        return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}

    def settled(self) -> Graphs:
        """The content once the server has finished the requests it had already received: a PUT
        sent in full before the kill is still applied after it (Oxigraph clears the graph, then
        loads the new triples), so the counts must stay the same for a few polls in a row."""
        last, steady = self.counts(), 0
        for _ in range(200):
            time.sleep(0.05)
            now = self.counts()
            steady = steady + 1 if now == last else 0
            if steady == 3:
                return self.read()
            last = now
        pytest.fail("the server's content did not settle")

    def push(self, version: Version) -> list[str]:
        return [str(CLI), "push", "--store", str(version.store), "--graph-store",
                self.graph_store, "--endpoint", self.endpoint]


@dataclass
class Rounds:
    """What the kills found."""

    tried: int = 0
    landed: int = 0  # the push was still running when the SIGKILL came
    states: Counter[str] = field(default_factory=Counter)  # all old, mixed, all new


def check_after_kill(after: Graphs, before: Graphs, target: Version,
                     versions: dict[str, Version]) -> tuple[int, int]:
    """Every graph whole, and the changed ones new up to some graph in push order; how many of
    the graphs the push was to change are new, and of how many."""
    a, b = versions["A"].graphs, versions["B"].graphs
    assert set(after) == set(before) | set(target.graphs), "a graph appeared or vanished"
    for graph, triples in sorted(after.items()):
        assert triples in (a.get(graph), b.get(graph)), (
            f"<{graph}> is neither A's nor B's version: {len(triples)} triples, "
            f"{len(triples & a.get(graph, frozenset()))} of A's, "
            f"{len(triples & b.get(graph, frozenset()))} of B's")
    changing = [g for g in sorted(target.graphs) if before.get(g) != target.graphs[g]]
    assert all(after[g] in (before.get(g), target.graphs[g]) for g in changing)
    done = [after[g] == target.graphs[g] for g in changing]
    assert done == sorted(done, reverse=True), "new graphs after old ones in push order"
    assert all(after[g] == before[g] for g in set(after) - set(target.graphs))
    return sum(done), len(done)


def kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process; True when it was still running."""
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return running and process.returncode == -signal.SIGKILL


# Runs the real entry point with one function wrapped to SIGKILL the process at an exact point:
# in the middle of sending a graph's body, after a graph is uploaded but before its count is
# checked, and before a graph's upload starts.
INJECT = """
import os, signal, sys
import sanctions_kg.remote as remote
from sanctions_kg.cli import main

point, graph = sys.argv.pop(1), int(sys.argv.pop(1))
owner, name = {"mid-body": (remote, "_chunks"), "uploaded": (remote, "_count_by_query"),
               "between graphs": (remote._Target, "push_graph")}[point]
real, calls = getattr(owner, name), []

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def wrapper(*args, **kwargs):
    calls.append(1)
    if point == "mid-body":
        return body(len(calls), real(*args, **kwargs))
    if len(calls) == graph:
        die()
    return real(*args, **kwargs)

def body(number, chunks):
    for index, chunk in enumerate(chunks):
        if number == graph and index == 1:  # the first chunk is on its way, the rest is not
            die()
        yield chunk

setattr(owner, name, wrapper)
sys.argv[0] = "sanctions-kg"
main()
"""
#: (point, graph number in push order) → how many graphs are new after the kill.
INJECTED = {("mid-body", 1): 0, ("uploaded", 3): 3, ("between graphs", 5): 4}


def test_push_killed_at_any_moment_leaves_whole_graphs_and_reruns(
    oxigraph_server: str, versions: dict[str, Version],
    record_property: Callable[[str, object], None],
) -> None:
    server = Server(oxigraph_server)
    a, b = versions["A"], versions["B"]
    started = time.perf_counter()
    first = run_cli(*server.push(a)[1:])
    seconds = time.perf_counter() - started
    assert first.code == 0, first.stderr
    state = server.read()
    assert state == a.graphs
    first_graph = a.graphs[min(a.graphs)]  # sent in several chunks: "mid-body" can happen
    assert sum(len(triple.encode()) + 3 for triple in first_graph) > 2 * CHUNK_BYTES

    rnd = random.Random(SEED)
    plans: list[tuple[str, int] | None] = [None] * TIMED_KILLS + list(INJECTED)
    tried, landed, states = 0, 0, Counter[str]()
    for number, plan in enumerate(plans):
        target = b if number % 2 == 0 else a
        command = server.push(target)
        if plan is None:  # a kill after a random delay within the time a push takes
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0.0, 1.05 * seconds))
            landed += kill(process)
        else:
            done = subprocess.run([sys.executable, "-c", INJECT, plan[0], str(plan[1]),
                                   *command[1:]], capture_output=True, check=False, timeout=60)
            assert done.returncode == -signal.SIGKILL, done.stderr.decode()
            landed += 1
        tried += 1
        new, changing = check_after_kill(server.settled(), state, target, versions)
        if plan is not None:
            assert new == INJECTED[plan], plan
        states["all old" if not new else "all new" if new == changing else "mixed"] += 1

        started = time.perf_counter()
        rerun = run_cli(*command[1:])
        seconds = time.perf_counter() - started
        assert rerun.code == 0, rerun.stderr
        state = server.read()
        expected = {**{g: a.graphs[g] for g in set(a.graphs) - set(b.graphs)}, **target.graphs}
        assert state == expected, f"the rerun towards {target.name} left another content"

    record_property("kill_points_tried", tried)
    record_property("kills_landed", landed)
    print(f"push killed: {tried} kill points tried ({TIMED_KILLS} timed, {len(INJECTED)} at exact "
          f"points), {landed} landed while it ran; server after the kill: {dict(states)}; every "
          "graph whole, every rerun complete and equal to its version")
    assert tried == TIMED_KILLS + len(INJECTED) >= 10
    assert landed >= TIMED_KILLS // 2 + len(INJECTED)
    assert states["mixed"] >= 3, "too few kills landed in the middle of a push"


def test_the_versions_differ_graph_by_graph(versions: dict[str, Version]) -> None:
    """What the kill test relies on: B lacks one graph of A and changes all article graphs."""
    a, b = versions["A"].graphs, versions["B"].graphs
    assert len(a) == SEED_COPIES + MINI_COPIES + 2  # the articles, ontology and reference
    assert len(b) == len(a) - 1
    ontology = next(g for g in a if g.endswith("/ontology"))
    assert a[ontology] == b[ontology]
