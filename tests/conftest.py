"""Shared fixtures: the seed corpus, a built seed dataset, and running the real CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_script(path: Path, name: str) -> ModuleType:
    """Import a script that is not on the import path (``benchmarks/*.py``) as module ``name``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
DATA = REPO / "data"
SEED_ID = "raisi-putin-samarkand-2022"
SEED_TEXT = DATA / "articles" / f"{SEED_ID}.txt"
SEED_FACTS = DATA / "facts" / f"{SEED_ID}.yaml"
CLI = Path(sys.executable).parent / "sanctions-kg"


@dataclass(frozen=True)
class Run:
    """The outcome of one CLI run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> Run:
    """Run the installed ``sanctions-kg`` console script."""
    environment = {k: v for k, v in os.environ.items() if k != "SANCTIONS_KG_STORE"}
    environment.update(env or {})
    done = subprocess.run(
        [str(CLI), *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Built:
    """A seed dataset built into a temporary folder."""

    out: Path
    store: Path


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The bundled corpus built once per session (without validation), read-only for tests."""
    root = tmp_path_factory.mktemp("seed-build")
    result = run_cli("build", "--no-validate", "--data", DATA, "--out", root / "out",
                     "--store", root / "store")
    assert result.code == 0, result.stderr
    return Built(root / "out", root / "store")


def store_of(folder: Path, nquads: bytes = b"") -> Path:
    """A store at ``folder`` whose current generation holds exactly these N-Quads (none: a
    store without any graph), written the way a build writes one."""
    from sanctions_kg import store

    writer = store.StoreWriter(folder)
    with writer.locked():
        pending = writer.begin()
        loader = writer.loader(pending)
        if nquads:
            loader.add(nquads)
        loader.finish()
        writer.commit(pending)
    return folder


@pytest.fixture
def data_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    yield target


# --- remote triplestores: a real Oxigraph server, and a fake that demands credentials ---------

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local test servers are reached directly, whatever proxy the environment sets."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, ",".join(filter(None, [os.environ.get(name), "127.0.0.1"])))


@contextmanager
def running_oxigraph(location: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run ``oxigraph serve`` (union default graph) on a free local port; yield its base URL.

    The Graph Store is ``<base>/store``, the SPARQL query endpoint ``<base>/query``.
    """
    import time
    import urllib.request

    _no_proxy_for_localhost(monkeypatch)
    if not OXIGRAPH.exists():
        pytest.skip("the oxigraph server CLI is not installed (pip install -e '.[dev]')")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(OXIGRAPH), "serve", "--location", str(location),
         "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"{base}/", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    error = server.stderr.read().decode() if server.stderr else ""
                    pytest.fail(f"oxigraph serve did not start: {error}")
                time.sleep(0.02)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def oxigraph_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty Oxigraph server for one test; yields its base URL."""
    with running_oxigraph(tmp_path / "oxigraph", monkeypatch) as base:
        yield base


@dataclass
class FakeStore:
    """A Graph Store that demands credentials; tests set what it asks for and answers.

    ``scheme`` (Basic, Bearer or Digest) with ``secret`` (user:password or token) is demanded
    with a 401 and a WWW-Authenticate header; ``fail`` (status, body) is sent to every request
    that got past that; ``delay`` seconds pass before any answer. PUT bodies are kept in
    ``graphs`` and sent back on GET (and POST), as ``content_type``; ``authorizations``
    records each Authorization header.
    """

    url: str = ""
    scheme: str | None = None
    secret: str = ""
    fail: tuple[int, str] | None = None
    delay: float = 0.0
    content_type: str = "application/n-triples"
    graphs: dict[str, bytes] = field(default_factory=dict)
    authorizations: list[str | None] = field(default_factory=list)

    def authorized(self, method: str, header: str | None) -> bool:
        import base64
        import hashlib

        if self.scheme is None:
            return True
        if header is None or not header.startswith(self.scheme + " "):
            return False
        value = header.split(" ", 1)[1]
        if self.scheme == "Basic":
            return base64.b64decode(value).decode() == self.secret
        if self.scheme == "Bearer":
            return value == self.secret
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', value))
        user, _, password = self.secret.partition(":")

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        expected = md5(f"{md5(f'{user}:fake:{password}')}:nonce-1:{fields.get('nc')}:"
                       f"{fields.get('cnonce')}:auth:{md5(method + ':' + fields.get('uri', ''))}")
        return fields.get("username") == user and fields.get("response") == expected


@pytest.fixture
def fake_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStore]:
    """A :class:`FakeStore` on 127.0.0.1, at ``fake_store.url`` (the Graph Store URL)."""
    import threading
    import time
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    _no_proxy_for_localhost(monkeypatch)
    fake = FakeStore()
    challenges = {"Basic": 'Basic realm="fake"', "Bearer": 'Bearer realm="fake"',
                  "Digest": 'Digest realm="fake", qop="auth", nonce="nonce-1", algorithm=MD5'}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            header = self.headers.get("Authorization")
            fake.authorizations.append(header)
            time.sleep(fake.delay)
            if not fake.authorized(self.command, header):
                self.answer(401, b"authentication required\n",
                            {"WWW-Authenticate": challenges[fake.scheme or "Basic"]})
            elif fake.fail is not None:
                self.answer(fake.fail[0], fake.fail[1].encode(), {"Content-Type": "text/plain"})
            else:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                graph = query.get("graph", [""])[0]
                if self.command == "PUT":
                    fake.graphs[graph] = body
                    self.answer(204, b"", {})
                elif graph in fake.graphs:
                    self.answer(200, fake.graphs[graph], {"Content-Type": fake.content_type})
                else:
                    self.answer(404, b"no such graph", {"Content-Type": "text/plain"})

        do_GET = do_PUT = do_POST = handle_any

        def log_message(self, *_: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/store"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- validation: the seed as a writable dataset, the shape fixtures, pySHACL at test speed ----

SHAPE_FIXTURES = REPO / "tests" / "fixtures" / "shapes"


def dataset_copy(quads: object) -> Any:
    """A writable in-memory pyoxigraph store holding the given quads."""
    import pyoxigraph as ox

    store = ox.Store()
    store.extend(quads)  # type: ignore[arg-type]
    return store


@pytest.fixture
def seed_dataset(seed_build: Built) -> Any:
    """A writable in-memory copy of the built seed dataset (ontology graph included)."""
    from sanctions_kg.store import open_read

    return dataset_copy(open_read(seed_build.store).quads_for_pattern(None, None, None, None))


@contextmanager
def cached_sparql_parsing() -> Iterator[None]:
    """rdflib's SPARQL parse and algebra cached by query text, while the block runs.

    pySHACL parses each SHACL-SPARQL query again for every focus node, which dominates its run
    time (about 30 s on the seed). Caching changes its speed, not its results:
    ``test_the_parse_cache_keeps_pyshacl_results`` checks that against uncached pySHACL.
    """
    from functools import lru_cache

    import rdflib.plugins.sparql.processor as processor

    parse, translate = processor.parseQuery, processor.translateQuery
    translated: dict[tuple[object, ...], Any] = {}

    def cached_translate(parsed: Any, base: Any = None, init_ns: Any = None) -> Any:
        key = (id(parsed), base, tuple(sorted((k, str(v)) for k, v in (init_ns or {}).items())))
        if key not in translated:
            translated[key] = translate(parsed, base, init_ns)
        return translated[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processor, "parseQuery", lru_cache(maxsize=None)(parse))
        patch.setattr(processor, "translateQuery", cached_translate)
        yield


@pytest.fixture
def fast_pyshacl() -> Iterator[None]:
    """pySHACL at test speed: see :func:`cached_sparql_parsing`."""
    with cached_sparql_parsing():
        yield
