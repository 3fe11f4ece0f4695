"""Remote triplestores over HTTP: SPARQL 1.1 Protocol queries and Graph Store Protocol pushes.

:func:`push` uploads every named graph of the embedded store with the SPARQL 1.1 Graph Store
HTTP Protocol. ``PUT <graph store>?graph=<IRI>`` replaces that one graph, so a push repeated, or
rerun after it was interrupted, leaves the server with exactly the store's graphs. Afterwards the
triple count of each graph is read back from the server and compared with the local count.

:func:`sparql_query` runs one query against a SPARQL 1.1 Protocol endpoint (a form-encoded POST,
which every common store accepts) and returns the answer as the server sent it.

Credentials come only from an environment variable named by the caller: ``user:password``, or
a bearer token (anything without a colon). The first request goes without them; when the server
answers 401, its ``WWW-Authenticate`` header says which scheme it wants (Basic, Digest or
Bearer), the request is repeated with that scheme, and later requests send it straight away. So
a password never travels as Basic to a server that asked for Digest. Credentials never appear in
a message: URLs with user information are refused, and the secret is scrubbed from anything a
server says before it is shown.

Every request has a timeout (each connect, send and wait for an answer). HTTP goes through
``urllib.request`` from the standard library, which also honours ``https_proxy``/``no_proxy``;
pyoxigraph is imported only where the store is read or RDF parsed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, TypeVar

from .errors import RemoteError, UsageError, seconds_text, time_limit

if TYPE_CHECKING:
    import pyoxigraph as ox

DEFAULT_TIMEOUT: Final = 30.0
N_TRIPLES: Final = "application/n-triples"
SPARQL_JSON: Final = "application/sparql-results+json"
#: What a Graph Store read asks for: N-Triples first, then what stores commonly send instead.
RDF_ACCEPT: Final = f"{N_TRIPLES}, text/turtle;q=0.9, application/rdf+xml;q=0.5"
CHUNK_BYTES: Final = 64 * 1024
MESSAGE_LIMIT: Final = 300
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_T = TypeVar("_T")
#: One item of a WWW-Authenticate header: a scheme name, or ``name=value`` (value maybe quoted).
_CHALLENGE_ITEM = re.compile(
    r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:[ \t]*=[ \t]*(\"(?:[^\"\\]|\\.)*\"|[^,\s]*))?"
)


# --- URLs ------------------------------------------------------------------------------------


def check_url(url: str, *, option: str) -> str:
    """The URL if it is an http(s) URL without user information; UsageError otherwise."""
    # Oxigraph's URLs: the Graph Store for --graph-store, the query endpoint for --endpoint
    example = ("http://localhost:7878/store" if option == "--graph-store"
               else "http://localhost:7878/query")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise UsageError(
            f"{option} {display_url(url)}: not a valid URL; give an http or https URL "
            f"such as {example}"
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{option} {display_url(url)}: must be an http or https URL such as {example}"
        )
    if "@" in url.partition("?")[0]:  # also "user:pa/ss@host", which urlsplit misreads
        raise UsageError(
            f"{option} {display_url(url)}: credentials in the URL are not accepted; remove them "
            "and put user:password or a bearer token in an environment variable named with "
            "--auth-env"
        )
    return url


def display_url(url: str) -> str:
    """The URL as it may be shown: anything up to an ``@`` (user information) removed.

    Deliberately blunt (everything between ``//`` and the last ``@`` goes), so that even a
    malformed URL with a password in it is never shown whole.
    """
    if "@" not in url:
        return url
    scheme, separator, _rest = url.partition("://")
    tail = url.rpartition("@")[2]
    return f"{scheme}://{tail}" if separator else tail


def graph_url(graph_store: str, graph: str) -> str:
    """The Graph Store Protocol URL of one named graph (indirect identification)."""
    separator = "&" if urllib.parse.urlsplit(graph_store).query else "?"
    return graph_store + separator + urllib.parse.urlencode({"graph": graph})


# --- credentials -----------------------------------------------------------------------------


class AuthScheme(Enum):
    """The HTTP authentication schemes sanctions-kg can answer a challenge with."""

    BASIC = "Basic"
    DIGEST = "Digest"
    BEARER = "Bearer"


@dataclass(frozen=True)
class Credentials:
    """What an environment variable holds: ``user:password`` or a bearer token."""

    variable: str
    secret: str = field(repr=False)

    @property
    def is_token(self) -> bool:
        return ":" not in self.secret

    @property
    def user(self) -> str:
        return self.secret.partition(":")[0]

    @property
    def password(self) -> str:
        return self.secret.partition(":")[2]

    def scrub(self, text: str) -> str:
        """The text with every form of the secret in it replaced by ``***``."""
        forms = {self.secret, base64.b64encode(self.secret.encode()).decode()}
        if not self.is_token:
            forms.add(self.password)
        for form in sorted((f for f in forms if f), key=len, reverse=True):
            text = text.replace(form, "***")
        return text


def credentials_from_env(variable: str | None) -> Credentials | None:
    """The credentials held by the named environment variable; None when no name is given."""
    if variable is None:
        return None
    if not _ENV_NAME.fullmatch(variable):
        # Never echo it: a user who passed the secret itself must not see it printed.
        raise UsageError(
            "--auth-env takes the name of an environment variable (letters, digits and "
            "underscores, e.g. SKG_AUTH), not the credentials themselves"
        )
    secret = os.environ.get(variable)
    if secret is None:
        raise UsageError(
            f"environment variable {variable} is not set; set it to user:password or a bearer "
            "token, or leave out --auth-env"
        )
    if not secret:
        raise UsageError(
            f"environment variable {variable} is empty; set it to user:password or a bearer token"
        )
    if not secret.isprintable():
        raise UsageError(
            f"environment variable {variable} contains a line break or control character; "
            "set it to user:password or a bearer token on one line"
        )
    if ":" not in secret and not _TOKEN68.fullmatch(secret):
        raise UsageError(
            f"environment variable {variable} holds no colon, so it is taken as a bearer token, "
            "but it has characters a token cannot have; set it to user:password or a token"
        )
    return Credentials(variable, secret)


def parse_challenges(values: list[str]) -> dict[str, dict[str, str]]:
    """The challenges of ``WWW-Authenticate`` headers: lower-case scheme → its parameters."""
    challenges: dict[str, dict[str, str]] = {}
    for value in values:
        scheme: str | None = None
        for match in _CHALLENGE_ITEM.finditer(value):
            name, raw = match.group(1), match.group(2)
            if raw is None:
                scheme = name.lower()
                challenges.setdefault(scheme, {})
            elif scheme is not None:
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                challenges[scheme][name.lower()] = raw
    return challenges


_DIGEST_HASHES: Final = {"MD5": "md5", "SHA-256": "sha256"}


def digest_supported(challenge: Mapping[str, str]) -> bool:
    """Whether a Digest challenge uses an algorithm and quality of protection we implement."""
    algorithm = challenge.get("algorithm", "MD5").upper().removesuffix("-SESS")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    return algorithm in _DIGEST_HASHES and "nonce" in challenge and (not qops or "auth" in qops)


def digest_authorization(
    credentials: Credentials,
    *,
    method: str,
    uri: str,
    challenge: Mapping[str, str],
    nonce_count: int,
    cnonce: str,
) -> str:
    """The ``Authorization`` value answering a Digest challenge (RFC 7616, qop=auth or none)."""
    algorithm = challenge.get("algorithm", "MD5")
    name = _DIGEST_HASHES[algorithm.upper().removesuffix("-SESS")]

    def digest(text: str) -> str:
        return hashlib.new(name, text.encode(), usedforsecurity=False).hexdigest()

    realm, nonce = challenge.get("realm", ""), challenge["nonce"]
    secret = digest(f"{credentials.user}:{realm}:{credentials.password}")
    if algorithm.upper().endswith("-SESS"):
        secret = digest(f"{secret}:{nonce}:{cnonce}")
    request = digest(f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    fields = {"username": credentials.user, "realm": realm, "nonce": nonce, "uri": uri}
    unquoted: dict[str, str] = {}
    if "auth" in qops:
        count = f"{nonce_count:08x}"
        fields["response"] = digest(f"{secret}:{nonce}:{count}:{cnonce}:auth:{request}")
        fields["cnonce"] = cnonce
        unquoted = {"qop": "auth", "nc": count}
    else:
        fields["response"] = digest(f"{secret}:{nonce}:{request}")
    if "opaque" in challenge:
        fields["opaque"] = challenge["opaque"]
    quoted = [f'{key}="{_quote(value)}"' for key, value in fields.items()]
    plain = [f"{key}={value}" for key, value in unquoted.items()]
    return "Digest " + ", ".join([*quoted, f"algorithm={algorithm}", *plain])


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


# --- one conversation with a server ----------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are reported, not followed: a PUT must not silently go somewhere else."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


class _Client:
    """Requests to one server, remembering the authentication scheme it asked for.

    Mutable on purpose (unlike the value types of this package): the scheme learned from the
    first 401, and the Digest nonce count, carry over to the following requests.
    """

    def __init__(self, credentials: Credentials | None, timeout: float | None) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._scheme: AuthScheme | None = None
        self._challenge: dict[str, str] = {}
        self._nonce_count = 0
        self._opener = urllib.request.build_opener(_NoRedirect())

    def request(
        self,
        method: str,
        url: str,
        *,
        shown: str,
        action: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        on_chunk: Callable[[int], None] | None = None,
        accept_status: frozenset[int] = frozenset(),
    ) -> _Answer:
        """Send one request (with credentials as learned); RemoteError for any failure."""
        for _attempt in range(3):
            sent = dict(headers)
            if self._scheme is not None:
                sent["Authorization"] = self._authorization(method, url)
            try:
                return self._send(method, url, sent, body, on_chunk)
            except urllib.error.HTTPError as error:
                if error.code in accept_status:
                    return _Answer(error.code, error.headers.get("Content-Type", ""), b"")
                if error.code == 401 and self._learn(error.headers, shown):
                    continue
                raise self._http_error(error, shown, action) from None
            except urllib.error.URLError as error:
                raise self._network_error(error.reason, shown) from None
            except (OSError, http.client.HTTPException) as error:
                raise self._network_error(error, shown) from None
        raise RemoteError(f"{shown} kept asking for credentials; check the server's settings")

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        on_chunk: Callable[[int], None] | None,
    ) -> _Answer:
        data: bytes | Iterator[bytes] | None = body
        if body is not None:
            headers["Content-Length"] = str(len(body))
            if on_chunk is not None:
                data = _chunks(body, on_chunk)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        with self._opener.open(request, timeout=self.timeout) as response:
            content = response.read()
            return _Answer(response.status, response.headers.get("Content-Type", ""), content)

    def _authorization(self, method: str, url: str) -> str:
        assert self.credentials is not None
        if self._scheme is AuthScheme.BEARER:
            return f"Bearer {self.credentials.secret}"
        if self._scheme is AuthScheme.BASIC:
            return "Basic " + base64.b64encode(self.credentials.secret.encode()).decode()
        parts = urllib.parse.urlsplit(url)
        self._nonce_count += 1
        return digest_authorization(
            self.credentials,
            method=method,
            uri=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            challenge=self._challenge,
            nonce_count=self._nonce_count,
            cnonce=secrets.token_hex(8),
        )

    def _learn(self, headers: Message, shown: str) -> bool:
        """Take up the scheme a 401 asks for; False when asking again cannot help."""
        credentials = self.credentials
        if credentials is None:
            return False
        challenges = parse_challenges(headers.get_all("WWW-Authenticate") or [])
        asked = ", ".join(name.capitalize() for name in challenges) or "no scheme"
        digest = challenges.get("digest")
        if credentials.is_token:
            if challenges and "bearer" not in challenges:
                raise RemoteError(
                    f"{shown} asks for {asked} authentication (HTTP 401), but "
                    f"{credentials.variable} holds a bearer token (it has no colon); "
                    f"set {credentials.variable} to user:password"
                )
            scheme = AuthScheme.BEARER
        elif digest is not None and digest_supported(digest):
            stale = digest.get("stale", "").lower() == "true"
            if self._scheme is AuthScheme.DIGEST and not stale:
                return False
            self._scheme, self._challenge, self._nonce_count = AuthScheme.DIGEST, digest, 0
            return True
        elif "basic" in challenges or not challenges:
            scheme = AuthScheme.BASIC
        else:
            raise RemoteError(
                f"{shown} asks for {asked} authentication (HTTP 401), which sanctions-kg cannot "
                "answer with user:password (it speaks Basic, and Digest with MD5 or SHA-256); "
                f"put a bearer token in {credentials.variable} if the server accepts one"
            )
        if self._scheme is scheme:
            return False
        self._scheme = scheme
        return True

    def _http_error(self, error: urllib.error.HTTPError, shown: str, action: str) -> RemoteError:
        code, phrase = error.code, http.client.responses.get(error.code, "")
        try:
            body = error.read()
        except (OSError, http.client.HTTPException):
            body = b""
        said = self._server_message(body, error.headers.get("Content-Type", ""))
        status = f"HTTP {code} {phrase}".rstrip() + (f": {said}" if said else "")
        variable = self.credentials.variable if self.credentials else None
        if code in (301, 302, 303, 307, 308):
            location = display_url(error.headers.get("Location", "") or "another URL")
            return RemoteError(
                f"{shown} redirects to {location} (HTTP {code}); use that URL instead"
            )
        if code == 401 and variable is None:
            asked = ", ".join(
                name.capitalize()
                for name in parse_challenges(error.headers.get_all("WWW-Authenticate") or [])
            )
            return RemoteError(
                f"{shown} requires credentials (HTTP 401{', asks for ' + asked if asked else ''}); "
                "put user:password or a bearer token in an environment variable and name it "
                "with --auth-env"
            )
        if code == 401:
            return RemoteError(
                f"{shown} refused the credentials (HTTP 401); set {variable} to user:password "
                "or a bearer token"
            )
        if code == 403 and variable is None:
            return RemoteError(
                f"{shown} refused access ({status}); if it needs credentials, name the "
                "environment variable that holds them with --auth-env"
            )
        if code == 403:
            return RemoteError(
                f"{shown} refused the credentials ({status}) for {action}; set {variable} to "
                "the user:password or bearer token of an account allowed to do it"
            )
        return RemoteError(f"{action} failed: {shown} answered {status}{_hint(code)}")

    def _network_error(self, reason: object, shown: str) -> RemoteError:
        if isinstance(reason, TimeoutError):
            limit = f"{seconds_text(self.timeout)} s" if self.timeout else "the time allowed"
            return RemoteError(
                f"{shown} did not answer within {limit}; check that the server is running, "
                "or allow more time with --timeout"
            )
        if isinstance(reason, http.client.RemoteDisconnected):
            return RemoteError(
                f"{shown} closed the connection without answering; check the URL and that the "
                "server is running"
            )
        if isinstance(reason, http.client.IncompleteRead):
            return RemoteError(
                f"lost the connection to {shown} in the middle of its answer; check that the "
                "server is running and try again"
            )
        if isinstance(reason, http.client.HTTPException):
            return RemoteError(
                f"{shown} did not answer like an HTTP server ({type(reason).__name__}); check "
                "the URL, its scheme (http or https) and port"
            )
        if isinstance(reason, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return RemoteError(
                f"lost the connection to {shown} ({_reason_text(reason)}); check that the server "
                "is running and try again"
            )
        return RemoteError(
            f"cannot reach {shown}: {_reason_text(reason)}; check the URL and that the server "
            "is running"
        )

    def _server_message(self, body: bytes, content_type: str) -> str:
        """The first line of what the server said, cleaned, scrubbed and truncated."""
        text = body.decode("utf-8", errors="replace")
        if "html" in content_type.lower():
            text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>|<[^>]+>", "\n", text)
        line = next((part.strip() for part in text.splitlines() if part.strip()), "")
        line = "".join(char if char.isprintable() else " " for char in line)
        line = re.sub(r"\s+", " ", line)
        if self.credentials is not None:
            line = self.credentials.scrub(line)
        return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def _chunks(body: bytes, on_chunk: Callable[[int], None]) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK_BYTES):
        yield body[start : start + CHUNK_BYTES]
        on_chunk(min(start + CHUNK_BYTES, len(body)))


def _hint(code: int) -> str:
    if code in (404, 405):
        return "; check the URL (Oxigraph: /store for the Graph Store, /query for SPARQL)"
    if code == 413:
        return "; the request is larger than the server accepts: raise its limit, or load the build files with the store's bulk loader"  # noqa: E501
    if code == 415:
        return "; the server does not accept this media type; check that the URL is right"
    if code >= 500:
        return "; see the server's log"
    return ""


def _reason_text(reason: object) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"the TLS certificate is not trusted ({reason.verify_message})"
    if isinstance(reason, OSError) and reason.strerror:
        text = str(reason.strerror)
        return text[:1].lower() + text[1:]
    return str(reason) or type(reason).__name__


# --- SPARQL 1.1 Protocol ---------------------------------------------------------------------


def sparql_query(
    endpoint: str,
    query: str,
    *,
    accept: str,
    timeout: float | None = DEFAULT_TIMEOUT,
    auth_env: str | None = None,
    expect: Collection[str] = (),
) -> bytes:
    """Run a query on a SPARQL 1.1 Protocol endpoint; the answer's body as the server sent it.

    The query is POSTed form-encoded (``query=…``) with ``accept`` as the Accept header.
    Raises UsageError for a bad URL or credentials variable, RemoteError for anything the
    network or the server does wrong (with the server's own message for HTTP errors), and for
    an answer whose Content-Type is none of ``expect`` (when given): a login page or a proxy's
    error page comes with status 200 too, and would otherwise be taken for the results.
    """
    url = check_url(endpoint, option="--endpoint")
    client = _Client(credentials_from_env(auth_env), time_limit(timeout))
    answer = _query(client, url, query, accept=accept, action="the query")
    media_type = answer.content_type.split(";", 1)[0].strip().lower()
    if expect and media_type and media_type not in expect:
        raise RemoteError(
            f"{display_url(url)}: the server answered {media_type}, not {accept} (the SPARQL "
            "results asked for); check that --endpoint is the SPARQL query endpoint"
        )
    return answer.body


def _query(client: _Client, url: str, query: str, *, accept: str, action: str) -> _Answer:
    return client.request(
        "POST",
        url,
        shown=url,
        action=action,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": accept,
        },
        body=urllib.parse.urlencode({"query": query}).encode(),
    )


# --- Graph Store Protocol push ---------------------------------------------------------------


class PushStage(Enum):
    """Where the push of one graph is."""

    UPLOADING = "uploading"
    VERIFYING = "verifying"
    DONE = "done"


@dataclass(frozen=True)
class PushProgress:
    """One progress report: a graph (``number`` of ``graphs``), its stage and bytes sent."""

    graph: str
    number: int
    graphs: int
    stage: PushStage
    sent: int
    size: int


class Verification(Enum):
    """How the server's triple counts were read."""

    SPARQL_QUERY = "with SPARQL at"
    GRAPH_STORE_READ = "by reading each graph back from"


@dataclass(frozen=True)
class GraphPush:
    """One graph pushed: its triples here and on the server after the upload."""

    graph: str
    local_triples: int
    remote_triples: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class PushReport:
    """What a push did, graph by graph (sorted by IRI)."""

    graph_store: str
    verification: Verification
    verified_at: str
    graphs: tuple[GraphPush, ...]
    seconds: float
    #: Graphs of sanctions-kg that the server held and the store does not (``prune``), removed.
    removed: tuple[str, ...] = ()

    @property
    def local_triples(self) -> int:
        return sum(graph.local_triples for graph in self.graphs)

    @property
    def remote_triples(self) -> int:
        return sum(graph.remote_triples for graph in self.graphs)


def push(
    store_dir: Path,
    *,
    graph_store: str,
    endpoint: str | None = None,
    auth_env: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: Callable[[PushProgress], None] | None = None,
    prune: bool = False,
) -> PushReport:
    """Replace each named graph of the store on a server, then check its triple count there.

    ``graph_store`` is the server's Graph Store Protocol URL; each graph goes up as sorted
    N-Triples with ``PUT ?graph=<IRI>``, which replaces it whole. The counts are then read
    through ``endpoint`` (a SPARQL query URL) when given, else by reading each graph back.
    Graphs the server holds but the store does not are left alone, unless ``prune``: then,
    once every graph is up, the server's graphs in sanctions-kg's graph namespace that the
    store does not have (an article removed from the corpus) are deleted (``DELETE
    ?graph=<IRI>``), found with a query to ``endpoint``, which ``prune`` needs. Graphs outside
    that namespace are never touched.
    Raises UsageError (bad URL, credentials variable or timeout, prune without endpoint),
    StoreError (no store) or RemoteError (network, HTTP error, or a count that differs, naming
    the graph).
    """
    import pyoxigraph as ox

    from .store import open_read

    graph_store = check_url(graph_store, option="--graph-store")
    if endpoint is not None:
        endpoint = check_url(endpoint, option="--endpoint")
    elif prune:
        raise UsageError("--prune needs --endpoint: the server's graphs are listed with a "
                         "SPARQL query; give its query URL")
    client = _Client(credentials_from_env(auth_env), time_limit(timeout))
    store = open_read(store_dir)
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    if prune and not names:
        raise UsageError(f"{store_dir}: the store has no graphs, and --prune would delete every "
                         "sanctions-kg graph on the server; check --store, or build first")
    started = time.perf_counter()
    target = _Target(client, graph_store, endpoint, len(names), progress)
    pushed = tuple(
        target.push_graph(store, graph, number) for number, graph in enumerate(names, start=1)
    )
    if len(pushed) > 1:
        target.check_still_there(store, pushed[0])
    removed: tuple[str, ...] = ()
    if prune and endpoint is not None:
        removed = tuple(sorted(set(_project_graphs(client, endpoint)) - set(names)))
        for graph in removed:
            client.request("DELETE", graph_url(graph_store, graph), shown=graph_store,
                           action=f"the removal of graph <{graph}>", headers={},
                           accept_status=frozenset({404}))  # gone meanwhile: as asked
    return PushReport(
        graph_store=graph_store,
        verification=Verification.SPARQL_QUERY if endpoint else Verification.GRAPH_STORE_READ,
        verified_at=endpoint or graph_store,
        graphs=pushed,
        seconds=time.perf_counter() - started,
        removed=removed,
    )


def _project_graphs(client: _Client, endpoint: str) -> list[str]:
    """The named graphs on the server whose IRI is in sanctions-kg's graph namespace."""
    from .namespaces import GRAPH

    # An empty group matches every named graph once, empty ones included, without reading quads.
    query = (f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} "
             f"FILTER(STRSTARTS(STR(?g), \"{GRAPH}\")) }}")
    return _json_answer(client, endpoint, query, "listing the server's graphs",
                        "the query listing its graphs",
                        lambda document: [row["g"]["value"]
                                          for row in document["results"]["bindings"]
                                          if row["g"]["type"] == "uri"
                                          and row["g"]["value"].startswith(GRAPH)])


@dataclass(frozen=True)
class _Target:
    """Where a push goes, and whom to tell how it is going."""

    client: _Client
    graph_store: str
    endpoint: str | None
    graphs: int
    progress: Callable[[PushProgress], None] | None

    def push_graph(self, store: ox.Store, graph: str, number: int) -> GraphPush:
        """Upload one graph as sorted N-Triples, replacing it, and check its count there."""
        import pyoxigraph as ox

        started = time.perf_counter()
        dump = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)) or b""
        lines = sorted(dump.splitlines(keepends=True))
        body = b"".join(lines)

        def report(stage: PushStage, sent: int) -> None:
            if self.progress is not None:
                self.progress(PushProgress(graph, number, self.graphs, stage, sent, len(body)))

        report(PushStage.UPLOADING, 0)
        self.client.request(
            "PUT",
            graph_url(self.graph_store, graph),
            shown=self.graph_store,
            action=f"the upload of graph <{graph}>",
            headers={"Content-Type": N_TRIPLES},
            body=body,
            on_chunk=lambda sent: report(PushStage.UPLOADING, sent),
        )
        report(PushStage.VERIFYING, len(body))
        remote = self.count(graph)
        if remote == 0 and lines:
            raise RemoteError(
                f"graph <{graph}> is not on the server after its upload to {self.graph_store} "
                f"(0 triples, the local store {len(lines)}): the server put it elsewhere; check "
                f"that --graph-store is the Graph Store URL itself ({GRAPH_STORE_URLS})"
                + (" and --endpoint the query URL of the same store" if self.endpoint else "")
            )
        if remote != len(lines):
            raise RemoteError(
                f"graph <{graph}> on {self.graph_store} has {remote} triples after the upload, "
                f"the local store {len(lines)}; run push again, and if the counts still differ "
                "check that the server neither adds nor drops triples (inference, filters)"
            )
        report(PushStage.DONE, len(body))
        return GraphPush(graph, len(lines), remote, len(body), time.perf_counter() - started)


    def count(self, graph: str) -> int:
        """The graph's triples on the server, counted at --endpoint or read back."""
        if self.endpoint is not None:
            return _count_by_query(self.client, self.endpoint, graph)
        return _count_by_reading(self.client, self.graph_store, graph)

    def check_still_there(self, store: ox.Store, first: GraphPush) -> None:
        """The first graph, looked at again once the last is up. A URL the server takes for
        one graph of its own (Oxigraph's /store/, with a slash) gets every upload in that graph,
        each replacing the last: each upload reads back right, and only the first graph, read
        again, shows it. Its triples are looked for, not counted: the last graph may have as
        many. Read back, every triple sent must be there (a server may add inferred ones);
        with --endpoint, one ASK for its first triple."""
        import pyoxigraph as ox

        dump = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(first.graph))
        sent = sorted((dump or b"").decode("utf-8").splitlines())
        if not sent:
            return
        if self.endpoint is not None:
            there = _json_answer(
                self.client, self.endpoint, f"ASK {{ GRAPH <{first.graph}> {{ {sent[0]} }} }}",
                f"looking for a triple of graph <{first.graph}>",
                f"the query looking for a triple of graph <{first.graph}>",
                lambda document: document["boolean"] is True)
        else:
            held = {f"{quad.triple} ." for quad in _read_back(self.client, self.graph_store,
                                                               first.graph)}
            there = held.issuperset(sent)
        if not there:
            raise RemoteError(
                f"graph <{first.graph}> on {self.graph_store} no longer holds what was uploaded "
                "to it once the last graph was up: the server keeps every upload in one graph, "
                "ignoring ?graph=; check that --graph-store is the Graph Store URL itself "
                f"({GRAPH_STORE_URLS})"
            )


