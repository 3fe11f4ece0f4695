"""Documentation stays true: every command has help and an example, and the README's command
reference lists every command and option."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, REPO, Built, run_cli
from sanctions_kg.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(
    (command.name or command.callback.__name__ if command.callback else "", command)
    for command in app.registered_commands
)


def readme_section(name: str) -> str:
    """The README text under '### sanctions-kg <name>', up to the next heading."""
    match = re.search(rf"^### sanctions-kg {re.escape(name)}\n(.*?)(?=^##)", README,
                      re.MULTILINE | re.DOTALL)
    assert match, f"README has no '### sanctions-kg {name}' section"
    return match.group(1)


def test_expected_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"build", "validate", "query", "queries", "push", "export", "stats",
            "describe"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_and_example(name: str, command: object) -> None:
    doc = command.callback.__doc__ or ""
    assert doc.strip(), f"{name} has no help text"
    assert "Example:" in doc, f"{name}'s docstring has no 'Example:' line"


def test_usage_lines_show_arguments_as_the_readme_writes_them() -> None:
    # typer writes a required argument as {ENTITY}; the README, like click, as ENTITY
    usage = "Usage: sanctions-kg describe [OPTIONS] ENTITY"
    assert run_cli("describe", "--help").stdout.splitlines()[0] == usage
    assert run_cli("describe").stderr.splitlines()[0] == usage
    for name, _ in COMMANDS:
        first = run_cli(name, "--help").stdout.splitlines()[0]
        assert first.startswith(f"Usage: sanctions-kg {name} ") and "{" not in first, first


def test_readme_documents_every_option() -> None:
    import typer

    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    assert commands
    for name, command in commands.items():
        section = readme_section(name)
        assert f"sanctions-kg {name}" in section, f"no example of `sanctions-kg {name}`"
        for parameter in command.params:
            flags = [*parameter.opts, *parameter.secondary_opts]
            if not any(flag.startswith("--") for flag in flags) or "--help" in flags:
                continue
            assert any(flag in section for flag in flags), (
                f"README section of {name} does not mention {flags}"
            )


def test_readme_quickstart_is_two_make_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quickstart, re.MULTILINE)
    assert commands == ["make demo", "make test"]


#: What the README's "What to know when writing your own queries" says of the seed graph, as
#: queries and the answers it gives.
QUERYING_NOTES = [
    ("SELECT (COUNT(*) AS ?n) WHERE { ?x a/rdfs:subClassOf* skg:Fact }", "58"),  # 38 + 20
    ("SELECT (COUNT(*) AS ?n) WHERE { ?x a/rdfs:subClassOf* skg:Fact "
     "FILTER NOT EXISTS { ?x a skg:Claim } }", "38"),
    ('SELECT (COUNT(*) AS ?n) WHERE { FILTER("2018"^^xsd:gYear <= "2022-09-15"^^xsd:date) }',
     "0"),  # an error, not true
    ("SELECT (COUNT(*) AS ?n) WHERE { ?c skg:quote ?q ; "
     "prov:wasDerivedFrom/oa:hasSelector/oa:exact ?q }", "0"),
    ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c skg:quote ?q ; "
     "prov:wasDerivedFrom/oa:hasSelector/oa:exact ?e FILTER(STR(?q) = ?e) }", "20"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?c skg:hasContent/rdf:object ?o "
     "FILTER NOT EXISTS { ?o a/rdfs:subClassOf* skg:Agent } }", "14"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s skg:earliestBound ?o }", "0"),
    ("SELECT (COUNT(*) AS ?n) WHERE { <https://w3id.org/sanctions-kg/id/article/"
     "raisi-putin-samarkand-2022/curation/date-published> a skg:CuratedStatement }", "1"),
]


@pytest.mark.parametrize(("query", "answer"), QUERYING_NOTES)
def test_what_the_readme_says_about_writing_queries_holds(
        seed_build: Built, query: str, answer: str) -> None:
    assert "FILTER NOT EXISTS { ?x a skg:Claim }" in README
    assert "STR(?quote) = ?exact" in README
    done = run_cli("query", query, "--store", seed_build.store, "--format", "csv")
    assert (done.code, done.stdout.split()) == (0, ["n", answer])


def test_the_library_example_runs_as_written(tmp_path: Path) -> None:
    """The README's library example, run from a folder holding a copy of data/."""
    section = README[README.index("## Using the library"):]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "example.py").write_text(match.group(1), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "SANCTIONS_KG_STORE"}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "1 article(s)"
    # the info results are hints (facts the article gives only in a speaker's words)
    assert re.fullmatch(r"\d+ triples; validation passed: 0 violations, 0 warnings, \d+ info",
                        lines[1])
    assert any("'basis': 'claim by Ebrahim Raisi'" in line for line in lines)
    assert lines[-2] == "True"
    assert re.fullmatch(r"validation passed: 0 violations, 0 warnings, \d+ info True", lines[-1])
    assert (tmp_path / "build" / "sanctions-kg.trig").is_file()
    typed = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                            "example.py"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=300, check=False)
    assert typed.returncode == 0, typed.stdout


