"""The validation engine: the seed conforms, mutations of it are caught where they are, both
engines agree, and files load by extension with located input errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import SHAPE_FIXTURES, Built, cached_sparql_parsing, dataset_copy
from sanctions_kg import resources
from sanctions_kg.errors import InputError, Location
from sanctions_kg.namespaces import ID, OA, ONTOLOGY_GRAPH, PREFIXES, PROV, SKG, SKG_SHAPES
from sanctions_kg.shacl import Unsupported, compile_shapes, load_shapes
from sanctions_kg.store import read_sourcemap
from sanctions_kg.validation import (
    Engine,
    RawResult,
    Severity,
    ValidationReport,
    ValidationResult,
    run_compiled,
    run_pyshacl,
    validate_files,
    validate_store,
)

ONTOLOGY = resources.ontology_path()
SEED = "raisi-putin-samarkand-2022"
SH = SKG_SHAPES
PYSHACL_WARNINGS = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def iri(path: str) -> str:
    return ID + path


def fact(kind: str, name: str) -> str:
    return iri(f"{kind}/{SEED}/{name}")


def evidence(name: str, number: int = 1) -> str:
    return iri(f"evidence/{SEED}/{name}/{number}")


def update(store: Any, sparql: str) -> None:
    store.update(sparql, prefixes=PREFIXES)


#: The shape of the seed's hints: facts the article gives only in a speaker's words.
HINT = SH + "ClaimBasedFactShape-restsOnClaim"
#: The seed's facts that rest on claims only (checked in test_the_seed_has_only_its_hints).
SEED_HINTS = {"bilateral-relations/raisi-putin-samarkand-2022/iran-china-relations",
              "bilateral-relations/raisi-putin-samarkand-2022/iran-russia-relations",
              "delegation-visit/raisi-putin-samarkand-2022/russian-delegation-visit",
              "occupancy/raisi-putin-samarkand-2022/khamenei-supreme-leader",
              "sanction/raisi-putin-samarkand-2022/western-sanctions-on-russia"}


def results(report: ValidationReport) -> set[tuple[str, str, str | None]]:
    """The results, less the seed's hints, which every report of the seed holds."""
    return {(r.shape, r.focus, r.path) for r in report.results
            if not (r.shape == HINT and r.focus.removeprefix(ID) in SEED_HINTS)}


def validate(store: Any, sources: dict[str, Location] | None = None) -> ValidationReport:
    return validate_store(store, shapes=None, ontology=ONTOLOGY, sources=sources or {})


# --- the typed report --------------------------------------------------------------------------


def test_severities_are_ordered() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.VIOLATION
    assert sorted(Severity) == [Severity.INFO, Severity.WARNING, Severity.VIOLATION]
    assert Severity.from_iri("http://www.w3.org/ns/shacl#Warning") is Severity.WARNING


def result(severity: Severity, shape: str = "s") -> ValidationResult:
    return ValidationResult(severity, "f", None, None, None, "m", shape, "c")


@pytest.mark.parametrize(
    ("severities", "summary", "at_or_above_warning"),
    [
        ((), "validation passed: 0 violations, 0 warnings, 0 info", 0),
        ((Severity.INFO,), "validation passed: 0 violations, 0 warnings, 1 info", 0),
        ((Severity.WARNING, Severity.INFO, Severity.INFO),
         "validation passed: 0 violations, 1 warning, 2 info", 1),
        ((Severity.VIOLATION, Severity.VIOLATION, Severity.WARNING),
         "validation failed: 2 violations, 1 warning, 0 info", 3),
    ],
)
def test_report_counts_and_summary(
    severities: tuple[Severity, ...], summary: str, at_or_above_warning: int
) -> None:
    report = ValidationReport(tuple(result(s, str(n)) for n, s in enumerate(severities)))
    assert report.summary_line() == summary
    assert report.count_at_or_above(Severity.WARNING) == at_or_above_warning
    assert report.conforms is (not severities)


# --- the seed and its mutations ----------------------------------------------------------------


