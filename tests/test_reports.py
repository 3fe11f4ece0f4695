"""Every report format, parsed back: text, JSON, Turtle, JUnit XML, SARIF 2.1.0, GitHub."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sanctions_kg.errors import Location, OutputError
from sanctions_kg.namespaces import ID, PROV, SH, SKG, SKG_SHAPES
from sanctions_kg.reports import compact, render, turtle_path, write_report
from sanctions_kg.validation import ReportFormat, Severity, ValidationReport, ValidationResult

FACTS = Path("data/facts/article.yaml")
RESULTS = (
    ValidationResult(
        Severity.VIOLATION, ID + "sanction/article/s1", "US sanctions on Iran", SKG + "target",
        None, "A sanction has a target (skg:target).", SKG_SHAPES + "SanctionShape-target",
        SH + "MinCountConstraintComponent", Location(FACTS, 12),
    ),
    ValidationResult(
        Severity.WARNING, ID + "evidence/article/s1/1", None, f"^<{PROV}wasDerivedFrom>", None,
        "Unused: 50% done, a:b", SKG_SHAPES + "EvidenceShape-used",
        SH + "MinCountConstraintComponent", None,
    ),
    ValidationResult(
        Severity.INFO, ID + "summit/article/x", "Summit", SKG + "place",
        '"Line one\\nline \\"two\\""@en', "Say where\nit was.", SKG_SHAPES + "SummitShape-place",
        SH + "ClassConstraintComponent", Location(FACTS, 40),
    ),
)
SHAPES = tuple(sorted({r.shape for r in RESULTS} | {SKG_SHAPES + "StateShape-isoAlpha2"}))
REPORT = ValidationReport(RESULTS, SHAPES)
EMPTY = ValidationReport((), SHAPES)
JSON_FIELDS = ["severity", "focus", "focus_label", "path", "value", "message", "shape",
               "constraint", "file", "line"]


def test_text_gives_one_block_per_result_then_the_counts() -> None:
    assert render(REPORT, ReportFormat.TEXT) == (
        "Violation  skg-sh:SanctionShape-target\n"
        "  focus    skgid:sanction/article/s1  (US sanctions on Iran)\n"
        "  path     skg:target\n"
        "  value    —\n"
        "  message  A sanction has a target (skg:target).\n"
        "  source   data/facts/article.yaml:12\n"
        "\n"
        "Warning  skg-sh:EvidenceShape-used\n"
        "  focus    skgid:evidence/article/s1/1\n"
        "  path     ^prov:wasDerivedFrom\n"
        "  value    —\n"
        "  message  Unused: 50% done, a:b\n"
        "\n"
        "Info  skg-sh:SummitShape-place\n"
        "  focus    skgid:summit/article/x  (Summit)\n"
        "  path     skg:place\n"
        '  value    "Line one\\nline \\"two\\""@en\n'
        "  message  Say where\nit was.\n"
        "  source   data/facts/article.yaml:40\n"
        "\n"
        "1 violation, 1 warning, 1 info\n"
    )
    assert str(REPORT) == render(REPORT, ReportFormat.TEXT).rstrip("\n")


def test_text_of_a_conforming_report() -> None:
    assert render(EMPTY, ReportFormat.TEXT) == (
        "The data conforms to the shapes.\n\n0 violations, 0 warnings, 0 info\n"
    )


def test_json_is_a_flat_list_of_results_with_the_documented_fields() -> None:
    records = json.loads(render(REPORT, ReportFormat.JSON))
    assert [list(record) for record in records] == [JSON_FIELDS] * 3
    assert records[0] == {
        "severity": "violation", "focus": ID + "sanction/article/s1",
        "focus_label": "US sanctions on Iran", "path": SKG + "target", "value": None,
        "message": "A sanction has a target (skg:target).",
        "shape": SKG_SHAPES + "SanctionShape-target",
        "constraint": SH + "MinCountConstraintComponent",
        "file": "data/facts/article.yaml", "line": 12,
    }
    assert records[1]["file"] is None and records[1]["line"] is None
    assert json.loads(render(EMPTY, ReportFormat.JSON)) == []


def test_turtle_is_a_standard_shacl_validation_report() -> None:
    import pyoxigraph as ox

    store = ox.Store()
    store.load(render(REPORT, ReportFormat.TURTLE).encode(), format=ox.RdfFormat.TURTLE)
    prefixes = {"sh": SH, "prov": PROV}
    (row,) = store.query(
        "SELECT ?conforms (COUNT(?result) AS ?results) WHERE { ?report a sh:ValidationReport ; "
        "sh:conforms ?conforms ; sh:result ?result . ?result a sh:ValidationResult } "
        "GROUP BY ?conforms", prefixes=prefixes)  # type: ignore[misc]
    assert (row["conforms"].value, row["results"].value) == ("false", "3")
    assert store.query(
        "ASK { ?r sh:resultPath [ sh:inversePath prov:wasDerivedFrom ] ; "
        "sh:resultSeverity sh:Warning }", prefixes=prefixes)
    (value,) = store.query("SELECT ?v WHERE { ?r sh:value ?v }", prefixes=prefixes)  # type: ignore[misc]
    assert value["v"] == ox.Literal('Line one\nline "two"', language="en")
    (message,) = store.query(
        "SELECT ?m WHERE { ?r sh:resultSeverity sh:Info ; sh:resultMessage ?m }",
        prefixes=prefixes)  # type: ignore[misc]
    assert message["m"].value == "Say where\nit was."


def test_turtle_of_a_conforming_report() -> None:
    import pyoxigraph as ox

    store = ox.Store()
    store.load(render(EMPTY, ReportFormat.TURTLE).encode(), format=ox.RdfFormat.TURTLE)
    assert store.query("ASK { ?r sh:conforms true FILTER NOT EXISTS { ?r sh:result ?x } }",
                       prefixes={"sh": SH})


@pytest.mark.parametrize(
    ("path", "turtle"),
    [
        ("http://e/a", "<http://e/a>"),
        ("^<http://e/a>", "[ sh:inversePath <http://e/a> ]"),
        ("(<http://e/a>/^<http://e/b>)", "( <http://e/a> [ sh:inversePath <http://e/b> ] )"),
        ("(<http://e/a>|<http://e/b>)", "[ sh:alternativePath ( <http://e/a> <http://e/b> ) ]"),
        ("<http://e/a>*", "[ sh:zeroOrMorePath <http://e/a> ]"),
        ("(<http://e/a>/<http://e/b>)+",
         "[ sh:oneOrMorePath ( <http://e/a> <http://e/b> ) ]"),
        ("<http://e/a>?", "[ sh:zeroOrOnePath <http://e/a> ]"),
    ],
)
def test_result_paths_are_written_as_shacl_paths(path: str, turtle: str) -> None:
    assert turtle_path(path) == turtle


@pytest.mark.parametrize(
    ("fail_on", "failures"),
    [(Severity.VIOLATION, 1), (Severity.WARNING, 2), (Severity.INFO, 3)],
)
def test_junit_has_a_testcase_per_result_with_one_failure_at_most(
    fail_on: Severity, failures: int
) -> None:
    root = ET.fromstring(render(REPORT, ReportFormat.JUNIT, fail_on=fail_on))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    # the three results, then the shape without one: a passed case
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        ("skg-sh:EvidenceShape-used", "skgid:evidence/article/s1/1 ^prov:wasDerivedFrom"),
        ("skg-sh:SanctionShape-target", "skgid:sanction/article/s1 skg:target"),
        ("skg-sh:StateShape-isoAlpha2", "no results"),
        ("skg-sh:SummitShape-place",
         'skgid:summit/article/x skg:place "Line one\\nline \\"two\\""@en'),
    ]
    assert suite.get("tests") == root.get("tests") == "4"
    assert suite.get("failures") == root.get("failures") == str(failures)
    assert all(len(case.findall("failure")) <= 1 for case in cases)
    failed = [f for case in cases for f in case.findall("failure")]
    assert len(failed) == failures
    assert all(f.get("message") and f.get("type") and f.text for f in failed)
    remarks = [case for case in cases if case.find("system-out") is not None]
    assert len(remarks) == 3 - failures
    assert not any(case.find("failure") is not None and case.find("system-out") is not None
                   for case in cases)


def test_junit_names_are_unique_and_valid_xml() -> None:
    """Results that differ in their value only get names of their own; a control character in
    a label is escaped."""
    def result(focus: str, value: str | None, label: str | None = None) -> ValidationResult:
        return ValidationResult(
            Severity.VIOLATION, focus, label, SKG + "party", value, "Wrong party.",
            SKG_SHAPES + "AgreementShape-party", SH + "DatatypeConstraintComponent", None)

    results = (result(ID + "agreement/a/d", '"x"'), result(ID + "agreement/a/d", '"y"'),
               result("_:f1", None), result("_:f2", None, "bad\u0001label"))
    text = render(ValidationReport(results, SHAPES), ReportFormat.JUNIT)
    root = ET.fromstring(text)  # fails on a character XML cannot hold
    names = [case.get("name") for case in root.iter("testcase")
             if case.get("classname") == "skg-sh:AgreementShape-party"]
    assert names == ['skgid:agreement/a/d skg:party "x"', 'skgid:agreement/a/d skg:party "y"',
                     "_:f1 skg:party", "_:f2 skg:party"]
    assert "bad\\u0001label" in text


def test_junit_counts_every_result_of_one_shape() -> None:
    many = tuple(ValidationResult(
        Severity.VIOLATION, ID + f"sanction/article/s{n}", None, SKG + "target", None,
        "A sanction has a target (skg:target).", SKG_SHAPES + "SanctionShape-target",
        SH + "MinCountConstraintComponent", None) for n in range(5))
    root = ET.fromstring(render(ValidationReport(many, SHAPES), ReportFormat.JUNIT))
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("8", "5")
    assert len(suite.findall("testcase")) == 8
    assert len(suite.findall("testcase/failure")) == 5


def test_sarif_carries_rules_levels_and_locations() -> None:
    document = json.loads(render(REPORT, ReportFormat.SARIF))
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sanctions-kg"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert sorted(rule_ids) == sorted(r.shape for r in RESULTS)
    levels = []
    for result, source in zip(run["results"], RESULTS, strict=True):
        assert result["ruleId"] == source.shape
        assert rule_ids[result["ruleIndex"]] == source.shape
        assert result["message"]["text"]
        (location,) = result["locations"]
        assert location["logicalLocations"] == [
            {"fullyQualifiedName": source.focus, "kind": "resource"}
        ]
        if source.source is None:
            assert "physicalLocation" not in location
        else:
            assert location["physicalLocation"] == {
                "artifactLocation": {"uri": "data/facts/article.yaml"},
                "region": {"startLine": source.source.line},
            }
        levels.append(result["level"])
    assert levels == ["error", "warning", "note"]


GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) (file=[^,:]+,line=\d+,)?title=[^,:]+::[^\r\n]+$"
)


def test_sarif_locations_outside_the_working_folder_are_file_uris() -> None:
    outside = ValidationResult(Severity.VIOLATION, "f", None, None, None, "m", "s", "c",
                               Location(Path("/elsewhere/facts.yaml"), 3))
    document = json.loads(render(ValidationReport((outside,)), ReportFormat.SARIF))
    (location,) = document["runs"][0]["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///elsewhere/facts.yaml"
    }


def test_github_lines_are_workflow_commands() -> None:
    lines = render(REPORT, ReportFormat.GITHUB).splitlines()
    assert len(lines) == 3
    assert all(GITHUB_LINE.match(line) for line in lines)
    assert lines[0] == (
        "::error file=data/facts/article.yaml,line=12,title=skg-sh%3ASanctionShape-target::"
        "A sanction has a target (skg:target). [focus skgid:sanction/article/s1 "
        "(US sanctions on Iran), path skg:target]"
    )
    assert lines[1].startswith("::warning title=skg-sh%3AEvidenceShape-used::Unused: 50%25 done")
    assert "Say where%0Ait was." in lines[2]
    assert render(EMPTY, ReportFormat.GITHUB) == ""


def test_text_shows_control_characters_in_the_data_escaped() -> None:
    # Before, the escape sequence went to the terminal as it is (here: clear the screen).
    result = ValidationResult(
        Severity.VIOLATION, ID + "sanction/article/s1", "US\x1b[2J sanctions", SKG + "target",
        None, "Bad\x07 value.\nSecond line.", SKG_SHAPES + "SanctionShape-target",
        SH + "MinCountConstraintComponent", None,
    )
    text = render(ValidationReport((result,), SHAPES), ReportFormat.TEXT)
    assert "  (US\\x1b[2J sanctions)\n" in text
    assert "  message  Bad\\x07 value.\nSecond line.\n" in text
    assert "\x1b" not in text and "\x07" not in text
    as_json = render(ValidationReport((result,), SHAPES), ReportFormat.JSON)
    assert json.loads(as_json)[0]["focus_label"] == "US\x1b[2J sanctions"


def test_reports_are_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    write_report("new\n", target)
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_report_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.json"
    with pytest.raises(OutputError) as error:
        write_report("x", target)
    assert str(error.value) == (
        f"{target}: the folder {target.parent} does not exist; create it first"
    )


def test_iris_are_compacted_with_the_project_prefixes() -> None:
    assert compact(ID + "state/iran") == "skgid:state/iran"
    assert compact(SKG_SHAPES + "StateShape") == "skg-sh:StateShape"
    assert compact("http://example.org/x") == "http://example.org/x"