#: The Graph Store URLs of common stores, for messages about a wrong one.
GRAPH_STORE_URLS = ("Oxigraph: http://host:7878/store; \"Loading into triplestores\" in the "
                    "README lists others")


def _count_by_query(client: _Client, endpoint: str, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return _json_answer(client, endpoint, query, f"counting the triples of graph <{graph}>",
                        f"the count query for graph <{graph}>",
                        lambda document: int(document["results"]["bindings"][0]["n"]["value"]))


def _json_answer(client: _Client, endpoint: str, query: str, action: str, what: str,
                 read: Callable[[Any], _T]) -> _T:
    """Run a query on the endpoint and read its SPARQL JSON results with ``read``; RemoteError
    when the answer is not the SPARQL JSON that ``read`` expects."""
    answer = _query(client, endpoint, query, accept=SPARQL_JSON, action=action)
    try:
        return read(json.loads(answer.body))
    except (ValueError, KeyError, IndexError, TypeError):
        raise RemoteError(
            f"{endpoint} did not answer {what} with SPARQL JSON results; check that "
            "--endpoint is the store's SPARQL query URL"
        ) from None


def _count_by_reading(client: _Client, graph_store: str, graph: str) -> int:
    return len(_read_back(client, graph_store, graph))


def _read_back(client: _Client, graph_store: str, graph: str) -> list[ox.Quad]:
    """The triples of a graph as the server sends it back (none for a 404)."""
    import pyoxigraph as ox

    url = graph_url(graph_store, graph)
    answer = client.request(
        "GET",
        url,
        shown=graph_store,
        action=f"reading back graph <{graph}>",
        headers={"Accept": RDF_ACCEPT},
        accept_status=frozenset({404}),
    )
    if answer.status == 404:
        return []
    media_type = answer.content_type.split(";")[0].strip()
    rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
    if rdf_format is None:
        raise RemoteError(
            f"{graph_store} sent graph <{graph}> back as '{media_type or 'no media type'}', "
            "which is not an RDF format; check that --graph-store is the Graph Store URL, or "
            "verify with --endpoint"
        )
    try:
        return list(ox.parse(answer.body, format=rdf_format, base_iri=url))
    except (SyntaxError, ValueError) as error:
        raise RemoteError(
            f"{graph_store} sent graph <{graph}> back as {media_type} that cannot be read "
            f"({error}); verify with --endpoint instead"
        ) from None
