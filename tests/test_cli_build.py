"""The ``build`` command: summary, determinism, atomic replacement, store handling."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import DATA, REPO, SEED_ID, Built, run_cli

FILES = ("sanctions-kg.trig", "sanctions-kg.nq", "sanctions-kg.ttl", "sanctions-kg.sourcemap.json")


def test_build_prints_a_summary(tmp_path: Path) -> None:
    result = run_cli("build", "--no-validate", "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(r"Built 1 article from data: \d+ entities, \d+ facts, \d+ claims, "
                        r"\d+ triples in [\d.]+ s", first)
    assert f"https://w3id.org/sanctions-kg/graph/article/{SEED_ID}" in result.stdout
    for name in FILES:
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert result.stdout.splitlines()[-1] == ("Not validated (--no-validate); check the store with "
                                              "`sanctions-kg validate`")
    graphs = [line.split()[1] for line in result.stdout.splitlines()
              if re.fullmatch(r"\s+\d+\s+https://\S+", line)]
    stats = run_cli("stats", "--store", tmp_path / "store", "--format", "json")
    listed = [item["graph"] for item in json.loads(stats.stdout)["graphs"]]
    assert graphs == listed == sorted(listed)  # the same order as `stats`


def test_a_validated_build_says_so(tmp_path: Path) -> None:
    result = run_cli("build", "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    assert re.fullmatch(r"Validation passed: 0 violations, \d+ warnings?, \d+ info",
                        result.stdout.splitlines()[-1])


def test_two_builds_give_identical_bytes(tmp_path: Path, seed_build: Built) -> None:
    result = run_cli("build", "--no-validate", "--data", DATA, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    for name in FILES:
        assert (tmp_path / "out" / name).read_bytes() == (seed_build.out / name).read_bytes()


def test_rebuild_switches_the_store_and_keeps_one_previous(tmp_path: Path) -> None:
    args = ("build", "--no-validate", "--out", tmp_path / "out", "--store", tmp_path / "store")
    for _ in range(3):
        assert run_cli(*args).code == 0
    store = tmp_path / "store"
    assert os.readlink(store / "current") == "generations/000003"
    assert sorted(p.name for p in (store / "generations").iterdir()) == ["000002", "000003"]


def test_store_from_environment(tmp_path: Path) -> None:
    store = tmp_path / "env-store"
    result = run_cli("build", "--no-validate", "--out", tmp_path / "out",
                     env={"SANCTIONS_KG_STORE": str(store)})
    assert result.code == 0, result.stderr
    assert (store / "current").is_symlink()


def test_an_empty_store_variable_counts_as_unset(tmp_path: Path) -> None:
    result = run_cli("stats", env={"SANCTIONS_KG_STORE": ""}, cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == ("error: no store at .sanctions-kg/store; run `sanctions-kg build` "
                             "first\n")


def test_default_paths_are_relative_to_the_working_folder(tmp_path: Path) -> None:
    result = run_cli("build", "--no-validate", cwd=tmp_path)
    assert result.code == 0, result.stderr
    # no ./data here: the bundled corpus, named where it is
    assert result.stdout.startswith(f"Built 1 article from {DATA.resolve()}: ")
    assert (tmp_path / "build" / "sanctions-kg.trig").is_file()
    assert (tmp_path / ".sanctions-kg" / "store" / "current").is_symlink()


def test_without_data_a_corpus_in_the_working_folder_is_built(tmp_path: Path) -> None:
    """A user who edits ./data and builds without --data gets ./data built, not the bundled
    corpus; the summary names the folder."""
    shutil.copytree(DATA, tmp_path / "data")
    facts = tmp_path / "data" / "facts" / f"{SEED_ID}.yaml"
    facts.write_text(facts.read_text().replace("  language: en\n", "  language: xx-1\n"))
    result = run_cli("build", "--no-validate", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: data/facts/{SEED_ID}.yaml:9:13: 'language' must be")
    assert not (tmp_path / "build").exists()
    facts.write_text(facts.read_text().replace("  language: xx-1\n", "  language: en\n"))
    result = run_cli("build", "--no-validate", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Built 1 article from data: ")
    # a misnamed facts/ folder is said, not replaced by the bundled corpus
    (tmp_path / "data" / "facts").rename(tmp_path / "data" / "fact")
    result = run_cli("build", "--no-validate", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: data/facts")


def test_refuses_to_replace_an_output_folder_that_holds_the_data_or_other_files(
        tmp_path: Path) -> None:
    """The build swaps in a new --out folder whole: a data folder put inside an earlier build's
    output (or a report, or notes) would be deleted with it."""
    out, store = tmp_path / "proj", tmp_path / "store"
    assert run_cli("build", "--no-validate", "--out", out, "--store", store).code == 0
    shutil.copytree(DATA, out / "data")
    (out / "NOTES.md").write_text("mine")
    (out / "sanctions-kg.old-format.ttl").write_text("an earlier version's file")
    before = sorted(path.name for path in out.iterdir())
    current = (store / "current").readlink()
    result = run_cli("build", "--no-validate", "--data", out / "data", "--out", out,
                     "--store", store)
    assert (result.code, result.stderr) == (2, (
        f"error: {out}: holds NOTES.md, data/ besides the files of the last build, and the "
        "build replaces the whole folder; move them out, or choose another --out\n"))
    assert sorted(path.name for path in out.iterdir()) == before
    assert (out / "NOTES.md").read_text() == "mine"
    assert (store / "current").readlink() == current
    shutil.copytree(out / "data", out / "sanctions-kg.data")  # named like a build file
    result = run_cli("build", "--no-validate", "--data", out / "sanctions-kg.data", "--out",
                     out, "--store", store)
    assert (result.code, result.stderr) == (2, (
        f"error: {out}: holds NOTES.md, data/, sanctions-kg.data/ besides the files of the last "
        "build, and the build replaces the whole folder; move them out, or choose another "
        "--out\n"))
    shutil.rmtree(out / "sanctions-kg.data")
    many = [out / f"report-{n}.xml" for n in range(4)]
    for path in many:
        path.write_text("<testsuites/>")
    shutil.rmtree(out / "data")
    result = run_cli("build", "--no-validate", "--out", out, "--store", store)
    assert result.stderr.startswith(
        f"error: {out}: holds NOTES.md, report-0.xml, report-1.xml and 2 more besides")
    for path in [*many, out / "NOTES.md"]:
        path.unlink()
    assert run_cli("build", "--no-validate", "--out", out, "--store", store).code == 0


def test_refuses_to_replace_a_foreign_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run_cli("build", "--no-validate", "--out", out, "--store", tmp_path / "store")
    assert result.code == 2
    assert result.stderr == (
        f"error: {out}: folder is not empty and was not written by sanctions-kg build; "
        "choose an empty or new --out folder\n"
    )
    assert (out / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "store").exists()


def test_refuses_a_foreign_store_folder(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "data.bin").write_bytes(b"x")
    result = run_cli("build", "--no-validate", "--out", tmp_path / "out", "--store", store)
    assert result.code == 2
    assert result.stderr == (
        f"error: {store}: folder is not empty and is not a sanctions-kg store; "
        "choose another --store\n"
    )


def broken_data(data: Path) -> Path:
    """The data folder with a YAML syntax error in the seed's facts file."""
    facts = data / "facts" / f"{SEED_ID}.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "    party: [iran, russia]\n", "    party: [iran, russia\n", 1), encoding="utf-8")
    return data


def test_a_failed_build_leaves_no_trace_of_the_store_folder_it_created(
        tmp_path: Path, data_copy: Path) -> None:
    store = tmp_path / "new" / "store"  # its parent is new too
    result = run_cli("build", "--data", broken_data(data_copy), "--out", tmp_path / "out",
                     "--store", store)
    assert result.code == 2
    assert "YAML syntax error" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    stats = run_cli("stats", "--store", store)
    assert (stats.code, stats.stderr) == (
        2, f"error: no store at {store}; run `sanctions-kg build` first\n")


def test_a_failed_build_removes_new_folders_on_a_path_with_a_parent_step(
        tmp_path: Path, data_copy: Path) -> None:
    store = tmp_path / "new" / ".." / "store"  # "new" is made only to be stepped out of
    data = broken_data(data_copy)
    before = run_cli("build", "--data", data, "--out", tmp_path / "out", "--store",
                     tmp_path / "store")  # the same data, on a plain new path
    result = run_cli("build", "--data", data, "--out", tmp_path / "out", "--store", store)
    assert result.code == 2
    assert "YAML syntax error" in result.stderr and result.stderr == before.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_dangling_link_as_the_store_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "store").symlink_to(tmp_path / "gone")
    result = run_cli("build", "--out", tmp_path / "out", "--store", tmp_path / "store")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {tmp_path / 'store'}: is a symbolic link to {tmp_path / 'gone'}, which does "
        "not exist; create that folder or choose another --store\n"
    )
    assert not (tmp_path / "gone").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("out", "store"), [("same", "same"), ("out", "out/store"),
                                           ("store/out", "store")])
