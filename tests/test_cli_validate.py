"""``sanctions-kg validate`` and validation inside ``build``, run as the real command: exit
codes, exact messages, every output format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO, SEED_FACTS, SHAPE_FIXTURES, Built, Run, run_cli

CONTEXT = SHAPE_FIXTURES / "context.trig"
VIOLATION = SHAPE_FIXTURES / "SanctionShape-invalid-01.ttl"
WARNING = SHAPE_FIXTURES / "EntityShape-invalid-04.ttl"
INFO = SHAPE_FIXTURES / "InternationalOrganisationShape-invalid-01.ttl"
PASSED = "validation passed: {}\n"
FAILED = "error: validation failed: {}\n"


#: The seed's info results: hints on the facts its article gives only in a speaker's words.
SEED_COUNTS = "0 violations, 0 warnings, 7 info"


def test_the_seed_store_passes_with_its_hints(seed_build: Built) -> None:
    done = run_cli("validate", "--store", seed_build.store)
    assert done.code == 0, done.stderr
    assert done.stdout.startswith("Info  skg-sh:ClaimBasedFactShape-restsOnClaim\n")
    assert done.stdout.count("\nInfo  skg-sh:ClaimBasedFactShape-restsOnClaim\n") == 6
    assert done.stdout.endswith(f"\n\n{SEED_COUNTS}\n")
    assert done.stderr == PASSED.format(SEED_COUNTS)
    # with the hints left to --fail-on info, the run fails
    assert run_cli("validate", "--store", seed_build.store, "--fail-on", "info").code == 1


def test_a_violation_fails_with_the_report_on_stdout() -> None:
    done = run_cli("validate", CONTEXT, VIOLATION)
    assert done.code == 1
    assert done.stdout.startswith("Violation  skg-sh:SanctionShape-target\n"
                                  "  focus    skgid:sanction/fixture/us-on-iran"
                                  "  (US sanctions on Iran)\n")
    assert done.stderr == FAILED.format("1 violation, 0 warnings, 0 info")


@pytest.mark.parametrize(
    ("files", "fail_on", "code"),
    [
        ((CONTEXT,), "info", 0),
        ((CONTEXT, VIOLATION), "violation", 1),
        ((CONTEXT, WARNING), "violation", 0),
        ((CONTEXT, WARNING), "warning", 1),
        ((CONTEXT, WARNING), "info", 1),
        ((CONTEXT, INFO), "violation", 0),
        ((CONTEXT, INFO), "warning", 0),
        ((CONTEXT, INFO), "info", 1),
    ],
    ids=["conforming-info", "violation", "warning-violation", "warning-warning",
         "warning-info", "info-violation", "info-warning", "info-info"],
)
def test_exit_code_follows_fail_on(files: tuple[Path, ...], fail_on: str, code: int) -> None:
    done = run_cli("validate", *files, "--fail-on", fail_on)
    assert done.code == code, done.stderr
    counts = done.stdout.splitlines()[-1]
    expected = (FAILED if code else PASSED).format(counts)
    assert done.stderr == expected


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.ttl"
    done = run_cli("validate", missing)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr == f"error: {missing}: no such file; check the path\n"


@pytest.mark.parametrize("name", ["build", "folder.ttl"])
def test_a_folder_is_an_input_error(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    done = run_cli("validate", folder)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr == f"error: {folder}: is a folder; pass the RDF files in it\n"


def test_rdf_files_and_shapes_with_a_byte_order_mark_are_read(
        seed_build: Built, tmp_path: Path) -> None:
    """Editors on Windows start UTF-8 files with a byte order mark; pyoxigraph refused it as
    the first term ('\ufeff is not a valid subject or graph name'). It is skipped, and an
    error on the first line keeps the column an editor shows."""
    mark = b"\xef\xbb\xbf"
    for name in ("sanctions-kg.trig", "sanctions-kg.nq", "sanctions-kg.ttl"):
        marked = tmp_path / name
        marked.write_bytes(mark + (seed_build.out / name).read_bytes())
        done = run_cli("validate", marked)
        assert (done.code, done.stderr) == (0, PASSED.format(SEED_COUNTS)), name
        marked.unlink()
    shapes = tmp_path / "shapes.ttl"
    shapes.write_bytes(mark + (REPO / "shapes" / "entities.ttl").read_bytes())
    done = run_cli("validate", seed_build.out / "sanctions-kg.trig", "--shapes", shapes)
    assert done.code == 0, done.stderr
    broken = tmp_path / "broken.nt"
    broken.write_bytes(mark + b"<http://ex/a> <http://ex/b> .\n")
    done = run_cli("validate", broken)
    assert (done.code, done.stderr) == (2, (
        f"error: {broken}:1:29: RDF syntax error: The object of a triple must be an IRI, a "
        "blank node or a literal; fix the file there\n"))


def test_turtle_named_as_rdf_xml_is_one_line_with_a_hint(tmp_path: Path) -> None:
    """The RDF/XML parser quoted the text it met, comments and new lines included: the error
    spread over a dozen lines. It is one line, and says what the file looks like. The parser
    gives no position, and the error no longer made one up (it said line 1)."""
    owl = tmp_path / "ontology.owl"
    owl.write_text((REPO / "ontology" / "sanctions.ttl").read_text(encoding="utf-8"),
                   encoding="utf-8")
    done = run_cli("validate", owl)
    assert (done.code, done.stdout, done.stderr.count("\n")) == (2, "", 1)
    assert done.stderr.startswith(f"error: {owl}: RDF syntax error: Unexpected text event: "
                                  "'# sanctions-kg ontology # # Classes")
    assert done.stderr.endswith("; fix the file there (it does not start as XML does: if it is "
                                "Turtle, name it ontology.ttl)\n")


def test_a_remote_json_ld_context_is_named_as_such(tmp_path: Path) -> None:
    document = tmp_path / "remote.jsonld"
    document.write_text('{"@context": "http://schema.org/", "@id": "http://ex/a", "name": "A"}')
    done = run_cli("validate", document)
    assert (done.code, done.stderr) == (2, (
        f"error: {document}: RDF syntax error: its @context is a remote document, which is "
        "not fetched (validation reads no network); put the context in the file; fix the file "
        "there\n"))


def test_a_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "open .\n', encoding="utf-8")
    done = run_cli("validate", bad)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr == (f"error: {bad}:2:11: RDF syntax error: Unexpected end of file; fix "
                           "the file there\n")


def test_a_missing_store_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    done = run_cli("validate", "--store", missing)
    assert done.code == 2
    assert done.stderr == f"error: no store at {missing}; run `sanctions-kg build` first\n"


def test_files_and_a_store_do_not_mix(seed_build: Built) -> None:
    done = run_cli("validate", CONTEXT, "--store", seed_build.store)
    assert done.code == 2
    assert done.stderr == "error: give RDF files or --store, not both\n"


def test_an_unknown_fail_on_is_a_usage_error() -> None:
    done = run_cli("validate", CONTEXT, "--fail-on", "error")
    assert done.code == 2
    assert "Invalid value for '--fail-on'" in done.stderr


GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) (file=[^,:]+,line=\d+,)?title=[^,:]+::[^\r\n]+$"
)


def check_output(kind: str, text: str) -> None:
    if kind == "text":
        assert text.endswith("\n1 violation, 0 warnings, 0 info\n")
    elif kind == "json":
        (record,) = json.loads(text)
        assert record["shape"].endswith("#SanctionShape-target")
    elif kind == "turtle":
        import pyoxigraph as ox

        store = ox.Store()
        store.load(text.encode(), format=ox.RdfFormat.TURTLE)
        assert store.query("ASK { ?r a sh:ValidationReport ; sh:conforms false }",
                           prefixes={"sh": "http://www.w3.org/ns/shacl#"})
    elif kind == "junit":
        root = ET.fromstring(text)
        assert len(root.findall("testsuite/testcase/failure")) == 1
    elif kind == "sarif":
        document = json.loads(text)
        assert document["version"] == "2.1.0"
        (result,) = document["runs"][0]["results"]
        assert result["ruleId"].endswith("#SanctionShape-target")
    else:
        (line,) = text.splitlines()
        assert GITHUB_LINE.match(line)
        assert line.startswith("::error title=skg-sh%3ASanctionShape-target::")


@pytest.mark.parametrize("kind", ["text", "json", "turtle", "junit", "sarif", "github"])
def test_every_format(kind: str) -> None:
    done = run_cli("validate", CONTEXT, VIOLATION, "--format", kind)
    assert done.code == 1
    check_output(kind, done.stdout)


ANONYMOUS = """@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
[] a skg:Sanction ; rdfs:label "one" .
[] a skg:Sanction .
_:mine a skg:Sanction .
"""


@pytest.mark.parametrize("kind", ["text", "json", "turtle", "junit", "sarif", "github"])
def test_reports_on_blank_nodes_are_the_same_from_run_to_run(tmp_path: Path, kind: str) -> None:
    """The parsers label blank nodes at random; validation numbers them per file in the order
    they appear, so the same files give the same report bytes."""
    (tmp_path / "a.ttl").write_text(ANONYMOUS, encoding="utf-8")
    (tmp_path / "b.ttl").write_text(ANONYMOUS, encoding="utf-8")
    first, second = (run_cli("validate", tmp_path / "a.ttl", tmp_path / "b.ttl", "--format", kind)
                     for _ in range(2))
    assert (first.code, second.code) == (1, 1)
    assert first.stdout == second.stdout
    # the nodes of the two files stay apart, as in an RDF merge: six sanctions without a target
    if kind == "json":
        targetless = sorted(record["focus"] for record in json.loads(first.stdout)
                            if record["shape"].endswith("#SanctionShape-target"))
        assert targetless == ["_:f1n1", "_:f1n2", "_:f1n3", "_:f2n1", "_:f2n2", "_:f2n3"]


def test_blank_nodes_in_triple_terms_and_graph_names_are_numbered_with_the_rest() -> None:
    """Renaming only subjects and objects split a node from itself inside a triple term, left
    a random label there, and merged blank graph names of two files."""
    import pyoxigraph as ox

    from sanctions_kg.sources import BlankNodeNumbers

    first, second = BlankNodeNumbers("f1"), BlankNodeNumbers("f2")
    node, other = ox.BlankNode("a"), ox.BlankNode("5f3a")
    term = first(ox.Triple(node, ox.NamedNode("http://example.org/p"), other))
    assert (term.subject, term.object) == (ox.BlankNode("f1n1"), ox.BlankNode("f1n2"))
    assert first(node) == ox.BlankNode("f1n1")
    assert second(ox.BlankNode("g")) == ox.BlankNode("f2n1") != first(ox.BlankNode("g"))
    assert first(ox.DefaultGraph()) == ox.DefaultGraph()


def test_output_is_written_to_a_file(tmp_path: Path) -> None:
    report = tmp_path / "report.sarif"
    done = run_cli("validate", CONTEXT, VIOLATION, "--format", "sarif", "--output", report)
    assert (done.code, done.stdout) == (1, "")
    check_output("sarif", report.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]


@pytest.mark.parametrize("how", ["same-path", "hard-link", "symbolic-link"])
def test_output_onto_a_file_being_validated_is_refused(tmp_path: Path, how: str) -> None:
    # Before, the report replaced the data it was about, and the run passed (exit 0).
    data = tmp_path / "context.trig"
    data.write_bytes(CONTEXT.read_bytes())
    output = data
    if how == "hard-link":
        output = tmp_path / "hard.trig"
        output.hardlink_to(data)
    elif how == "symbolic-link":
        output = tmp_path / "soft.trig"
        output.symlink_to(data.name)
    done = run_cli("validate", VIOLATION, data, "--output", output)
    assert (done.code, done.stdout, done.stderr) == (
        2, "", f"error: {output}: --output is one of the files being validated; choose another "
               "path\n")
    assert data.read_bytes() == CONTEXT.read_bytes()


def test_results_name_the_facts_file_of_a_built_file(seed_build: Built, tmp_path: Path) -> None:
    import shutil

    trig = (seed_build.out / "sanctions-kg.trig").read_text(encoding="utf-8")
    (tmp_path / "sanctions-kg.trig").write_text(
        trig.replace('skg:isoAlpha2 "IR"', 'skg:isoAlpha2 "I1"'), encoding="utf-8")
    shutil.copy(seed_build.out / "sanctions-kg.sourcemap.json", tmp_path)
    done = run_cli("validate", tmp_path / "sanctions-kg.trig", "--format", "github")
    assert done.code == 1
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert re.match(r"^::error file=[^,]*data/reference/states\.yaml,line=\d+,title=", line)


UNSUPPORTED = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
<http://example.org/Shape> a sh:NodeShape ;
    sh:targetClass skg:Agreement ;
    sh:property [ sh:path skg:party ; sh:qualifiedValueShape [ sh:class skg:State ] ;
                  sh:qualifiedMinCount 3 ] .
"""


