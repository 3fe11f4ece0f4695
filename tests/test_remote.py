"""The remote module: URL and credential checks, authentication, SPARQL queries and pushes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Built, FakeStore, _free_port
from sanctions_kg.errors import RemoteError, UsageError
from sanctions_kg.remote import (
    Credentials,
    PushProgress,
    PushStage,
    Verification,
    check_url,
    credentials_from_env,
    digest_authorization,
    display_url,
    graph_url,
    parse_challenges,
    push,
    sparql_query,
)
from sanctions_kg.store import open_read

SECRET = "s3cret-Pa55"
TOKEN = "tok3n-abc.DEF_123"


def local_counts(store: Path) -> dict[str, int]:
    database = open_read(store)
    return {g.value: sum(1 for _ in database.quads_for_pattern(None, None, None, g))
            for g in database.named_graphs()}


# --- URLs and credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/store", "localhost:7878/store",
                                 "file:///tmp/store", "http:///store", "store"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_url(url, option="--graph-store")
    assert str(caught.value) == (
        f"--graph-store {url}: must be an http or https URL such as http://localhost:7878/store"
    )


def test_an_endpoint_url_is_given_an_endpoint_example() -> None:
    with pytest.raises(UsageError) as caught:
        check_url("", option="--endpoint")
    assert str(caught.value).endswith("such as http://localhost:7878/query")


@pytest.mark.parametrize("url", [f"http://admin:{SECRET}@example.org/store",
                                 f"https://admin:{SECRET}@example.org:99999/store",
                                 "http://admin:12/ss@example.org/store",
                                 f"ftp://admin:{SECRET}@example.org/store"])
def test_urls_with_credentials_are_refused_without_showing_them(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_url(url, option="--endpoint")
    assert SECRET not in str(caught.value) and "12/ss" not in str(caught.value)
    assert "admin" not in str(caught.value)


def test_display_url_drops_user_information() -> None:
    assert display_url("http://u:p@h:1/store?x=1") == "http://h:1/store?x=1"
    assert display_url("http://u:p/w@h/store") == "http://h/store"
    assert display_url("http://h/store") == "http://h/store"


def test_graph_url_encodes_the_iri() -> None:
    assert graph_url("http://h/store", "https://x.org/g/a b") == (
        "http://h/store?graph=https%3A%2F%2Fx.org%2Fg%2Fa+b")
    assert graph_url("http://h/rdf?repo=1", "urn:g").endswith("?repo=1&graph=urn%3Ag")


def test_credentials_come_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKG_AUTH", f"admin:{SECRET}")
    credentials = credentials_from_env("SKG_AUTH")
    assert credentials is not None
    assert (credentials.user, credentials.password, credentials.is_token) == (
        "admin", SECRET, False)
    assert SECRET not in repr(credentials)
    monkeypatch.setenv("SKG_AUTH", TOKEN)
    token = credentials_from_env("SKG_AUTH")
    assert token is not None and token.is_token
    assert credentials_from_env(None) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "environment variable SKG_AUTH is not set; set it to user:password or a bearer "
               "token, or leave out --auth-env"),
        ("", "environment variable SKG_AUTH is empty; set it to user:password or a bearer token"),
        (f"admin:{SECRET}\n", "environment variable SKG_AUTH contains a line break or control "
                              "character; set it to user:password or a bearer token on one line"),
        ("tok en", "environment variable SKG_AUTH holds no colon, so it is taken as a bearer "
                   "token, but it has characters a token cannot have; set it to user:password "
                   "or a token"),
    ],
)
def test_bad_credential_variables_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, value: str | None, message: str
) -> None:
    if value is None:
        monkeypatch.delenv("SKG_AUTH", raising=False)
    else:
        monkeypatch.setenv("SKG_AUTH", value)
    with pytest.raises(UsageError) as caught:
        credentials_from_env("SKG_AUTH")
    assert str(caught.value) == message


def test_a_secret_passed_as_the_variable_name_is_not_echoed() -> None:
    with pytest.raises(UsageError) as caught:
        credentials_from_env(f"admin:{SECRET}")
    assert SECRET not in str(caught.value)
    assert str(caught.value).startswith("--auth-env takes the name of an environment variable")


def test_scrub_removes_every_form_of_the_secret() -> None:
    credentials = Credentials("SKG_AUTH", f"admin:{SECRET}")
    text = f"bad password {SECRET} in YWRtaW46czNjcmV0LVBhNTU= for admin"
    assert credentials.scrub(text) == "bad password *** in *** for admin"


# --- authentication schemes ------------------------------------------------------------------


def test_challenges_are_parsed_with_their_parameters() -> None:
    challenges = parse_challenges([
        'Digest realm="a, b", qop="auth,auth-int", nonce="n\\"1", algorithm=SHA-256, '
        'Basic realm="x"',
        "Bearer",
    ])
    assert challenges == {
        "digest": {"realm": "a, b", "qop": "auth,auth-int", "nonce": 'n"1',
                   "algorithm": "SHA-256"},
        "basic": {"realm": "x"},
        "bearer": {},
    }


def test_digest_matches_the_rfc_2617_example() -> None:
    header = digest_authorization(
        Credentials("V", "Mufasa:Circle Of Life"),
        method="GET",
        uri="/dir/index.html",
        challenge={"realm": "testrealm@host.com", "qop": "auth,auth-int",
                   "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                   "opaque": "5ccc069c403ebaf9f0171e9517f40e41"},
        nonce_count=1,
        cnonce="0a4f113b",
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "qop=auth, nc=00000001" in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header


@pytest.mark.parametrize(("scheme", "secret"), [("Basic", f"admin:{SECRET}"),
                                                ("Digest", f"admin:{SECRET}"),
                                                ("Bearer", TOKEN)])
def test_credentials_are_sent_only_after_the_server_asks(
    monkeypatch: pytest.MonkeyPatch, fake_store: FakeStore, seed_build: Built,
    scheme: str, secret: str,
) -> None:
    fake_store.scheme, fake_store.secret = scheme, secret
    monkeypatch.setenv("SKG_AUTH", secret)
    report = push(seed_build.store, graph_store=fake_store.url, auth_env="SKG_AUTH")
    assert [g.local_triples for g in report.graphs] == [g.remote_triples for g in report.graphs]
    first, *rest = fake_store.authorizations
    assert first is None
    assert rest and all(header and header.startswith(scheme + " ") for header in rest)
    # one 401 in all: after it, every request (3 PUTs, 3 GETs, and the first graph's GET once
    # the last is up) carries the credentials
    assert len(rest) == 2 * len(report.graphs) + 1


def test_wrong_digest_credentials_are_refused_after_one_try(
    monkeypatch: pytest.MonkeyPatch, fake_store: FakeStore, seed_build: Built
) -> None:
    fake_store.scheme, fake_store.secret = "Digest", f"admin:{SECRET}"
    monkeypatch.setenv("SKG_AUTH", "admin:wrong")
    with pytest.raises(RemoteError) as caught:
        push(seed_build.store, graph_store=fake_store.url, auth_env="SKG_AUTH")
    assert str(caught.value) == (f"{fake_store.url} refused the credentials (HTTP 401); set "
                                 "SKG_AUTH to user:password or a bearer token")
    assert len(fake_store.authorizations) == 2


def test_a_token_for_a_server_that_wants_a_password_is_explained(
    monkeypatch: pytest.MonkeyPatch, fake_store: FakeStore, seed_build: Built
) -> None:
    fake_store.scheme, fake_store.secret = "Basic", f"admin:{SECRET}"
    monkeypatch.setenv("SKG_AUTH", TOKEN)
    with pytest.raises(RemoteError) as caught:
        push(seed_build.store, graph_store=fake_store.url, auth_env="SKG_AUTH")
    assert str(caught.value) == (
        f"{fake_store.url} asks for Basic authentication (HTTP 401), but SKG_AUTH holds a "
        "bearer token (it has no colon); set SKG_AUTH to user:password"
    )


def test_server_messages_are_scrubbed_of_the_secret(
    monkeypatch: pytest.MonkeyPatch, fake_store: FakeStore, seed_build: Built
) -> None:
    fake_store.scheme, fake_store.secret = "Bearer", TOKEN
    fake_store.fail = (500, f"token {TOKEN} has expired\nat line 2")
    monkeypatch.setenv("SKG_AUTH", TOKEN)
    with pytest.raises(RemoteError) as caught:
        push(seed_build.store, graph_store=fake_store.url, auth_env="SKG_AUTH")
    assert TOKEN not in str(caught.value)
    assert str(caught.value).endswith(
        "answered HTTP 500 Internal Server Error: token *** has expired; see the server's log")


# --- SPARQL queries ----------------------------------------------------------------------------


def test_sparql_query_returns_the_servers_json(oxigraph_server: str, seed_build: Built) -> None:
    push(seed_build.store, graph_store=f"{oxigraph_server}/store")
    body = sparql_query(
        f"{oxigraph_server}/query",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        accept="application/sparql-results+json",
    )
    rows = json.loads(body)["results"]["bindings"]
    assert {row["g"]["value"]: int(row["n"]["value"]) for row in rows} == local_counts(
        seed_build.store)
    ask = sparql_query(f"{oxigraph_server}/query", "ASK { ?s ?p ?o }",
                       accept="application/sparql-results+json", timeout=5)
    assert json.loads(ask) == {"head": {}, "boolean": True}


def test_sparql_query_reports_the_servers_message(oxigraph_server: str) -> None:
    with pytest.raises(RemoteError) as caught:
        sparql_query(f"{oxigraph_server}/query", "SELECT (COUNT(*) AS ?n WHERE { ?s ?p ?o }",
                     accept="application/sparql-results+json")
    assert str(caught.value) == (
        f"the query failed: {oxigraph_server}/query answered HTTP 400 Bad Request: "
        'error at 1:24: expected ")"'
    )


def test_unreachable_endpoint() -> None:
    url = f"http://127.0.0.1:{_free_port()}/query"
    with pytest.raises(RemoteError) as caught:
        sparql_query(url, "ASK {}", accept="application/sparql-results+json")
    assert str(caught.value) == (
        f"cannot reach {url}: connection refused; check the URL and that the server is running"
    )


def test_a_slow_server_times_out(fake_store: FakeStore) -> None:
    fake_store.delay = 1.0
    with pytest.raises(RemoteError) as caught:
        sparql_query(fake_store.url, "ASK {}", accept="application/sparql-results+json",
                     timeout=0.2)
    assert str(caught.value) == (
        f"{fake_store.url} did not answer within 0.2 s; check that the server is running, or "
        "allow more time with --timeout"
    )


@pytest.mark.parametrize(("timeout", "shown"), [
    (-1.0, "-1"), (float("nan"), "nan"), (float("inf"), "inf"), (1e12, "1000000000000"),
    (1_000_001, "1000001"), (1_000_000.5, "1000000.5")])
def test_timeouts_must_be_positive(timeout: float, shown: str) -> None:
    """1000001 was shown as 1e+06, which reads as the limit itself."""
    with pytest.raises(UsageError) as caught:
        sparql_query("http://127.0.0.1:1/query", "ASK {}", accept="*/*", timeout=timeout)
    assert str(caught.value) == (
        f"--timeout {shown}: give a positive number of seconds up to 1000000, or 0 for no "
        "limit")


# --- push ------------------------------------------------------------------------------------


def test_push_reports_progress_for_every_graph(oxigraph_server: str, seed_build: Built) -> None:
    events: list[PushProgress] = []
    report = push(seed_build.store, graph_store=f"{oxigraph_server}/store",
                  endpoint=f"{oxigraph_server}/query", progress=events.append)
    assert report.verification is Verification.SPARQL_QUERY
    assert [g.graph for g in report.graphs] == sorted(local_counts(seed_build.store))
    assert report.local_triples == report.remote_triples == sum(
        local_counts(seed_build.store).values())
    for number, graph in enumerate(report.graphs, start=1):
        mine = [e for e in events if e.graph == graph.graph]
        assert {e.number for e in mine} == {number}
        assert mine[0].stage is PushStage.UPLOADING
        assert [e.stage for e in mine][-2:] == [PushStage.VERIFYING, PushStage.DONE]
        sent = [e.sent for e in mine]
        assert sent == sorted(sent) and sent[-1] == mine[-1].size == graph.bytes


def test_a_count_that_differs_names_the_graph(fake_store: FakeStore, seed_build: Built) -> None:
    class Lossy(dict[str, bytes]):
        """Keeps all but the last triple of each graph."""

        def __setitem__(self, graph: str, body: bytes) -> None:
            super().__setitem__(graph, b"".join(body.splitlines(keepends=True)[:-1]))

    fake_store.graphs = Lossy()
    first = sorted(local_counts(seed_build.store).items())[0]
    with pytest.raises(RemoteError) as caught:
        push(seed_build.store, graph_store=fake_store.url)
    assert str(caught.value) == (
        f"graph <{first[0]}> on {fake_store.url} has {first[1] - 1} triples after the upload, "
        f"the local store {first[1]}; run push again, and if the counts still differ check "
        "that the server neither adds nor drops triples (inference, filters)"
    )


class Killed(Exception):
    """Stands in for the process being killed between two graphs."""


def test_an_interrupted_push_is_completed_by_running_it_again(
    oxigraph_server: str, seed_build: Built
) -> None:
    import urllib.request

    store_url, counts = f"{oxigraph_server}/store", local_counts(seed_build.store)
    for graph in counts:  # the server starts with old content in every graph
        request = urllib.request.Request(
            graph_url(store_url, graph), method="PUT", data=b'<urn:old> <urn:p> "old" .\n',
            headers={"Content-Type": "application/n-triples"})
        urllib.request.urlopen(request, timeout=5).close()

    def kill_after_first_graph(event: PushProgress) -> None:
        if event.stage is PushStage.DONE:
            raise Killed

    with pytest.raises(Killed):
        push(seed_build.store, graph_store=store_url, progress=kill_after_first_graph)
    half = json.loads(sparql_query(
        f"{oxigraph_server}/query",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        accept="application/sparql-results+json"))["results"]["bindings"]
    first = sorted(counts)[0]
    assert {row["g"]["value"]: int(row["n"]["value"]) for row in half} == {
        graph: counts[graph] if graph == first else 1 for graph in counts}

    push(seed_build.store, graph_store=store_url, endpoint=f"{oxigraph_server}/query")
    old = sparql_query(f"{oxigraph_server}/query", "ASK { GRAPH ?g { <urn:old> ?p ?o } }",
                       accept="application/sparql-results+json")
    assert json.loads(old)["boolean"] is False