def test_an_out_and_a_store_one_inside_the_other_are_refused_before_writing(
        tmp_path: Path, out: str, store: str) -> None:
    result = run_cli("build", "--out", out, "--store", store, "--data", DATA,
                     cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (f"error: --out {out} and --store {store} overlap; give them "
                             "separate folders (neither inside the other)\n")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_keeps_a_store_folder_that_existed(tmp_path: Path,
                                                          data_copy: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    result = run_cli("build", "--data", broken_data(data_copy), "--out", tmp_path / "out",
                     "--store", store)
    assert result.code == 2
    assert store.is_dir()


def test_a_failed_build_keeps_the_store_it_did_not_create(tmp_path: Path,
                                                           data_copy: Path) -> None:
    args = ("--out", tmp_path / "out", "--store", tmp_path / "store")
    assert run_cli("build", "--no-validate", *args).code == 0
    before = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "store").rglob("*"))
    assert run_cli("build", "--data", broken_data(data_copy), *args).code == 2
    after = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "store").rglob("*"))
    assert after == before
    assert run_cli("stats", "--store", tmp_path / "store").code == 0


def test_a_writer_that_commits_nothing_removes_the_store_folder_it_created(
        tmp_path: Path) -> None:
    """Also without an exception: only a committed generation keeps a new store folder."""
    from sanctions_kg.store import StoreWriter

    writer = StoreWriter(tmp_path / "a" / "b" / "store")
    with writer.locked():
        writer.abort(writer.begin())
        assert (tmp_path / "a" / "b" / "store" / ".lock").exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_data_folder(tmp_path: Path) -> None:
    result = run_cli("build", "--data", tmp_path / "nope", "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'nope'}: data folder not found; pass --data with a folder "
        "holding articles/, facts/ and reference/\n"
    )