@pytest.mark.filterwarnings("ignore")
def test_shapes_the_fast_engine_does_not_compile_fall_back_to_pyshacl(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(UNSUPPORTED, encoding="utf-8")
    done = run_cli("validate", CONTEXT, "--shapes", shapes, "--format", "json")
    assert done.code == 1
    (record,) = json.loads(done.stdout)
    assert record["constraint"].endswith("#QualifiedMinCountConstraintComponent")
    assert done.stderr.splitlines()[0] == (
        "note: the shapes use sh:qualifiedValueShape (in the property shape for "
        "https://w3id.org/sanctions-kg/ontology#party of http://example.org/Shape), which the "
        "fast validator does not compile; validated with pySHACL instead"
    )


def test_a_shapes_error_names_a_property_shape_by_its_path_and_holder(
        seed_build: Built, tmp_path: Path) -> None:
    """A blank node's label (``_:s1n1``) is none the author wrote: the property shape is named
    by its path and the shape that holds it."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ;\n"
        '  sh:property [ sh:path rdfs:label ; sh:pattern "[a-" ] .\n', encoding="utf-8")
    done = run_cli("validate", "--store", seed_build.store, "--shapes", shapes)
    assert (done.code, done.stderr) == (2, (
        f'error: {shapes}: the sh:pattern "[a-" of the property shape for '
        "http://www.w3.org/2000/01/rdf-schema#label of http://example.org/Shape is not a valid "
        "regular expression; fix the shapes\n"))


BLANK_PROPERTY_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
<http://example.org/Shape> a sh:NodeShape ;
    sh:targetClass skg:Sanction ;
    sh:property [ sh:path skg:severity ; sh:minCount 1 ; sh:severity sh:Warning ] .
"""


@pytest.mark.parametrize("engine", ["compiled", "pyshacl"])
def test_reports_name_a_blank_property_shape_by_its_path_and_holder(
        seed_build: Built, tmp_path: Path, engine: str) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(BLANK_PROPERTY_SHAPE if engine == "compiled"
                      else BLANK_PROPERTY_SHAPE + UNSUPPORTED, encoding="utf-8")
    name = "the property shape for skg:severity of http://example.org/Shape"
    text = run_cli("validate", "--store", seed_build.store, "--shapes", shapes)
    headers = [line for line in text.stdout.splitlines() if line.startswith("Warning  ")]
    assert headers and set(headers) == {f"Warning  {name}"}, text.stdout[:400]
    github = run_cli("validate", "--store", seed_build.store, "--shapes", shapes,
                     "--format", "github")
    titles = set(re.findall(r"title=([^:]*)::", github.stdout))
    assert f"{name.replace(':', '%3A')}" in titles, titles
    junit = ET.fromstring(run_cli("validate", "--store", seed_build.store, "--shapes", shapes,
                                  "--format", "junit").stdout)
    assert {case.get("classname") for case in junit.iter("testcase")} >= {name}
    records = json.loads(run_cli("validate", "--store", seed_build.store, "--shapes", shapes,
                                 "--format", "json").stdout)
    warnings = [record for record in records if record["severity"] == "warning"]
    assert warnings and all(record["shape"].startswith("_:") for record in warnings)  # a node


def test_validating_the_store_imports_no_rdflib_or_pyshacl(seed_build: Built) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sanctions_kg", "validate", "--store",
         str(seed_build.store)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0]
               for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not modules & {"rdflib", "pyshacl"}


