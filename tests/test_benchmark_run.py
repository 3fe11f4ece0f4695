"""The benchmark runner's report: notes rendered once each, and target verdicts that use capped
times as the bounds they are."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import REPO, load_script

RUNNER = REPO / "benchmarks" / "run.py"
RDFLIB_TARGET = "rdflib / ours ≥ 20× for every named query at 1,000 articles"
PYSHACL_TARGET = "pySHACL / validate ≥ 2 at 1,000 articles"


runner = load_script(RUNNER, "benchmark_run")


def _run(articles: int, **figures: Any) -> dict[str, Any]:
    """One size of latest.json, with plausible figures unless given."""
    run: dict[str, Any] = {
        "articles": articles, "triples": 680 * articles, "build_s": 15.0,
        "build_peak_rss_mb": 450.0, "oxigraph_load_s": 6.0, "validate_s": 6.0,
        "validate_peak_rss_mb": 330.0, "pyshacl_s": 60.0, "pyshacl_capped": False,
        "query_p50_ms": {"q-a": 1.0, "q-b": 2.0}, "query_capped_queries": [],
        "rdflib_query_p50_ms": {"q-a": 100.0, "q-b": 100.0}, "rdflib_capped_queries": [],
        "query_cli_s": 0.2, "import_floor_s": 0.1, "oxigraph_query_cli_s": 0.5, "notes": [],
    }
    run.update(figures)
    return run


def _document(*runs: dict[str, Any]) -> dict[str, Any]:
    machine = {"cores": 2, "memory_gb": 8.0, "python": "3.11.7", "platform": "Linux",
               "pyoxigraph": "0.5.13", "rdflib": "7.6.0", "pyshacl": "0.40.1",
               "oxigraph_cli": "0.5.13"}
    return {"machine": machine, "runs": list(runs),
            "fitted_exponents": {"build": 1.03, "validate": 1.04}}


def _target(document: dict[str, Any], what: str) -> tuple[str, str]:
    rows = {target: (figure, verdict) for target, figure, verdict in runner.targets(document)}
    return rows[what]


def test_each_note_is_rendered_once() -> None:
    notes = {
        1000: ["load average 1.00 on 2 cores when the size began",
               "rdflib queries stopped at their share of the limit (42.9 s, recorded as a "
               "lower bound): q-a"],
        10000: ["load average 1.00 on 2 cores when the size began",
                "pyshacl not run: it exceeded 900 s at 1000 articles",
                "rdflib not run: it exceeded 900 s at 1000 articles",
                "query CLI figures use the named query 'q-a'"],
    }
    document = _document(
        _run(1000, pyshacl_s=900.0, pyshacl_capped=True, rdflib_capped_queries=["q-a"],
             notes=notes[1000]),
        _run(10000, pyshacl_s=900.0, pyshacl_capped=True, rdflib_query_p50_ms=None,
             notes=notes[10000]),
    )
    rendered = runner.markdown(document)
    section = rendered.split("\n## Notes\n\n", 1)[1].splitlines()
    assert section == [f"- {n} articles: {note}" for n in (1000, 10000) for note in notes[n]]
    for n, texts in notes.items():
        for note in texts:
            assert rendered.count(f"- {n} articles: {note}\n") == 1, note


@pytest.mark.parametrize(("ours", "theirs", "rdflib_capped", "ours_capped", "expected"), [
    pytest.param({"q-a": 1.0, "q-b": 2.0}, {"q-a": 30.0, "q-b": 50.0}, [], [],
                 ("least 25× (q-b)", "met"), id="met"),
    pytest.param({"q-a": 1.0, "q-b": 2.0}, {"q-a": 10.0, "q-b": 50.0}, [], [],
                 ("least 10× (q-a)", "missed"), id="missed"),
    pytest.param({"q-a": 100.0, "q-b": 2.0}, {"q-a": 2500.0, "q-b": 60.0}, ["q-a"], [],
                 ("least ≥25× (q-a, rdflib capped)", "met"), id="capped-but-decided"),
    pytest.param({"q-a": 100.0, "q-b": 2.0}, {"q-a": 1500.0, "q-b": 60.0}, ["q-a"], [],
                 ("least ≥15× (q-a, rdflib capped)", "undecided (≥15×, rdflib capped)"),
                 id="capped-undecided"),
    pytest.param({"q-a": 100.0, "q-b": 10.0}, {"q-a": 1500.0, "q-b": 160.0}, ["q-a"], [],
                 ("16× (q-b)", "missed"), id="capped-undecided-beside-a-measured-miss"),
    pytest.param({"q-a": 100.0, "q-b": 2.0}, {"q-a": 1000.0, "q-b": 60.0}, [], ["q-a"],
                 ("least ≤10× (q-a, sanctions-kg capped)", "missed"), id="ours-capped-decided"),
    pytest.param({"q-a": 100.0, "q-b": 2.0}, {"q-a": 3000.0, "q-b": 50.0}, [], ["q-a"],
                 ("≤30× (q-a, sanctions-kg capped)", "undecided (≤30×, sanctions-kg capped)"),
                 id="ours-capped-undecided"),
    pytest.param({"q-a": 1.0, "q-b": 2.0}, None, [], [], ("–", "not measured"),
                 id="rdflib-not-run"),
])
def test_rdflib_verdict_uses_capped_times_as_bounds(
        ours: dict[str, float], theirs: dict[str, float] | None, rdflib_capped: list[str],
        ours_capped: list[str], expected: tuple[str, str]) -> None:
    document = _document(_run(1000, query_p50_ms=ours, rdflib_query_p50_ms=theirs,
                              rdflib_capped_queries=rdflib_capped,
                              query_capped_queries=ours_capped))
    assert _target(document, RDFLIB_TARGET) == expected


@pytest.mark.parametrize(("pyshacl_s", "capped", "expected"), [
    pytest.param(18.0, False, ("3.0×", "met"), id="met"),
    pytest.param(9.0, False, ("1.5×", "missed"), id="missed"),
    pytest.param(900.0, True, ("≥150.0× (pySHACL capped)", "met"), id="capped-but-decided"),
    pytest.param(9.0, True, ("≥1.5× (pySHACL capped)", "undecided (≥1.5×, pySHACL capped)"),
                 id="capped-undecided"),
    pytest.param(None, False, ("–", "not measured"), id="pyshacl-not-run"),
])
def test_pyshacl_verdict_uses_a_capped_time_as_a_lower_bound(
        pyshacl_s: float | None, capped: bool, expected: tuple[str, str]) -> None:
    document = _document(_run(1000, validate_s=6.0, pyshacl_s=pyshacl_s, pyshacl_capped=capped))
    assert _target(document, PYSHACL_TARGET) == expected


def test_table_marks_ratios_of_capped_times_as_lower_bounds() -> None:
    document = _document(_run(1000, pyshacl_s=900.0, pyshacl_capped=True,
                              query_p50_ms={"q-a": 100.0, "q-b": 2.0},
                              rdflib_query_p50_ms={"q-a": 1500.0, "q-b": 60.0},
                              rdflib_capped_queries=["q-a"]))
    row = next(line for line in runner.markdown(document).splitlines()
               if line.startswith("| 1000 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[8:12] == ["900.00 (capped)", "≥150.0", "100.0", "≥15"]


def test_a_pyshacl_run_stopped_at_the_cap_leaves_a_note_for_its_size(tmp_path: Any) -> None:
    """The size at which pySHACL runs out of time says so; larger sizes say it was not run."""

    class StoppedSpawner:
        def run(self, name: str, argv: Any, **options: Any) -> Any:
            return runner.Measured(seconds=5.0, peak_rss_mb=10.0, code=-9, timed_out=True)

    settings = runner.Settings(quick=True, seed=1, cli=tmp_path, oxigraph=tmp_path,
                               pyshacl=tmp_path, shapes=tmp_path, cap=5.0)
    notes: list[str] = []
    figures = runner._pyshacl(10, settings, StoppedSpawner(), tmp_path, tmp_path, notes)
    assert figures == {"pyshacl_s": 5.0, "pyshacl_capped": True}
    assert notes == ["pyshacl stopped after 5 s: 5 s recorded (a lower bound); "
                     "not run at larger sizes"]
    later: list[str] = []
    runner._pyshacl(100, settings, StoppedSpawner(), tmp_path, tmp_path, later)
    assert later == ["pyshacl not run: it exceeded 5 s at 10 articles"]


def test_warming_the_page_cache_reads_every_file_of_the_store(tmp_path: Any) -> None:
    (tmp_path / "generations" / "000001").mkdir(parents=True)
    (tmp_path / "generations" / "000001" / "a.sst").write_bytes(b"x" * 3_000_000)
    (tmp_path / "b").write_bytes(b"yz")
    (tmp_path / "current").symlink_to("generations/000001")
    assert runner.warm_page_cache(tmp_path) == 3_000_002


DEFECTS_TARGET = ("validate and pySHACL report the same results at 100 articles with injected "
                  "defects")


@pytest.mark.parametrize(("check", "expected"), [
    pytest.param({"injected": 9, "injected_found": 9, "results": 78, "violations": 9,
                  "pyshacl_results": 78, "only_ours": 0, "only_pyshacl": 0},
                 ("78 results each, 9 of 9 defects found", "met"), id="same"),
    pytest.param({"injected": 9, "injected_found": 9, "results": 78, "violations": 9,
                  "pyshacl_results": 79, "only_ours": 0, "only_pyshacl": 1},
                 ("0 only ours, 1 only pySHACL's", "missed"), id="pyshacl-finds-more"),
    pytest.param({"injected": 9, "injected_found": 8, "results": 77, "violations": 8,
                  "pyshacl_results": 77, "only_ours": 0, "only_pyshacl": 0},
                 ("77 results each, 8 of 9 defects found", "missed"), id="defect-missed"),
    pytest.param(None, ("–", "not measured"), id="not-run"),
])
def test_the_defects_comparison_has_its_own_target(check: dict[str, int] | None,
                                                    expected: tuple[str, str]) -> None:
    document = _document(_run(1), _run(100, defects_check=check), _run(1000))
    assert _target(document, DEFECTS_TARGET) == expected


def test_a_report_s_results_are_read_from_its_turtle(tmp_path: Any) -> None:
    """What the defects comparison compares: one value per sh:result of the report."""
    report = tmp_path / "report.ttl"
    report.write_text("""