def test_the_seed_has_only_its_hints(seed_dataset: Any) -> None:
    """No violation or warning; an info result for each fact the article gives only in a
    speaker's words, one per claim whose quote holds its evidence."""
    report = validate(seed_dataset)
    assert {(r.severity, r.shape) for r in report.results} == {(Severity.INFO, HINT)}
    assert {r.focus.removeprefix(ID) for r in report.results} == SEED_HINTS
    assert results(report) == set()
    assert report.engine is Engine.COMPILED
    assert report.notes == ()


MUTATIONS: dict[str, tuple[str, set[tuple[str, str, str | None]]]] = {
    "drop a sanction's target": (
        f"""DELETE WHERE {{ GRAPH ?g {{
                <{fact('sanction', 'us-sanctions-on-iran')}> skg:target ?target }} }}""",
        {(SH + "SanctionShape-target", fact("sanction", "us-sanctions-on-iran"), SKG + "target")},
    ),
    "malformed ISO code": (
        f"""DELETE {{ GRAPH ?g {{ <{iri('state/iran')}> skg:isoAlpha2 ?code }} }}
            INSERT {{ GRAPH ?g {{ <{iri('state/iran')}> skg:isoAlpha2 "I1" }} }}
            WHERE {{ GRAPH ?g {{ <{iri('state/iran')}> skg:isoAlpha2 ?code }} }}""",
        {(SH + "StateShape-isoAlpha2", iri("state/iran"), SKG + "isoAlpha2")},
    ),
    "shift an evidence offset by one": (
        f"""DELETE {{ GRAPH ?g {{ ?position oa:start ?start }} }}
            INSERT {{ GRAPH ?g {{ ?position oa:start ?shifted }} }}
            WHERE {{ BIND (<{evidence('us-sanctions-on-iran')}/position> AS ?position)
                     GRAPH ?g {{ ?position oa:start ?start }} BIND (?start + 1 AS ?shifted) }}""",
        {(SH + "EvidenceShape-exact", evidence("us-sanctions-on-iran"), OA + "exact"),
         (SH + "EvidenceShape-prefix", evidence("us-sanctions-on-iran"), OA + "prefix")},
    ),
    "alter one character of a quote": (
        f"""DELETE {{ GRAPH ?g {{ ?quote oa:exact ?exact }} }}
            INSERT {{ GRAPH ?g {{ ?quote oa:exact ?altered }} }}
            WHERE {{ BIND (<{evidence('jcpoa')}/quote> AS ?quote)
                     GRAPH ?g {{ ?quote oa:exact ?exact }}
                     BIND (CONCAT(SUBSTR(?exact, 1, 4), "X", SUBSTR(?exact, 6)) AS ?altered) }}""",
        {(SH + "EvidenceShape-exact", evidence("jcpoa"), OA + "exact")},
    ),
    "a sanction's imposer is its target": (
        f"""DELETE {{ GRAPH ?g {{ ?sanction skg:imposer ?imposer }} }}
            INSERT {{ GRAPH ?g {{ ?sanction skg:imposer ?target }} }}
            WHERE {{ BIND (<{fact('sanction', 'western-sanctions-on-russia')}> AS ?sanction)
                     GRAPH ?g {{ ?sanction skg:imposer ?imposer ; skg:target ?target }} }}""",
        {(SH + "SanctionShape-imposer-is-not-target",
          fact("sanction", "western-sanctions-on-russia"), SKG + "target")},
    ),
    "end date before start date": (
        f"""INSERT {{ GRAPH ?g {{ ?sanction skg:endDate "2017"^^xsd:gYear }} }}
            WHERE {{ BIND (<{fact('sanction', 'us-sanctions-on-iran')}> AS ?sanction)
                     GRAPH ?g {{ ?sanction skg:startDate ?start }} }}""",
        {(SH + "FactShape-end-after-start", fact("sanction", "us-sanctions-on-iran"),
          SKG + "endDate")},
    ),
    "withdrawal before its agreement": (
        f"""DELETE {{ GRAPH ?g {{ ?withdrawal skg:date ?date }} }}
            INSERT {{ GRAPH ?g {{ ?withdrawal skg:date "2014"^^xsd:gYear }} }}
            WHERE {{ BIND (<{fact('withdrawal', 'us-withdrawal-from-jcpoa')}> AS ?withdrawal)
                     GRAPH ?g {{ ?withdrawal skg:date ?date }} }}""",
        {(SH + "WithdrawalShape-not-before-agreement",
          fact("withdrawal", "us-withdrawal-from-jcpoa"), SKG + "date")},
    ),
    "a fact without evidence": (
        f"""DELETE WHERE {{ GRAPH ?g {{
                <{fact('invasion', 'russian-invasion-of-ukraine')}> prov:wasDerivedFrom ?e }} }}""",
        {(SH + "FactShape-evidence", fact("invasion", "russian-invasion-of-ukraine"),
          PROV + "wasDerivedFrom"),
         (SH + "EvidenceShape-used", evidence("russian-invasion-of-ukraine", 1),
          f"^<{PROV}wasDerivedFrom>"),
         (SH + "EvidenceShape-used", evidence("russian-invasion-of-ukraine", 2),
          f"^<{PROV}wasDerivedFrom>")},
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutation_of_the_seed_is_caught(seed_dataset: Any, name: str) -> None:
    sparql, expected = MUTATIONS[name]
    update(seed_dataset, sparql)
    assert results(validate(seed_dataset)) == expected


def facts_line(needle: str) -> int:
    text = (resources.data_dir() / "facts" / f"{SEED}.yaml").read_text(encoding="utf-8")
    return text.splitlines().index(needle) + 1


def test_results_name_the_facts_file_line_and_label(seed_build: Built, seed_dataset: Any) -> None:
    update(seed_dataset, MUTATIONS["drop a sanction's target"][0])
    update(seed_dataset, MUTATIONS["shift an evidence offset by one"][0])
    update(seed_dataset, f"""DELETE {{ GRAPH ?g {{ ?position oa:end ?end }} }}
        INSERT {{ GRAPH ?g {{ ?position oa:end 0 }} }}
        WHERE {{ BIND (<{evidence('jcpoa')}/position> AS ?position)
                 GRAPH ?g {{ ?position oa:end ?end }} }}""")
    sources = read_sourcemap(seed_build.store)
    by_shape = {r.shape: r for r in validate(seed_dataset, sources).results}

    sanction = by_shape[SH + "SanctionShape-target"]
    assert sanction.source is not None
    assert sanction.source.file == resources.data_dir() / "facts" / f"{SEED}.yaml"
    assert sanction.source.line == facts_line("  - id: us-sanctions-on-iran")
    assert sanction.focus_label == "US sanctions on Iran (since 2018)"
    quote = by_shape[SH + "EvidenceShape-exact"]
    assert quote.source == sources[evidence("us-sanctions-on-iran")]
    selector = by_shape[SH + "TextPositionSelectorShape-order"]
    assert selector.focus == evidence("jcpoa") + "/position"
    assert selector.source == sources[evidence("jcpoa")]


# --- the compiled engine gives pySHACL's results -----------------------------------------------


def differential(store: Any, shapes: Path | None = None) -> tuple[set[RawResult], set[RawResult]]:
    graph = load_shapes(shapes)
    return set(run_compiled(store, compile_shapes(graph))), set(run_pyshacl(store, graph))


@PYSHACL_WARNINGS
def test_engines_agree_on_the_mutated_seed(seed_dataset: Any, fast_pyshacl: None) -> None:
    for sparql, _ in MUTATIONS.values():
        update(seed_dataset, sparql)
    compiled, reference = differential(seed_dataset)
    assert len(compiled) >= sum(len(expected) for _, expected in MUTATIONS.values())
    assert compiled == reference


def shape_fixture_union() -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    for path in sorted(SHAPE_FIXTURES.glob("*.t*")):
        kind = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
        store.load(path=str(path), format=kind)
    store.load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
    return store


@PYSHACL_WARNINGS
def test_engines_agree_on_all_shape_fixtures_at_once(fast_pyshacl: None) -> None:
    compiled, reference = differential(shape_fixture_union())
    assert len(compiled) > 50
    assert compiled == reference


@PYSHACL_WARNINGS
def test_engines_agree_on_every_supported_shacl_feature(fast_pyshacl: None) -> None:
    import pyoxigraph as ox

    engine = SHAPE_FIXTURES / "engine"
    store = ox.Store()
    store.load(path=str(engine / "data.ttl"), format=ox.RdfFormat.TURTLE)
    compiled, reference = differential(store, engine / "shapes.ttl")
    assert compiled == reference
    used = {r.constraint.removeprefix("http://www.w3.org/ns/shacl#") for r in compiled}
    assert used == {
        f"{name}ConstraintComponent" for name in (
            "Class", "Datatype", "NodeKind", "Pattern", "LanguageIn", "In", "MinLength",
            "MaxLength", "Or", "And", "Not", "Xone", "Node", "MinCount", "MaxCount",
            "HasValue", "LessThan", "SPARQL",
        )
    }


@PYSHACL_WARNINGS
def test_the_parse_cache_keeps_pyshacl_results() -> None:
    """The parse cache of ``fast_pyshacl`` only speeds pySHACL up: the same results without."""
    store = shape_fixture_union()
    graph = load_shapes(resources.shapes_dir() / "provenance.ttl")
    uncached = run_pyshacl(store, graph)
    with cached_sparql_parsing():
        cached = run_pyshacl(store, graph)
    assert uncached
    assert sorted(map(repr, uncached)) == sorted(map(repr, cached))


# --- shapes the compiler does not know ---------------------------------------------------------

UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
@prefix ex: <http://example.org/> .
ex:SanctionShape a sh:NodeShape ;
    sh:targetClass skg:Sanction ;
    sh:property [ sh:path skg:imposer ; sh:equals skg:target ] .
"""


@PYSHACL_WARNINGS
def test_unsupported_shapes_fall_back_to_pyshacl(tmp_path: Path, seed_dataset: Any) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(UNSUPPORTED, encoding="utf-8")
    report = validate_store(seed_dataset, shapes=shapes, ontology=ONTOLOGY, sources={})
    assert report.engine is Engine.PYSHACL
    assert len(report.notes) == 1
    assert "sh:equals" in report.notes[0]
    assert {r.constraint for r in report.results} == {
        "http://www.w3.org/ns/shacl#EqualsConstraintComponent"
    }
    assert {r.focus for r in report.results} == {
        fact("sanction", "us-sanctions-on-iran"), fact("sanction", "western-sanctions-on-russia")
    }
    with pytest.raises(Unsupported, match="sh:equals"):
        validate_store(seed_dataset, shapes=shapes, ontology=ONTOLOGY, sources={},
                       engine=Engine.COMPILED)


INVALID_SPARQL = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
<http://example.org/Shape> a sh:NodeShape ;
    sh:targetClass skg:Sanction ;
    sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?x { 1 } $this ?p ?x }" ] .
"""


def shapes_error(tmp_path: Path, seed_dataset: Any, shapes_text: str) -> tuple[Path, str]:
    """The shapes file written with ``shapes_text``, and the InputError validating gives."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(shapes_text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        validate_store(seed_dataset, shapes=shapes, ontology=ONTOLOGY, sources={})
    return shapes.resolve(), str(error.value)


@PYSHACL_WARNINGS
def test_shapes_pyshacl_refuses_are_an_input_error(tmp_path: Path, seed_dataset: Any) -> None:
    shapes, message = shapes_error(tmp_path, seed_dataset, INVALID_SPARQL)
    assert message == (f"{shapes}: the shapes cannot be used: A SPARQL Constraint must not "
                       "contain a VALUES clause; fix the shapes")


BAD_MIN_COUNT = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/Shape> a sh:NodeShape ; sh:targetClass skg:Sanction ;
    sh:property [ sh:path rdfs:label ; sh:minCount "two" ] .
"""


def test_a_parameter_pyshacl_cannot_load_is_an_input_error_said_once(
        tmp_path: Path, seed_dataset: Any, capfd: pytest.CaptureFixture[str]) -> None:
    """Not pySHACL's ConstraintLoadError (an internal error), nor its log line beside ours."""
    shapes, message = shapes_error(tmp_path, seed_dataset, BAD_MIN_COUNT)
    assert message == (f"{shapes}: the shapes cannot be used: MinCountConstraintComponent "
                       "sh:minCount must be a literal with datatype xsd:integer; fix the shapes")
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(("pattern", "flags"), [('"([a-z"', None), ('"a"', '"z"')])
def test_a_pattern_the_engine_cannot_read_is_an_input_error_not_a_violation(
        tmp_path: Path, seed_dataset: Any, pattern: str, flags: str | None) -> None:
    shapes, message = shapes_error(tmp_path, seed_dataset, (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<http://example.org/Shape> a sh:NodeShape ; sh:targetClass skg:Sanction ; "
        f"sh:property <http://example.org/Label> .\n<http://example.org/Label> sh:path rdfs:label ;"
        f" sh:pattern {pattern} {'; sh:flags ' + flags if flags else ''} .\n"))
    with_flags = f" (flags {flags})" if flags else ""
    assert message == (
        f"{shapes}: the sh:pattern {pattern}{with_flags} of http://example.org/Label is not a "
        "valid regular expression; fix the shapes"
    )


def state_label_pattern(tmp_path: Path, constraint: str) -> Path:
    """A shapes file: the label of every skg:State must match an sh:pattern (``constraint``)."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<http://example.org/Shape> a sh:NodeShape ; sh:targetClass skg:State ; sh:property "
        f"[ sh:path rdfs:label ; {constraint} ] .\n", encoding="utf-8")
    return shapes


@PYSHACL_WARNINGS
def test_a_pattern_only_python_reads_is_left_to_pyshacl(tmp_path: Path, seed_dataset: Any) -> None:
    """A back-reference is valid in SHACL's XPath syntax, but not in the engine's regexes."""
    shapes = state_label_pattern(tmp_path, 'sh:pattern "^(.).*\\\\1$"')
    report = validate_store(seed_dataset, shapes=shapes, ontology=ONTOLOGY, sources={})
    assert report.engine is Engine.PYSHACL
    assert report.notes and "validated with pySHACL instead" in report.notes[0]
    # a label that does not end with the character it starts with violates it
    assert report.results and {r.constraint for r in report.results} == {
        "http://www.w3.org/ns/shacl#PatternConstraintComponent"}


def test_a_valid_pattern_still_checks_the_data(tmp_path: Path, seed_dataset: Any) -> None:
    shapes = state_label_pattern(tmp_path, 'sh:pattern "^iRAN$" ; sh:flags "i"')
    report = validate_store(seed_dataset, shapes=shapes, ontology=ONTOLOGY, sources={})
    assert report.results, "every state but Iran violates it"
    assert ID + "state/iran" not in {result.focus for result in report.results}


# --- files -------------------------------------------------------------------------------------

FORMATS = {".ttl": "TURTLE", ".nt": "N_TRIPLES", ".trig": "TRIG", ".nq": "N_QUADS",
           ".jsonld": "JSON_LD", ".rdf": "RDF_XML"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_files_are_read_by_extension(tmp_path: Path, seed_dataset: Any, suffix: str) -> None:
    import pyoxigraph as ox

    update(seed_dataset, MUTATIONS["malformed ISO code"][0])
    kind = getattr(ox.RdfFormat, FORMATS[suffix])
    path = tmp_path / f"seed{suffix}"
    quads = list(seed_dataset.quads_for_pattern(None, None, None, None))
    if kind.supports_datasets:
        ox.serialize(quads, output=str(path), format=kind)
    else:
        ox.serialize([q.triple for q in quads], output=str(path), format=kind)
    report = validate_files([path], shapes=None, ontology=ONTOLOGY)
    assert results(report) == MUTATIONS["malformed ISO code"][1]


def test_a_sourcemap_beside_the_file_locates_results(seed_build: Built, tmp_path: Path) -> None:
    import shutil

    trig = (seed_build.out / "sanctions-kg.trig").read_text(encoding="utf-8")
    mutated = tmp_path / "sanctions-kg.trig"
    mutated.write_text(trig.replace('skg:isoAlpha2 "IR"', 'skg:isoAlpha2 "I1"'), encoding="utf-8")
    shutil.copy(seed_build.out / "sanctions-kg.sourcemap.json", tmp_path)
    report = validate_files([mutated], shapes=None, ontology=ONTOLOGY)
    (found,) = [r for r in report.results if r.severity is Severity.VIOLATION]
    assert found.source is not None
    assert found.source.file == resources.data_dir() / "reference" / "states.yaml"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.ttl", None, "{path}: no such file; check the path"),
        ("data.csv", "a,b\n", "{path}: unknown RDF file extension '.csv'; use one of .ttl, .nt, "
                              ".trig, .nq, .jsonld, .rdf, .owl, .xml"),
        ("bad.ttl", '@prefix ex: <http://example.org/> .\nex:a ex:b "open .\n',
         "{path}:2:11: RDF syntax error: Unexpected end of file; fix the file there"),
        ("bad.nt", "<http://a> <http://b> <http://c> .\n<a> <b> <c> .\n",
         "{path}:2:1: RDF syntax error: No scheme found in an absolute IRI; fix the file "
         "there"),
    ],
)
def test_input_errors_name_the_file_line_and_column(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as error:
        validate_files([path], shapes=None, ontology=ONTOLOGY)
    assert str(error.value) == message.format(path=path)


def test_a_missing_shapes_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such shapes file or folder; check --shapes"):
        validate_files([SHAPE_FIXTURES / "context.trig"], shapes=tmp_path / "none.ttl",
                       ontology=ONTOLOGY)


def test_importing_validation_loads_no_rdf_library() -> None:
    code = ("import sys, sanctions_kg.validation, sanctions_kg.reports, sanctions_kg.shacl; "
            "print(sorted(m for m in ('pyoxigraph', 'rdflib', 'pyshacl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_a_store_without_the_ontology_graph_is_validated_with_it(seed_dataset: Any) -> None:
    import pyoxigraph as ox

    seed_dataset.remove_graph(ox.NamedNode(ONTOLOGY_GRAPH))
    update(seed_dataset, MUTATIONS["drop a sanction's target"][0])
    assert results(validate(seed_dataset)) == MUTATIONS["drop a sanction's target"][1]
    copy = dataset_copy(seed_dataset.quads_for_pattern(None, None, None, None))
    assert not copy.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH))


# --- the benchmark's generated corpus, with injected defects -----------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """A small generated corpus with one defect of each kind, built without validation."""
    import importlib.util
    import json

    from conftest import REPO, run_cli

    spec = importlib.util.spec_from_file_location("corpus", REPO / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = corpus
    spec.loader.exec_module(corpus)
    root = tmp_path_factory.mktemp("generated")
    corpus.generate(root / "corpus", articles=9, seed=3, defects=3)
    done = run_cli("build", "--no-validate", "--data", root / "corpus", "--out", root / "out",
                   "--store", root / "store")
    assert done.code == 0, done.stderr
    defects = json.loads((root / "corpus" / "defects.json").read_text(encoding="utf-8"))
    return root / "store", defects


DEFECT_SHAPES = {
    "imposer-is-target": SH + "SanctionShape-imposer-is-not-target",
    "end-before-start": SH + "FactShape-end-after-start",
    "withdrawal-before-agreement": SH + "WithdrawalShape-not-before-agreement",
}


def test_the_injected_defects_are_the_violations(
    generated: tuple[Path, list[dict[str, str]]],
) -> None:
    from sanctions_kg.validation import validate_store_dir

    store, defects = generated
    report = validate_store_dir(store, shapes=None, ontology=ONTOLOGY)
    violations = {(r.shape, r.focus) for r in report.results if r.severity is Severity.VIOLATION}
    assert violations == {(DEFECT_SHAPES[d["kind"]], d["focus"]) for d in defects}


@PYSHACL_WARNINGS
def test_engines_agree_on_the_generated_corpus(
    generated: tuple[Path, list[dict[str, str]]], fast_pyshacl: None
) -> None:
    from sanctions_kg.store import open_read

    store = dataset_copy(open_read(generated[0]).quads_for_pattern(None, None, None, None))
    compiled, reference = differential(store)
    assert len(compiled) >= 3
    assert compiled == reference