def test_build_refuses_data_with_violations(data_copy: Path, tmp_path: Path) -> None:
    facts = data_copy / "facts" / SEED_FACTS.name
    text = facts.read_text(encoding="utf-8")
    assert text.count("    imposer: united-states\n    target: iran\n") == 1
    facts.write_text(text.replace("    imposer: united-states\n    target: iran\n",
                                  "    imposer: iran\n    target: iran\n"), encoding="utf-8")
    out, store = tmp_path / "out", tmp_path / "store"
    done = run_cli("build", "--data", data_copy, "--out", out, "--store", store)
    assert done.code == 1
    assert done.stderr.startswith("Violation  skg-sh:SanctionShape-imposer-is-not-target\n")
    assert f"  source   {facts}:" in done.stderr
    assert done.stderr.endswith(FAILED.format("1 violation, 0 warnings, 7 info"))
    # the hints are counted, as on a build that passes: thousands would bury the violation
    assert "\nInfo  " not in done.stderr
    assert "\n7 info results (hints) not shown; `sanctions-kg validate` lists them\n" in done.stderr
    assert not out.exists()


def test_a_shapes_file_is_named_as_given(tmp_path: Path, seed_build: Built) -> None:
    """Relative as given, like the data files, not made absolute."""
    (tmp_path / "bad.ttl").write_text('@prefix ex: <http://ex/> .\nex:a ex:b "unterminated .\n')
    done = run_cli("validate", seed_build.out / "sanctions-kg.ttl", "--shapes", "bad.ttl",
                   cwd=tmp_path)
    assert done.code == 2
    assert done.stderr.startswith("error: bad.ttl:2:")