def test_a_data_folder_without_facts_files(tmp_path: Path, data_copy: Path) -> None:
    for facts in (data_copy / "facts").iterdir():
        facts.unlink()
    result = run_cli("build", "--data", data_copy, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 2
    assert result.stderr == (
        f"error: {data_copy / 'facts'}: no facts files (*.yaml, *.yml) found; add one per article\n"
    )


def test_a_problem_met_all_over_the_corpus_is_listed_at_three_places_and_counted(
        tmp_path: Path, data_copy: Path) -> None:
    persons = data_copy / "reference" / "persons.yaml"
    persons.write_text(persons.read_text().replace("  - id: ebrahim-raisi\n",
                                                   "  - id: raisi-ebrahim\n"))
    facts = next((data_copy / "facts").iterdir())
    lines = facts.read_text().splitlines()
    used = [number for number, line in enumerate(lines, 1)
            if re.search(r"(?<![\w-])ebrahim-raisi(?![\w-])", line)
            and not line.lstrip().startswith("#")]
    result = run_cli("build", "--data", data_copy, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 2
    message = ("unknown id 'ebrahim-raisi'; define it in this file, in data/reference, or as a "
               "concept of the ontology")
    shown = result.stderr.splitlines()
    assert len(used) > 5
    assert [line.split(":")[2] for line in shown] == [str(number) for number in used[:4]]
    assert all(line.startswith(f"error: {facts}:") and message in line for line in shown)
    last = re.escape(f"{facts}:{used[-1]}:")
    assert re.search(rf" \(and {len(used) - 4} more places with the same problem, the last at "
                     rf"{last}\d+\)$", shown[-1]), shown[-1]
    assert not (tmp_path / "out").exists() and not (tmp_path / "store").exists()


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = run_cli("build", "--no-such-option")
    assert result.code == 2
    assert "No such option" in result.stderr


def test_build_prints_warnings_but_does_not_stop(tmp_path: Path, data_copy: Path) -> None:
    facts = data_copy / "facts" / f"{SEED_ID}.yaml"
    text = facts.read_text(encoding="utf-8")
    meeting = "    participant: [ebrahim-raisi, vladimir-putin]\n"
    assert meeting in text
    facts.write_text(text.replace(meeting, "    participant: [ebrahim-raisi]\n", 1),
                     encoding="utf-8")
    result = run_cli("build", "--data", data_copy, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    assert "Warning" in result.stderr or "warning" in result.stderr
    assert "raisi-putin-meeting" in result.stderr
    assert (tmp_path / "out" / "sanctions-kg.trig").is_file()


def test_the_store_is_loaded_in_chunks_and_holds_every_quad(
        tmp_path: Path, seed_build: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole lines go in, chunks of them are loaded: no quad is lost or loaded twice."""
    import pyoxigraph as ox

    from sanctions_kg import store

    monkeypatch.setattr(store, "LOAD_CHUNK_BYTES", 4099)  # hundreds of chunks
    writer = store.StoreWriter(tmp_path / "store")
    nquads = seed_build.out / "sanctions-kg.nq"
    with writer.locked():
        loader = writer.loader(writer.begin())
        for line in nquads.read_bytes().splitlines(keepends=True):
            loader.add(line)
        database = loader.finish()
        assert loader.chunks > 100
        loaded = set(database.quads_for_pattern(None, None, None, None))
    whole = ox.Store()  # one bulk load, for comparison (the store normalises some datatypes)
    whole.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    expected = set(whole.quads_for_pattern(None, None, None, None))
    assert len(expected) > 1000
    assert loaded == expected
    assert len(database) == len(expected)


def test_the_loader_raises_a_failed_chunk_after_draining_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk the store refuses is reported by finish, in the caller's thread; the chunks queued
    behind it do not block the producer."""
    from sanctions_kg import store

    monkeypatch.setattr(store, "LOAD_CHUNK_BYTES", 10)
    writer = store.StoreWriter(tmp_path / "store")
    with writer.locked():
        loader = writer.loader(writer.begin())
        loader.add(b"<http://e/s> <http://e/p> <http://e/o> <http://e/g> .\n")
        loader.add(b"this is not N-Quads\n")
        for number in range(20):
            loader.add(b"<http://e/s> <http://e/p> \"%d\" <http://e/g> .\n" % number)
        with pytest.raises(SyntaxError):
            loader.finish()
    assert loader.chunks == 22


def test_an_abandoned_loader_stops_its_thread(tmp_path: Path) -> None:
    from sanctions_kg import store

    writer = store.StoreWriter(tmp_path / "store")
    with writer.locked():
        pending = writer.begin()
        loader = writer.loader(pending)
        loader.add(b"<http://e/s> <http://e/p> <http://e/o> <http://e/g> .\n")
        loader.abandon()
        writer.abort(pending)
    assert not loader._thread.is_alive()
    assert not pending.path.exists()


def test_the_sourcemap_is_written_as_json_with_one_node_per_line(tmp_path: Path) -> None:
    """The layout ``json.dumps(indent=1)`` gives, with paths relative to the data folder where
    they are inside it, and non-ASCII text kept."""
    import json

    from sanctions_kg.errors import Location
    from sanctions_kg.store import load_sourcemap, write_sourcemap

    data = tmp_path / "data"
    nodes = {
        "https://example.org/b": Location(data / "facts" / "a.yaml", 7),
        "https://example.org/é": Location(tmp_path / "elsewhere" / "ü.yaml", 3),
        "https://example.org/a": Location(data / "facts" / "a.yaml", 2),
    }
    path = tmp_path / "map.json"
    write_sourcemap(path, data, nodes)
    expected = {"data": str(data), "nodes": {
        "https://example.org/a": "facts/a.yaml:2",
        "https://example.org/b": "facts/a.yaml:7",
        "https://example.org/é": f"{(tmp_path / 'elsewhere' / 'ü.yaml').as_posix()}:3",
    }}
    assert path.read_text(encoding="utf-8") == json.dumps(
        expected, indent=1, ensure_ascii=False) + "\n"
    assert load_sourcemap(path) == {iri: Location(loc.file, loc.line) for iri, loc in nodes.items()}
    write_sourcemap(path, data, {})
    assert path.read_text(encoding="utf-8") == json.dumps(
        {"data": str(data), "nodes": {}}, indent=1) + "\n"


def test_the_loading_thread_starts_with_the_first_chunk(tmp_path: Path) -> None:
    """No thread runs while the build forks its worker processes, which happens before the
    first chunk is full."""
    from sanctions_kg import store

    writer = store.StoreWriter(tmp_path / "store")
    with writer.locked():
        loader = writer.loader(writer.begin())
        loader.add(b"<http://e/s> <http://e/p> <http://e/o> <http://e/g> .\n")
        assert loader._thread.ident is None
        database = loader.finish()
    assert loader.chunks == 1
    assert len(database) == 1


def test_the_bundled_corpus_is_named_as_seen_from_the_working_folder(tmp_path: Path) -> None:
    """A build of the bundled corpus in two checkouts gives the same bytes: the source map does
    not hold the checkout's absolute path."""
    import json

    result = run_cli("build", "--no-validate", "--out", tmp_path / "out", "--store",
                     tmp_path / "store", cwd=REPO)
    assert result.code == 0, result.stderr
    sourcemap = json.loads((tmp_path / "out" / "sanctions-kg.sourcemap.json").read_text())
    assert sourcemap["data"] == "data"


def test_build_counts_its_info_results_and_shows_warnings_in_full(
        tmp_path: Path, data_copy: Path) -> None:
    """Hints (one per reference entity without a Wikidata link) would flood a large build."""
    organisations = data_copy / "reference" / "organisations.yaml"
    text = organisations.read_text(encoding="utf-8")
    link = '    sameAs: ["http://www.wikidata.org/entity/Q485207"]\n'
    assert link in text
    organisations.write_text(text.replace(link, "", 1), encoding="utf-8")
    # and a warning: the publication date without a note on where it comes from
    facts = data_copy / "facts" / f"{SEED_ID}.yaml"
    lines = facts.read_text(encoding="utf-8").splitlines(keepends=True)
    (note,) = [n for n, line in enumerate(lines) if line.startswith('    note: "The text carries')]
    facts.write_text("".join(lines[:note] + lines[note + 1:]), encoding="utf-8")
    result = run_cli("build", "--data", data_copy, "--out", tmp_path / "out",
                     "--store", tmp_path / "store")
    assert result.code == 0, result.stderr
    warning, hints = result.stderr.split("\n\n")
    assert warning.startswith("Warning  skg-sh:CuratedStatementShape-note\n")
    assert warning.endswith(f"  source   {data_copy}/facts/{SEED_ID}.yaml:10")
    # no counts of its own beside the verdict's: they would leave the hints out
    counted = re.fullmatch(r"(\d+) info results \(hints\) not shown; `sanctions-kg validate` "
                           r"lists them\n", hints)
    assert counted, hints
    assert result.stdout.splitlines()[-1] == (
        f"Validation passed: 0 violations, 1 warning, {counted[1]} info")
    shown = run_cli("validate", "--store", tmp_path / "store")
    assert "InternationalOrganisationShape" in shown.stdout


@pytest.mark.parametrize(("limit", "fails"), [(20_000, "store"), (100_000, "out")])
def test_a_full_disk_is_an_input_error_with_what_to_do_not_a_bug(
        tmp_path: Path, limit: int, fails: str) -> None:
    """The file system refusing the build's writes (here a file size limit: EFBIG, as a full
    disk gives ENOSPC; RocksDB's files fail under the lower one, the build's own files under
    the higher) is exit 2 with one line naming the folder, not 'internal error' (exit 3); the
    previous output and store stay as they were, and nothing is left beside them."""
    import resource
    import signal
    import subprocess

    from conftest import CLI

    out, store = tmp_path / "out", tmp_path / "store"
    assert run_cli("build", "--no-validate", "--out", out, "--store", store).code == 0
    before = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    files = {path.name: path.read_bytes() for path in out.iterdir()}

    def limited() -> None:  # in the child: a write past the limit fails instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([str(CLI), "build", "--no-validate", "--out", str(out),
                           "--store", str(store)], preexec_fn=limited, capture_output=True,
                          text=True, timeout=120, check=False)
    folder, what = (out, "the build's files") if fails == "out" else (store, "the store")
    assert (done.returncode, done.stderr) == (2, (
        f"error: {folder}: cannot write {what} (File too large); free space, or choose "
        f"another --{fails}\n"))
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")) == before
    assert {path.name: path.read_bytes() for path in out.iterdir()} == files


def test_an_out_folder_given_as_a_link_is_written_through_the_link(tmp_path: Path) -> None:
    """The build replaced the link itself with a folder, and left a link named like a staging
    folder (``.linkout.tmp-<pid>``) beside it on every build; the folder the link leads to is
    now the one replaced, and the link stays."""
    real, link = tmp_path / "real", tmp_path / "linkout"
    real.mkdir()
    link.symlink_to("real")
    for _ in range(2):
        assert run_cli("build", "--no-validate", "--out", link, "--store", tmp_path / "store",
                       cwd=tmp_path).code == 0
    assert link.is_symlink() and os.readlink(link) == "real"
    assert (real / "sanctions-kg.trig").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["linkout", "real", "store"]
    (tmp_path / "dangling").symlink_to("nowhere")
    result = run_cli("build", "--no-validate", "--out", "dangling", "--store", "store",
                     cwd=tmp_path)
    assert (result.code, result.stderr) == (2, (
        "error: dangling: is a symbolic link to nowhere, which does not exist; create "
        "that folder or choose another --out\n"))


@pytest.mark.parametrize("out", [".", "./", "..", "sub/.."])
def test_the_working_folder_is_not_an_out_folder(tmp_path: Path, out: str) -> None:
    """``--out .`` crashed (``PosixPath('.') has an empty name``, exit 3); replacing the
    working folder whole would leave the shell in a deleted folder, so it is refused."""
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    result = run_cli("build", "--no-validate", "--out", out, "--store", tmp_path / "store",
                     cwd=work)
    shown = str(Path(out))
    assert (result.code, result.stderr) == (2, (
        f"error: --out {shown}: is the working folder or holds it, and the build replaces --out "
        "whole; give a folder of its own, such as build\n"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["work"]


def test_links_in_a_loop_are_named_not_a_crash(tmp_path: Path) -> None:
    """Path.resolve raises RuntimeError on a loop of links (exit 3 before), for --out and for
    an article's text path."""
    (tmp_path / "loop").symlink_to("loop")
    result = run_cli("build", "--no-validate", "--out", "loop", "--store", "store",
                     cwd=tmp_path)
    assert (result.code, result.stderr) == (
        2, "error: loop: is a symbolic link in a loop of links; choose another --out\n")
    from test_facts import MINI, make_data

    data = make_data(tmp_path, MINI.replace("text: articles/mini.txt", "text: articles/loop"))
    (data / "articles" / "loop").symlink_to("loop")
    result = run_cli("build", "--no-validate", "--data", data, "--out", "out",
                     "--store", "store", cwd=tmp_path)
    assert (result.code, result.stderr) == (2, (
        f"error: {data}/facts/mini.yaml:3:9: text path 'articles/loop' is a loop of symbolic "
        "links; give the article's text file\n"))