@prefix sh: <http://www.w3.org/ns/shacl#> .
[] a sh:ValidationReport ; sh:conforms false ;
  sh:result [ a sh:ValidationResult ; sh:focusNode <urn:a> ; sh:resultSeverity sh:Violation ;
              sh:sourceShape <urn:shape> ;
              sh:sourceConstraintComponent sh:SPARQLConstraintComponent ; sh:resultMessage "m" ] ,
            [ a sh:ValidationResult ; sh:focusNode <urn:b> ; sh:resultSeverity sh:Info ;
              sh:sourceShape <urn:shape> ;
              sh:sourceConstraintComponent sh:SPARQLConstraintComponent ] .
""", encoding="utf-8")
    results = runner.report_results(report)
    assert sorted((r.focus, r.severity.name) for r in results) == [("urn:a", "VIOLATION"),
                                                                  ("urn:b", "INFO")]


def test_a_process_too_short_to_sample_is_not_blamed_on_a_missing_proc() -> None:
    quick = runner.Measured(seconds=0.1, peak_rss_mb=45.0, code=0)
    sampled = runner.Measured(seconds=9.0, peak_rss_mb=300.0, code=0, tree_pss_mb=280.0)
    assert runner._tree_note("validate", [quick]) == (
        "validate: process tree memory not sampled (it ended before the first sample)")
    assert runner._tree_note("validate", [sampled]).startswith(
        "validate: peak PSS of the whole process tree 280 MB")


QUERY_TARGET = "every named query p50 < 100 ms at 10,000 articles"


@pytest.mark.parametrize(("p50", "rows", "figure", "verdict"), [
    ({"q-a": 20.0, "q-b": 150.0}, {"q-a": 3, "q-b": 12_345},
     "slowest 150.0 ms (q-b, 12,345 rows); 1 of 2 under 100 ms", "missed"),
    ({"q-a": 20.0, "q-b": 99.0}, {"q-a": 3, "q-b": 40},
     "slowest 99.0 ms (q-b, 40 rows); 2 of 2 under 100 ms", "met"),
    ({"q-a": 20.0, "q-b": 150.0}, None,  # a run from before rows were recorded
     "slowest 150.0 ms (q-b); 1 of 2 under 100 ms", "missed"),
])
def test_the_query_target_names_the_slowest_its_rows_and_how_many_are_under(
        p50: dict[str, float], rows: dict[str, int] | None, figure: str, verdict: str) -> None:
    document = _document(_run(10000, query_p50_ms=p50, query_rows=rows))
    assert _target(document, QUERY_TARGET) == (figure, verdict)


def test_the_named_query_table_shows_the_rows_each_query_returned() -> None:
    document = _document(_run(1000, query_rows={"q-a": 1234, "q-b": None}),
                         _run(10000, query_rows={"q-a": 12_340, "q-b": 7}))
    lines = runner.markdown(document).splitlines()
    assert "| query | 1000 ours | 1000 rows | 1000 rdflib | 1000 oxigraph | 10000 ours | " \
           "10000 rows | 10000 rdflib | 10000 oxigraph |" in lines
    assert "| q-a | 1.0 | 1,234 | 100.0 | – | 1.0 | 12,340 | 100.0 | – |" in lines
    assert "| q-b | 2.0 | – | 100.0 | – | 2.0 | 7 | 100.0 | – |" in lines


def test_the_query_target_and_table_set_the_rust_cli_beside_ours() -> None:
    document = _document(_run(10000, query_p50_ms={"q-a": 20.0, "q-b": 150.0},
                              query_rows={"q-a": 3, "q-b": 400},
                              oxigraph_query_p50_ms={"q-a": 30.0, "q-b": 140.5}))
    assert _target(document, QUERY_TARGET) == (
        "slowest 150.0 ms (q-b, 400 rows); 1 of 2 under 100 ms; oxigraph query (Rust CLI) on "
        "our store: 1 of 2 under 100 ms, slowest 140 ms", "missed")
    assert "| q-b | 150.0 | 400 | 100.0 | 140.5 |" in runner.markdown(document).splitlines()


def test_each_named_query_is_timed_through_the_rust_cli_with_its_start_apart(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A query that runs past its share is recorded at the share and not run at larger sizes;
    one that fails leaves a note and no figure; the start (``ASK {}``) is measured apart."""
    calls: list[str] = []
    seconds = {"start": 0.01, "fast": 0.05, "slow": None, "broken": 0.02}

    class Spawner:
        def run(self, name: str, argv: Any, **options: Any) -> Any:
            query = name.split("-")[1]
            calls.append(query)
            taken = seconds[query]
            return runner.Measured(seconds=taken if taken is not None else options["timeout"],
                                   peak_rss_mb=10.0, code=2 if query == "broken" else 0,
                                   timed_out=taken is None)

        def tail(self, name: str) -> str:
            return "Error: it broke"

    monkeypatch.setattr(runner, "query_text_file", lambda name, out: out)
    settings = runner.Settings(quick=False, seed=1, cli=tmp_path, oxigraph=tmp_path,
                               pyshacl=tmp_path, shapes=tmp_path, cap=30.0)
    notes: list[str] = []
    figures = runner._oxigraph_queries(10, settings, Spawner(), tmp_path, tmp_path,
                                       ["fast", "slow", "broken"], notes)
    assert figures == {"oxigraph_query_p50_ms": {"fast": 50.0, "slow": 10000.0},
                       "oxigraph_capped_queries": ["slow"], "oxigraph_start_ms": 10.0}
    assert calls.count("fast") == settings.reps and calls.count("slow") == 1
    assert "oxigraph query failed on broken: Error: it broke" in notes
    assert settings.capped_oxigraph == {"slow"}
    calls.clear()
    again = runner._oxigraph_queries(100, settings, Spawner(), tmp_path, tmp_path,
                                     ["fast", "slow"], [])
    assert "slow" not in calls and again["oxigraph_capped_queries"] == ["slow"]


