"""The bundled shapes: well-formed, documented, complete, and each one proven by fixtures.

Every node shape with targets has ``<Shape>-valid.ttl`` (no result at all) and at least one
``<Shape>-invalid-NN.ttl`` whose ``# expect: SHAPE FOCUS PATH`` line names the one result it
must give. Fixtures are validated together with ``context.trig`` (entities and an article they
link to) and the ontology.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, SHAPE_FIXTURES, Built, dataset_copy
from sanctions_kg import resources
from sanctions_kg.namespaces import DCTERMS, ID, ONTOLOGY_GRAPH, OWL, PREFIXES, RDF, SH, SKG_SHAPES
from sanctions_kg.shacl import ShapesGraph, compile_shapes, constrained_shapes, load_shapes
from sanctions_kg.validation import validate_store

SHAPES_DIR = REPO / "shapes"
SHAPE_FILES = sorted(SHAPES_DIR.glob("*.ttl"))
FIXTURES = sorted(
    p for p in SHAPE_FIXTURES.iterdir() if re.search(r"-(valid|invalid-\d\d)\.", p.name)
)
NAMES = {**PREFIXES, "skg-sh": SKG_SHAPES}
EXPECT = re.compile(r"^# expect: (\S+) (\S+) (\S+)$", re.MULTILINE)
TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target")


@cache
def shapes() -> ShapesGraph:
    return load_shapes(None)


def targeted_shapes() -> list[str]:
    """Local names of the node shapes that have targets."""
    graph = shapes()
    return sorted(
        node.value.removeprefix(SKG_SHAPES)
        for node in graph.index
        if any(graph.objects(node, SH + key) for key in TARGETS)
    )


def expand(token: str) -> str | None:
    """``skg:target`` → IRI; ``<sanction/x>`` → IRI under skgid:; ``^p`` → ``^<IRI>``;
    ``(p/q)`` → ``(<IRI>/<IRI>)``; ``-`` → None."""
    if token == "-":
        return None
    if token.startswith("^"):
        return f"^<{expand(token[1:])}>"
    if token.startswith("("):
        return "(" + "/".join(f"<{expand(part)}>" for part in token[1:-1].split("/")) + ")"
    if token.startswith("<"):
        return ID + token[1:-1]
    prefix, local = token.split(":", 1)
    return NAMES[prefix] + local


def fixture_shape(path: Path) -> str:
    return re.sub(r"-(valid|invalid-\d\d)$", "", path.stem)


def own_shapes(local_name: str) -> set[str]:
    """A node shape and its property shapes."""
    graph = shapes()
    node = next(n for n in graph.index if n.value == SKG_SHAPES + local_name)
    return {node.value, *(child.value for child in graph.objects(node, SH + "property"))}


# --- the shapes files --------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHAPE_FILES, ids=[p.name for p in SHAPE_FILES])
def test_shapes_file_has_a_full_header(path: Path) -> None:
    import pyoxigraph as ox

    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    headers = [t.subject for t in triples
               if t.predicate.value == RDF + "type" and t.object.value == OWL + "Ontology"]
    assert len(headers) == 1, f"{path.name}: one owl:Ontology node"
    header = {t.predicate.value for t in triples if t.subject == headers[0]}
    for needed in (DCTERMS + "title", DCTERMS + "description", DCTERMS + "license",
                   OWL + "versionIRI", OWL + "versionInfo"):
        assert needed in header, f"{path.name}: header lacks <{needed}>"
    assert "http://purl.org/dc/elements/1.1/" not in path.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_shapes_pass_the_shacl_meta_shapes() -> None:
    import pyshacl
    import rdflib

    from sanctions_kg.validation import rdflib_shapes

    conforms, _, text = pyshacl.validate(rdflib.Dataset(), shacl_graph=rdflib_shapes(shapes()),
                                         meta_shacl=True, advanced=True)
    assert conforms, text


def test_the_compiled_engine_supports_every_bundled_shape() -> None:
    compiled = compile_shapes(shapes())
    assert {check.shape for check in compiled.checks} == set(constrained_shapes(shapes()))


def test_every_constraint_has_a_message_and_a_severity() -> None:
    graph = shapes()
    for name in constrained_shapes(graph):
        node = next(n for n in graph.index if n.value == name)
        assert graph.objects(node, SH + "severity"), f"{name} has no sh:severity"
        messages = graph.objects(node, SH + "message")
        for constraint in graph.objects(node, SH + "sparql"):
            assert messages or graph.objects(constraint, SH + "message"), (
                f"a SPARQL constraint of {name} has no sh:message"
            )
        if not graph.objects(node, SH + "sparql"):
            assert messages, f"{name} has no sh:message"


def test_shapes_have_readable_iris() -> None:
    graph = shapes()
    for name in constrained_shapes(graph):
        assert name.startswith(SKG_SHAPES), f"{name} is not a skg-sh: IRI"
        assert re.fullmatch(r"[A-Z][A-Za-z]*Shape(-[a-z][A-Za-z0-9]*)*", name[len(SKG_SHAPES):])


def test_every_class_with_instances_has_a_node_shape(seed_build: Built) -> None:
    from sanctions_kg.store import open_read

    targeted = {t.value for s in shapes().index for t in shapes().objects(s, SH + "targetClass")}
    query = f"""SELECT DISTINCT ?class WHERE {{
        GRAPH ?g {{ ?node a ?class }}
        FILTER (?g != <{ONTOLOGY_GRAPH}> || STRSTARTS(STR(?class), STR(skg:)))
    }}"""
    store = open_read(seed_build.store)
    classes = {row["class"].value for row in store.query(query, prefixes=PREFIXES)}  # type: ignore[union-attr]
    assert classes - targeted == set()


# --- fixtures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", targeted_shapes())
def test_every_targeted_shape_has_valid_and_invalid_fixtures(shape: str) -> None:
    assert (SHAPE_FIXTURES / f"{shape}-valid.ttl").exists() or (
        SHAPE_FIXTURES / f"{shape}-valid.trig"
    ).exists(), f"no {shape}-valid fixture"
    assert list(SHAPE_FIXTURES.glob(f"{shape}-invalid-01.*")), f"no {shape}-invalid-01 fixture"


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixture_names_an_existing_shape(path: Path) -> None:
    assert fixture_shape(path) in targeted_shapes()


@cache
def context() -> Any:
    """The context dataset: context.trig and the ontology graph."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(SHAPE_FIXTURES / "context.trig"), format=ox.RdfFormat.TRIG)
    store.load(path=str(resources.ontology_path()), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
    return store


def validate_fixture(path: Path) -> set[tuple[str, str, str | None]]:
    import pyoxigraph as ox

    store = dataset_copy(context().quads_for_pattern(None, None, None, None))
    kind = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
    store.load(path=str(path), format=kind)
    report = validate_store(store, shapes=None, ontology=resources.ontology_path(), sources={})
    return {(r.shape, r.focus, r.path) for r in report.results}


def test_the_context_conforms() -> None:
    report = validate_store(dataset_copy(context().quads_for_pattern(None, None, None, None)),
                            shapes=None, ontology=resources.ontology_path(), sources={})
    assert report.results == ()


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_fixture_gives_exactly_the_expected_result(path: Path) -> None:
    expected = EXPECT.search(path.read_text(encoding="utf-8"))
    if "-valid." in path.name:
        assert expected is None, "a valid fixture expects nothing"
        assert validate_fixture(path) == set()
    else:
        assert expected is not None, "an invalid fixture needs an '# expect:' line"
        shape, focus, result_path = (expand(token) for token in expected.groups())
        assert shape in own_shapes(fixture_shape(path)), f"{shape} is not a shape of the fixture"
        assert validate_fixture(path) == {(shape, focus, result_path)}
