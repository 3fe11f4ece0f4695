"""``sanctions-kg push`` against a real Oxigraph server, and against a fake that wants credentials.

Every run goes through the installed console script, so exit codes and messages are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SEED_FACTS, Built, FakeStore, _free_port, run_cli, store_of
from sanctions_kg.remote import push as push_library
from sanctions_kg.remote import sparql_query
from sanctions_kg.store import open_read

SECRET = "s3cret-Pa55"
TOKEN = "tok3n-abc.DEF_123"
REMOVED_CLAIM = "logvinov-accession-may-take-time"


def local_counts(store: Path) -> dict[str, int]:
    database = open_read(store)
    return {g.value: sum(1 for _ in database.quads_for_pattern(None, None, None, g))
            for g in database.named_graphs()}


def local_triples(store: Path, graph: str) -> set[str]:
    import pyoxigraph as ox

    dump = open_read(store).dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    return set((dump or b"").decode().splitlines())


def server_counts(base: str) -> dict[str, int]:
    body = sparql_query(f"{base}/query",
                        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                        accept="application/sparql-results+json")
    rows = json.loads(body)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def server_triples(base: str, graph: str) -> set[str]:
    body = sparql_query(f"{base}/query", f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> "
                        "{ ?s ?p ?o } }", accept="application/n-triples")
    return set(body.decode().splitlines())


def push(store: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = run_cli("push", "--store", store, *args, env=env)
    return result.code, result.stdout, result.stderr


def test_push_loads_every_graph_and_prints_the_counts(oxigraph_server: str,
                                                      seed_build: Built) -> None:
    code, out, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store",
                          "--endpoint", f"{oxigraph_server}/query")
    assert code == 0, err
    local = local_counts(seed_build.store)
    assert server_counts(oxigraph_server) == local
    lines = out.splitlines()
    assert lines[0].startswith(f"Pushed 3 graphs to {oxigraph_server}/store in ")
    assert lines[0].endswith(f" s; counts checked with SPARQL at {oxigraph_server}/query:")
    assert lines[1:] == [
        f"  {'local':>9} {'remote':>9}  graph",
        *(f"  {n:>9} {n:>9}  {graph}" for graph, n in sorted(local.items())),
        f"  {sum(local.values()):>9} {sum(local.values()):>9}  total",
    ]
    assert err.splitlines() == [f"pushed {number}/3 <{graph}>"
                                for number, graph in enumerate(sorted(local), start=1)]


def test_pushing_twice_doubles_nothing(oxigraph_server: str, seed_build: Built) -> None:
    push_library(seed_build.store, graph_store=f"{oxigraph_server}/store")
    code, _out, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store")
    assert code == 0, err
    assert server_counts(oxigraph_server) == local_counts(seed_build.store)
    union = json.loads(sparql_query(f"{oxigraph_server}/query",
                                    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                                    accept="application/sparql-results+json"))
    assert int(union["results"]["bindings"][0]["n"]["value"]) == sum(
        local_counts(seed_build.store).values())


def test_a_changed_dataset_replaces_the_graphs(oxigraph_server: str, seed_build: Built,
                                               data_copy: Path, tmp_path: Path) -> None:
    facts = data_copy / "facts" / SEED_FACTS.name
    text = facts.read_text(encoding="utf-8")
    start = text.index(f"  - id: {REMOVED_CLAIM}\n")
    end = text.find("\n  - id: ", start)  # the claim is removed up to the next item, if any
    facts.write_text(text[:start] + (text[end + 1 :] if end >= 0 else ""), encoding="utf-8")
    changed = tmp_path / "changed-store"
    built = run_cli("build", "--no-validate", "--data", data_copy, "--out", tmp_path / "out",
                    "--store", changed)
    assert built.code == 0, built.stderr
    assert local_counts(changed) != local_counts(seed_build.store)

    push_library(seed_build.store, graph_store=f"{oxigraph_server}/store")
    code, _out, err = push(changed, "--graph-store", f"{oxigraph_server}/store",
                           "--endpoint", f"{oxigraph_server}/query")
    assert code == 0, err

    assert server_counts(oxigraph_server) == local_counts(changed)
    for graph in local_counts(changed):
        assert server_triples(oxigraph_server, graph) == local_triples(changed, graph)
    leftover = json.loads(sparql_query(
        f"{oxigraph_server}/query",
        f'ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(CONTAINS(STR(?s), "{REMOVED_CLAIM}")) }}',
        accept="application/sparql-results+json"))
    assert leftover["boolean"] is False


def test_a_url_the_server_takes_for_one_graph_is_reported(oxigraph_server: str,
                                                           seed_build: Built) -> None:
    """Oxigraph takes /store/ (with a slash) for a graph of its own and ignores ?graph=: every
    upload replaced the one before and read back right, and the push passed with exit 0."""
    code, out, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store/")
    local = local_counts(seed_build.store)
    first = sorted(local)[0]
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        f"error: graph <{first}> on {oxigraph_server}/store/ no longer holds what was uploaded to "
        "it once the last graph was up: the server keeps every upload in one graph, ignoring "
        "?graph=; check that --graph-store is the Graph Store URL itself (Oxigraph: "
        'http://host:7878/store; "Loading into triplestores" in the README lists others)')
    # with --endpoint, the first graph is not found where it was sent
    code, _, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store/",
                        "--endpoint", f"{oxigraph_server}/query")
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: graph <{first}> is not on the server after its upload to "
        f"{oxigraph_server}/store/ (0 triples, the local store {local[first]}): the server put "
        "it elsewhere; check that --graph-store is the Graph Store URL itself (Oxigraph: "
        'http://host:7878/store; "Loading into triplestores" in the README lists others) and '
        "--endpoint the query URL of the same store")


def test_unreachable_server(seed_build: Built) -> None:
    url = f"http://127.0.0.1:{_free_port()}/store"
    code, out, err = push(seed_build.store, "--graph-store", url)
    assert (code, out) == (2, "")
    assert err == (f"error: cannot reach {url}: connection refused; check the URL and that the "
                   "server is running\n")


@pytest.mark.parametrize(("seconds", "shown"), [
    ("-1", "-1"), ("nan", "nan"), ("1e+12", "1000000000000"), ("1000001", "1000001")])
def test_a_bad_timeout_is_refused_as_query_refuses_it(seed_build: Built, seconds: str,
                                                      shown: str) -> None:
    message = (f"error: --timeout {shown}: give a positive number of seconds up to 1000000, "
               "or 0 for no limit\n")
    code, out, err = push(seed_build.store, "--graph-store", "http://127.0.0.1:1/store",
                          "--timeout", seconds)
    assert (code, out, err) == (2, "", message)
    query = run_cli("query", "ASK {}", "--store", seed_build.store, "--timeout", seconds)
    assert (query.code, query.stdout, query.stderr) == (2, "", message)


def test_non_http_urls_are_refused(seed_build: Built) -> None:
    url = "ftp://127.0.0.1/store"
    code, _out, err = push(seed_build.store, "--graph-store", url)
    assert code == 2
    assert err == (f"error: --graph-store {url}: must be an http or https URL such as "
                   "http://localhost:7878/store\n")


def test_credentials_in_the_url_are_refused_and_not_shown(seed_build: Built) -> None:
    code, out, err = push(seed_build.store, "--graph-store",
                          f"http://admin:{SECRET}@127.0.0.1:7878/store")
    assert code == 2
    assert SECRET not in out + err
    assert err == ("error: --graph-store http://127.0.0.1:7878/store: credentials in the URL are "
                   "not accepted; remove them and put user:password or a bearer token in an "
                   "environment variable named with --auth-env\n")


def test_an_unset_credentials_variable_is_a_usage_error(seed_build: Built,
                                                        fake_store: FakeStore) -> None:
    code, _out, err = push(seed_build.store, "--graph-store", fake_store.url,
                           "--auth-env", "SKG_TEST_UNSET_VARIABLE")
    assert code == 2
    assert err == ("error: environment variable SKG_TEST_UNSET_VARIABLE is not set; set it to "
                   "user:password or a bearer token, or leave out --auth-env\n")
    assert fake_store.authorizations == []


def test_401_without_credentials(seed_build: Built, fake_store: FakeStore) -> None:
    fake_store.scheme, fake_store.secret = "Basic", f"admin:{SECRET}"
    code, _out, err = push(seed_build.store, "--graph-store", fake_store.url)
    assert code == 2
    assert err == (f"error: {fake_store.url} requires credentials (HTTP 401, asks for Basic); "
                   "put user:password or a bearer token in an environment variable and name it "
                   "with --auth-env\n")


@pytest.mark.parametrize("scheme", ["Basic", "Bearer"])
def test_401_with_wrong_credentials_never_shows_them(seed_build: Built, fake_store: FakeStore,
                                                     scheme: str) -> None:
    fake_store.scheme = scheme
    fake_store.secret = TOKEN if scheme == "Bearer" else f"admin:{SECRET}"
    wrong = "wrong-" + TOKEN if scheme == "Bearer" else f"admin:wrong-{SECRET}"
    code, out, err = push(seed_build.store, "--graph-store", fake_store.url,
                          "--auth-env", "SKG_AUTH", env={"SKG_AUTH": wrong})
    assert code == 2
    assert err == (f"error: {fake_store.url} refused the credentials (HTTP 401); set SKG_AUTH to "
                   "user:password or a bearer token\n")
    assert wrong not in out + err and SECRET not in out + err and TOKEN not in out + err


def test_right_credentials_are_used_and_never_shown(seed_build: Built,
                                                    fake_store: FakeStore) -> None:
    fake_store.scheme, fake_store.secret = "Digest", f"admin:{SECRET}"
    code, out, err = push(seed_build.store, "--graph-store", fake_store.url,
                          "--auth-env", "SKG_AUTH", env={"SKG_AUTH": fake_store.secret})
    assert code == 0, err
    assert SECRET not in out + err and TOKEN not in out + err
    assert sorted(fake_store.graphs) == sorted(local_counts(seed_build.store))


def test_403_names_the_variable(seed_build: Built, fake_store: FakeStore) -> None:
    fake_store.scheme, fake_store.secret = "Bearer", TOKEN
    fake_store.fail = (403, "read-only account")
    code, out, err = push(seed_build.store, "--graph-store", fake_store.url,
                          "--auth-env", "SKG_AUTH", env={"SKG_AUTH": TOKEN})
    assert code == 2
    graph = sorted(local_counts(seed_build.store))[0]
    assert err == (f"error: {fake_store.url} refused the credentials (HTTP 403 Forbidden: "
                   f"read-only account) for the upload of graph <{graph}>; set SKG_AUTH to the "
                   "user:password or bearer token of an account allowed to do it\n")
    assert TOKEN not in out + err


def test_a_server_error_shows_the_servers_message(seed_build: Built,
                                                  fake_store: FakeStore) -> None:
    fake_store.fail = (500, "Transaction aborted: disk full\n\tat Store.put(Store.java:42)\n")
    code, _out, err = push(seed_build.store, "--graph-store", fake_store.url)
    assert code == 2
    graph = sorted(local_counts(seed_build.store))[0]
    assert err == (f"error: the upload of graph <{graph}> failed: {fake_store.url} answered "
                   "HTTP 500 Internal Server Error: Transaction aborted: disk full; see the "
                   "server's log\n")


STALE = "https://w3id.org/sanctions-kg/graph/article/an-article-since-removed"
FOREIGN = "http://example.org/graph/someone-else"


def server_update(base: str, update: str) -> None:
    """Change the server's data with SPARQL Update."""
    import urllib.request

    request = urllib.request.Request(f"{base}/update", data=update.encode(),
                                     headers={"Content-Type": "application/sparql-update"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (200, 204)


def insert_graphs(base: str, *graphs: str) -> None:
    """Put one triple in each graph on the server."""
    data = " ".join(f"GRAPH <{g}> {{ <urn:s> <urn:p> \"{g}\" }}" for g in graphs)
    server_update(base, f"INSERT DATA {{ {data} }}")


def test_prune_deletes_only_the_project_graphs_the_store_does_not_have(
    oxigraph_server: str, seed_build: Built
) -> None:
    insert_graphs(oxigraph_server, STALE, FOREIGN)
    store_url, query_url = f"{oxigraph_server}/store", f"{oxigraph_server}/query"
    code, out, err = push(seed_build.store, "--graph-store", store_url, "--endpoint", query_url)
    assert code == 0, err
    assert "Removed" not in out
    assert {STALE, FOREIGN} <= set(server_counts(oxigraph_server)), "kept without --prune"

    code, out, err = push(seed_build.store, "--graph-store", store_url, "--endpoint", query_url,
                          "--prune")
    assert code == 0, err
    assert out.splitlines()[-2:] == ["Removed 1 graph that the store does not have:",
                                     f"  {STALE}"]
    assert server_counts(oxigraph_server) == {**local_counts(seed_build.store), FOREIGN: 1}

    code, out, err = push(seed_build.store, "--graph-store", store_url, "--endpoint", query_url,
                          "--prune")
    assert code == 0, err
    assert out.splitlines()[-1] == "Removed 0 graphs that the store does not have."


def server_graphs(base: str) -> set[str]:
    body = sparql_query(f"{base}/query", "SELECT ?g WHERE { GRAPH ?g { } }",
                        accept="application/sparql-results+json")
    return {row["g"]["value"] for row in json.loads(body)["results"]["bindings"]}


def test_prune_deletes_an_empty_stale_graph(oxigraph_server: str, seed_build: Built) -> None:
    """A graph emptied on the server, but not dropped, is still one the store does not have."""
    server_update(oxigraph_server, f"CREATE GRAPH <{STALE}>")
    assert server_graphs(oxigraph_server) == {STALE}
    code, out, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store",
                          "--endpoint", f"{oxigraph_server}/query", "--prune")
    assert code == 0, err
    assert out.splitlines()[-2:] == ["Removed 1 graph that the store does not have:",
                                     f"  {STALE}"]
    assert server_graphs(oxigraph_server) == set(local_counts(seed_build.store))


def test_prune_needs_an_endpoint(oxigraph_server: str, seed_build: Built) -> None:
    insert_graphs(oxigraph_server, STALE)
    code, out, err = push(seed_build.store, "--graph-store", f"{oxigraph_server}/store",
                          "--prune")
    assert (code, out, err) == (2, "", "error: --prune needs --endpoint: the server's graphs are "
                                       "listed with a SPARQL query; give its query URL\n")
    assert server_counts(oxigraph_server) == {STALE: 1}, "nothing is pushed or removed"


def test_prune_refuses_a_store_without_graphs(oxigraph_server: str, tmp_path: Path) -> None:
    """Pruning from an empty store would delete every sanctions-kg graph on the server."""
    insert_graphs(oxigraph_server, STALE)
    store = store_of(tmp_path / "empty")
    code, out, err = push(store, "--graph-store", f"{oxigraph_server}/store", "--endpoint",
                          f"{oxigraph_server}/query", "--prune")
    assert (code, out, err) == (2, "", f"error: {store}: the store has no graphs, and --prune "
                                       "would delete every sanctions-kg graph on the server; "
                                       "check --store, or build first\n")
    assert server_counts(oxigraph_server) == {STALE: 1}