def test_the_query_figures_record_the_rows_each_query_returned(tmp_path: Any,
                                                               monkeypatch: Any) -> None:
    """What the query worker reports as rows reaches latest.json as ``query_rows``."""
    ours = {"sanctions-on-iran": {"p50_ms": 1.5, "rows": 12, "reps": 3},
            "office-holders": {"p50_ms": 250.0, "rows": None, "reps": 0}}
    monkeypatch.setattr(runner, "_our_queries", lambda *args: (ours, ["office-holders"], None))

    class Spawner:
        def run(self, name: str, argv: Any, **options: Any) -> Any:
            return runner.Measured(seconds=0.1, peak_rss_mb=10.0, code=0)

    settings = runner.Settings(quick=True, seed=1, cli=tmp_path, oxigraph=tmp_path,
                               pyshacl=tmp_path, shapes=tmp_path, capped={"rdflib": 1})
    figures = runner._queries(10, settings, Spawner(), tmp_path, tmp_path, tmp_path, tmp_path, [])
    assert figures["query_p50_ms"] == {"office-holders": 250.0, "sanctions-on-iran": 1.5}
    assert figures["query_rows"] == {"office-holders": None, "sanctions-on-iran": 12}


def test_the_package_is_compiled_before_its_start_is_timed() -> None:
    """A module whose bytecode is missing or older than its source has it written again."""
    import importlib.util
    import os
    from pathlib import Path

    import sanctions_kg.severity as module

    source = Path(module.__file__)
    compiled = Path(importlib.util.cache_from_source(str(source)))
    compiled.unlink(missing_ok=True)
    runner.compile_package()
    assert compiled.is_file()
    written = compiled.stat().st_mtime
    os.utime(source)  # the source edited since: the bytecode is stale
    runner.compile_package()
    assert compiled.stat().st_mtime >= source.stat().st_mtime >= written