@pytest.mark.parametrize(("content", "where", "reason"), [
    ("[1, 2]", 1, "an object with 'data' and 'nodes' was expected"),
    ('{"data": "x",\n "nodes": [1}', 2, "JSON syntax error: "),
    ('{"nodes": {"x": "f.yaml:seven"}}', 1, "invalid literal"),
])
def test_a_broken_source_map_is_named_with_its_line_and_a_plain_reason(
    tmp_path: Path, content: str, where: int, reason: str
) -> None:
    (tmp_path / "sanctions-kg.sourcemap.json").write_text(content)
    data = tmp_path / "data.ttl"
    data.write_text("<http://example.org/a> a <http://example.org/B> .\n")
    done = run_cli("validate", data, cwd=tmp_path)
    assert done.code == 2
    assert done.stderr.startswith(
        f"error: {tmp_path}/sanctions-kg.sourcemap.json:{where}: not a sanctions-kg source map "
        f"({reason}")
    assert "object has no attribute" not in done.stderr


SANCTION_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/sanctions-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/S> a sh:NodeShape ; sh:targetClass skg:Sanction ;
"""


def validated_with(seed_build: Built, shapes: Path, properties: str) -> Run:
    """The seed store validated with one node shape on sanctions and the given properties."""
    shapes.write_text(SANCTION_SHAPE + properties, encoding="utf-8")
    return run_cli("validate", "--store", seed_build.store, "--shapes", shapes)


def test_a_property_shape_with_a_complex_path_is_named_by_that_path(
        seed_build: Built, tmp_path: Path) -> None:
    done = validated_with(seed_build, tmp_path / "shapes.ttl", (
        "  sh:property [ sh:path ( skg:imposer rdfs:comment ) ; sh:minCount 1 ;\n"
        "                sh:severity sh:Warning ] ;\n"
        "  sh:property [ sh:path [ sh:inversePath skg:imposer ] ; sh:minCount 1 ;\n"
        "                sh:severity sh:Info ] .\n"))
    headers = {line for line in done.stdout.splitlines() if line.startswith(("Warning", "Info"))}
    assert headers == {
        "Warning  the property shape for (skg:imposer/rdfs:comment) of http://example.org/S",
        "Info  the property shape for ^skg:imposer of http://example.org/S"}


def test_a_path_that_contains_itself_is_a_shapes_error_not_a_crash(
        seed_build: Built, tmp_path: Path) -> None:
    shapes = tmp_path / "cycle.ttl"
    done = validated_with(seed_build, shapes, (
        "  sh:property <http://example.org/P> .\n"
        "<http://example.org/P> sh:path _:p ; sh:minCount 1 .\n"
        "_:p sh:inversePath _:p .\n"))
    assert done.code == 2, done.stderr
    assert done.stderr.startswith(f"error: {shapes}: the shapes cannot be used")
    assert "Traceback" not in done.stderr