def test_the_library_takes_paths_as_strings_and_reports_a_missing_folder(
        tmp_path: Path) -> None:
    import sanctions_kg as skg

    with pytest.raises(skg.InputError, match="data folder not found"):
        skg.load_corpus(str(tmp_path / "nope"))
    with pytest.raises(skg.StoreError, match="no store at"):
        skg.open_read(str(tmp_path / "nope"))
    options = skg.BuildOptions(data_dir="data", out_dir="out", store_dir="store")  # type: ignore[arg-type]
    assert (options.data_dir, options.out_dir, options.store_dir) == (
        Path("data"), Path("out"), Path("store"))
    with pytest.raises(skg.InputError, match=r"nope\.trig"):
        skg.validate_files(str(tmp_path / "nope.trig"))  # one path, not its letters


def test_run_named_takes_a_store_folder_or_an_open_store_and_refuses_what_it_cannot_run(
        seed_build: Built) -> None:
    import pyoxigraph as ox

    import sanctions_kg as skg

    by_folder = skg.run_named("sanctions-on-iran", seed_build.store, state="russia")
    rows = [[term.value if term is not None else None for term in row] for row in by_folder]
    store = skg.open_read(seed_build.store)
    again = skg.run_named("sanctions-on-iran", store, state="russia")
    assert isinstance(store, ox.Store) and rows
    assert [[t.value if t is not None else None for t in row] for row in again] == rows
    with pytest.raises(skg.UsageError, match="no-such-query"):
        skg.run_named("no-such-query", store)
    with pytest.raises(skg.UsageError, match="stat"):
        skg.run_named("sanctions-on-iran", store, stat="iran")
    numbers = skg.run_named("sanctions-on-iran", store, state=3)  # written as --param state=3
    assert list(numbers) == []


def test_the_readme_s_build_and_push_figures_are_the_seed_s(seed_build: Built) -> None:
    """The build summary and the push table the README shows count the seed's triples."""
    graphs: dict[str, int] = {}
    for line in (seed_build.out / "sanctions-kg.nq").read_text(encoding="utf-8").splitlines():
        graph = line.rsplit(" ", 2)[-2].strip("<>")
        graphs[graph] = graphs.get(graph, 0) + 1
    total = sum(graphs.values())
    assert f"claims, {total} triples in" in README
    for graph, count in graphs.items():
        assert re.search(rf"^ +{count}  {re.escape(graph)}$", README, re.MULTILINE), graph
        assert re.search(rf"^ +{count} +{count}  {re.escape(graph)}$", README, re.MULTILINE)
    assert re.search(rf"^ +{total} +{total}  total$", README, re.MULTILINE)


def test_no_name_the_package_exports_is_also_one_of_its_modules() -> None:
    """Importing a submodule binds it as the package's attribute of that name: an exported
    function named like its module (``build`` in ``build.py``) became the module as soon as
    anything imported it, and ``skg.build(options)`` raised 'module is not callable'."""
    import pkgutil

    import sanctions_kg as skg

    modules = {module.name for module in pkgutil.iter_modules(skg.__path__)}
    assert modules and not modules & set(skg.__all__)
    import sanctions_kg.builder  # what the CLI imports

    assert callable(skg.build) and skg.build.__module__ == "sanctions_kg.builder"
