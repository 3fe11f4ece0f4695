"""The ``sanctions-kg`` command: a thin layer over the library.

Each command opens what it needs, calls one library function and prints. Errors are caught once,
in :func:`main`: deliberate ones print one line and exit with their code; anything else is a bug
(exit 3; ``--debug`` shows the traceback). A reader that stops early (``| head``) ends the command
quietly with exit code 141; a standard output that cannot be written (a full disk) is exit 2.
"""

# No ``from __future__ import annotations`` here, unlike the other modules: typer reads the
# commands' annotations at every start, and annotations kept as text cost it one eval each
# (about 6 ms of the query command's 110 ms, where the import floor is 60 ms).

import errno
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand

from .errors import SanctionsKGError
from .results import (
    DescribeFormat,
    ExportFormat,
    ReportFormat,
    ResultFormat,
    StatsFormat,
    counted,
)
from .severity import Severity

if TYPE_CHECKING:
    from .builder import BuildSummary
    from .validation import ValidationReport

app = typer.Typer(
    name="sanctions-kg",
    help="Curated sanctions relationships from news articles as RDF: build, validate, query, load.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _path(value: str | Path) -> Path:
    """The value of a path option or argument. An empty value is refused: pathlib reads ``""``
    as the current folder, so ``--out "$OUT"`` with an unset variable would write into it."""
    if isinstance(value, Path):
        return value
    if not value:
        raise typer.BadParameter("the path is empty; give a file or folder name")
    return Path(value)


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="DIR",
        parser=_path,
        help="Store folder (default: $SANCTIONS_KG_STORE or ./.sanctions-kg/store).",
        show_default=False,
    ),
]

AuthEnvOption = Annotated[
    str | None,
    typer.Option("--auth-env", metavar="VAR", show_default=False,
                 help="Name of the environment variable holding the server's user:password "
                      "or a bearer token."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", metavar="FILE", show_default=False, parser=_path,
                 help="Write to this file (replaced in one step) instead of stdout."),
]


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"sanctions-kg {__version__}")
        raise typer.Exit()


#: How many article graphs `build` lists one by one.
ARTICLE_GRAPHS_LISTED = 10


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """Curated sanctions relationships from news articles as RDF."""


class _ProgressBar:
    """Draws a progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> "_ProgressBar":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(console=Console(stderr=True), transient=True)
            self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total or None)
        self._progress.update(self._tasks[stage], completed=done)


@app.command()
def build(
    data: Annotated[
        Path | None,
        typer.Option(help="Data folder with articles/, facts/, reference/ (default: ./data when "
                     "it has one of them, else the bundled corpus).",
                     show_default=False, metavar="DIR", parser=_path),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Output folder for the RDF files.", metavar="DIR", parser=_path)
    ] = Path("build"),
    store: StoreOption = None,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Validate before writing anything.")
    ] = True,
) -> None:
    """Map facts files to RDF, write TriG, N-Quads and Turtle, and load the embedded store.

    Nothing is written unless the whole build succeeds: outputs and store stay as they were.

    Example: sanctions-kg build --data data --out build
    """
    from . import interrupts, resources
    from .builder import BuildOptions
    from .builder import build as run_build
    from .errors import shown
    from .store import store_path

    options = BuildOptions(
        # the bundled corpus as seen from here, so that the outputs do not name the checkout
        data_dir=data if data is not None else shown(resources.default_data_dir()),
        out_dir=out,
        store_dir=store_path(store),
        validate=validate,
    )
    # Once the new build is being put in place, Ctrl-C and SIGTERM are held until it is
    # reported.
    with interrupts.guard() as guard:
        with _ProgressBar() as progress:
            summary = run_build(options, progress=progress, guard=guard)
        _tell_build(summary)
    if guard.received:
        what = "SIGTERM" if guard.by_sigterm else "Ctrl-C"
        typer.echo(f"note: {what} came while the new build was being put in place; the build "
                   "is complete", err=True)


def _tell_build(summary: "BuildSummary") -> None:
    """The build's warnings on stderr; its counts, graphs and verdict on stdout."""
    from .namespaces import ARTICLE_GRAPH_PREFIX

    if summary.report is not None:  # warnings and hints do not stop a build
        _tell_results(summary.report)
    typer.echo(
        f"Built {counted(summary.articles, 'article')} from {summary.data_dir}: "
        f"{summary.entities} entities, "
        f"{summary.facts} facts, {summary.claims} claims, {summary.triples} triples in "
        f"{summary.seconds:.2f} s"
    )
    # Every graph but the article graphs after the first ARTICLE_GRAPHS_LISTED (a build of
    # thousands of articles should not print thousands of lines), in the order `stats` lists
    # them; the note on the hidden ones follows the last article graph listed.
    graphs = sorted(summary.graphs, key=lambda count: count.graph)
    hidden = [count.triples for count in graphs
              if count.graph.startswith(ARTICLE_GRAPH_PREFIX)][ARTICLE_GRAPHS_LISTED:]
    articles_seen = 0
    for count in graphs:
        if count.graph.startswith(ARTICLE_GRAPH_PREFIX):
            articles_seen += 1
            if articles_seen > ARTICLE_GRAPHS_LISTED:
                continue
        typer.echo(f"  {count.triples:>9}  {count.graph}")
        if hidden and articles_seen == ARTICLE_GRAPHS_LISTED:
            typer.echo(f"  … and {len(hidden)} more article graphs ({min(hidden)} to "
                       f"{max(hidden)} triples each); `sanctions-kg stats` lists every graph")
            hidden = []
    typer.echo(f"Wrote {summary.out_dir}/ and the store {summary.store_dir}")
    if summary.report is None:
        typer.echo("Not validated (--no-validate); check the store with `sanctions-kg validate`")
    else:
        verdict = summary.report.summary_line()
        typer.echo(verdict[0].upper() + verdict[1:])


def _tell_results(report: "ValidationReport") -> None:
    """The warnings of a build in full, on stderr; its info results (hints, one per reference
    entity without a Wikidata link, thousands in a large corpus) only counted."""
    from .reports import result_blocks

    shown = report.at_or_above(Severity.WARNING)
    if shown.results:
        # without counts of their own: the verdict on stdout counts every result
        typer.echo(result_blocks(shown) + "\n", err=True)
    hints = len(report.results) - len(shown.results)
    if hints:
        typer.echo(f"{counted(hints, 'info result')} (hints) not shown; `sanctions-kg validate` "
                   "lists them", err=True)


@app.command()
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE...", show_default=False, parser=_path,
                       help="RDF files to validate, by extension: .ttl .nt .trig .nq .jsonld "
                            ".rdf .owl .xml (default: the store)."),
    ] = None,
    shapes: Annotated[
        Path | None,
        typer.Option("--shapes", metavar="PATH", show_default=False, parser=_path,
                     help="A shapes file, or a folder of *.ttl shapes (default: the bundled "
                          "shapes)."),
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", help="Report format.")
    ] = ReportFormat.TEXT,
    fail_on: Annotated[
        Severity,
        typer.Option("--fail-on", help="Exit 1 when a result is at least this severe."),
    ] = Severity.VIOLATION,
    output: OutputOption = None,
    store: StoreOption = None,
) -> None:
    """Check the store, or RDF files, against the SHACL shapes and report every result.

    Exit 0 when no result is at or above --fail-on, 1 when one is, 2 for an input error (a
    missing file, an RDF syntax error). Results name the facts file and line a node came from.

    Example: sanctions-kg validate --format github --fail-on warning
    """
    from . import resources
    from .atomic import same_file
    from .errors import UsageError, ValidationFailed
    from .reports import render, write_report
    from .store import store_path
    from .validation import validate_files, validate_store_dir

    ontology = resources.ontology_path()
    if files and store is not None:
        raise UsageError("give RDF files or --store, not both")
    if output is not None and files and same_file(output, files):
        raise UsageError(
            f"{output}: --output is one of the files being validated; choose another path"
        )
    if files:
        report = validate_files(files, shapes=shapes, ontology=ontology)
    else:
        report = validate_store_dir(store_path(store), shapes=shapes, ontology=ontology)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    text = render(report, format, fail_on=fail_on)
    if output is not None:
        write_report(text, output)
    else:
        typer.echo(text, nl=False)
    if report.count_at_or_above(fail_on):
        raise ValidationFailed(report.summary_line(fail_on))
    typer.echo(report.summary_line(fail_on), err=True)


@app.command()
def push(
    graph_store: Annotated[
        str,
        typer.Option("--graph-store", metavar="URL", show_default=False,
                     help="The triplestore's SPARQL Graph Store Protocol URL "
                          "(Oxigraph: http://localhost:7878/store)."),
    ],
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", metavar="URL", show_default=False,
                     help="Its SPARQL query URL, to verify the counts "
                          "(default: read each graph back)."),
    ] = None,
    auth_env: AuthEnvOption = None,
    store: StoreOption = None,
    timeout: Annotated[
        float,
        typer.Option(metavar="SECONDS",
                     help="Time allowed for each network operation; 0 for no limit."),
    ] = 30.0,
    prune: Annotated[
        bool,
        typer.Option("--prune",
                     help="Then delete the server's sanctions-kg graphs that the store does not "
                          "have (needs --endpoint); other graphs are never touched."),
    ] = False,
) -> None:
    """Upload every named graph of the store to a triplestore and verify the triple counts.

    Each graph replaces the graph of the same name on the server (Graph Store Protocol PUT),
    so pushing twice leaves the same content, and rerunning an interrupted push completes it.
    With --prune the server then mirrors the store: graphs of articles removed from the corpus
    are deleted there too.

    Example: sanctions-kg push --graph-store http://localhost:7878/store --endpoint http://localhost:7878/query
    """
    from .namespaces import GRAPH
    from .remote import PushProgress, PushStage
    from .remote import push as run_push
    from .store import store_path

    with _ProgressBar() as bar:

        def progress(event: PushProgress) -> None:
            bar(event.graph.removeprefix(GRAPH), event.sent, event.size)
            if event.stage is PushStage.DONE and not sys.stderr.isatty():
                typer.echo(f"pushed {event.number}/{event.graphs} <{event.graph}>", err=True)

        report = run_push(store_path(store), graph_store=graph_store, endpoint=endpoint,
                          auth_env=auth_env, timeout=timeout, progress=progress,
                          prune=prune)
    typer.echo(f"Pushed {counted(len(report.graphs), 'graph')} to {report.graph_store} in "
               f"{report.seconds:.2f} s; counts checked {report.verification.value} "
               f"{report.verified_at}:")
    typer.echo(f"  {'local':>9} {'remote':>9}  graph")
    for graph in report.graphs:
        typer.echo(f"  {graph.local_triples:>9} {graph.remote_triples:>9}  {graph.graph}")
    typer.echo(f"  {report.local_triples:>9} {report.remote_triples:>9}  total")
    if prune:
        typer.echo(f"Removed {counted(len(report.removed), 'graph')} that the store does not have"
                   + (":" if report.removed else "."))
        for removed in report.removed:
            typer.echo(f"  {removed}")


@app.command()
def query(
    text: Annotated[
        str | None,
        typer.Argument(metavar="QUERY", show_default=False,
                       help="SPARQL query text (or use --file or --name)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", metavar="FILE", show_default=False, parser=_path,
                     help="Read the query from a file ('-' for stdin)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", show_default=False,
                     help="Run a named query (see `sanctions-kg queries`)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="NAME=VALUE", show_default=False,
                     help="Set a parameter the query declares; repeatable."),
    ] = None,
    format: Annotated[
        ResultFormat | None,
        typer.Option("--format", show_default=False,
                     help="Output format (default: turtle for CONSTRUCT and DESCRIBE; for "
                          "SELECT and ASK a table on a terminal, tsv otherwise)."),
    ] = None,
    store: StoreOption = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", metavar="URL", show_default=False,
                     help="Query this SPARQL 1.1 Protocol endpoint instead of the store."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS",
                     help="End the query after this long (exit 2); 0 for no limit."),
    ] = 30.0,
    auth_env: AuthEnvOption = None,
) -> None:
    """Run a read-only SPARQL query on the store or on an endpoint and print the results.

    The default graph is the union of all named graphs (GRAPH reaches single graphs); the
    prefixes skg, skgid, rdf, rdfs, owl, xsd, skos, dcterms, prov, oa, schema, org, time, sh
    and wd are predeclared. SELECT and ASK give table, csv, tsv, json or xml; CONSTRUCT and
    DESCRIBE give turtle, ntriples or jsonld. Updates are refused.

    Example: sanctions-kg query 'SELECT ?s WHERE { ?s a skg:Sanction }' --format csv
    """
    from . import queries
    from .atomic import all_or_nothing, is_regular_file

    chosen = queries.choose(text, file=file, name=name)
    target = queries.target(store, endpoint, timeout=timeout, auth_env=auth_env)
    terminal = sys.stdout.isatty()
    # Redirected to a file, the results are written once the query has succeeded; a terminal
    # and a pipe (| head) get them as they come.
    held = is_regular_file(sys.stdout)
    with (all_or_nothing(sys.stdout.buffer) if held else nullcontext(sys.stdout.buffer)) \
            as out, queries.watchdog(timeout, target):
        notes = queries.run(chosen, out, target=target,
                            params=queries.parse_assignments(param or []),
                            result_format=format, terminal=terminal)
    for note in notes:
        typer.echo(f"note: {note}", err=True)


@app.command("queries")
def list_queries() -> None:
    """List the named queries: name, title, the question each answers, and its parameters.

    A table on a terminal, tab-separated values (with a header line) otherwise. Parameters are
    listed with their defaults (state=state/iran); give another value to `query --name` with
    --param state=russia. The query file's header says what each one means.

    Example: sanctions-kg queries
    """
    from .queries import catalogue
    from .results import write_rows

    rows = [[q.name or "", q.title, q.question,
             " ".join(f"{p.name}={p.default}" for p in q.parameters)]
            for q in catalogue()]
    write_rows(["name", "title", "question", "parameters"], rows, sys.stdout,
               rich=sys.stdout.isatty(), terminal=True, unbroken=["name"])


@app.command()
def export(
    format: Annotated[
        ExportFormat,
        typer.Option("--format", help="RDF format; turtle, ntriples and rdfxml without "
                                      "--graph hold the union of all graphs."),
    ] = ExportFormat.TRIG,
    graph: Annotated[
        str | None,
        typer.Option("--graph", metavar="IRI", show_default=False,
                     help="Only this named graph: a full IRI, or ontology, reference, "
                          "article/<id>."),
    ] = None,
    output: OutputOption = None,
    store: StoreOption = None,
) -> None:
    """Write the store's dataset, or one graph, as RDF: graphs in a fixed order, sorted.

    The same store always gives the same bytes.

    Example: sanctions-kg export --format nquads --output dataset.nq
    """
    from .results import export as run_export
    from .store import open_read, store_path

    summary = run_export(open_read(store_path(store)),
                         output if output is not None else sys.stdout.buffer,
                         export_format=format, graph=graph)
    if summary.output is not None:
        kind = "quads" if format.keeps_graphs else "triples"
        graphs = counted(len(summary.graphs), "graph")
        typer.echo(f"Wrote {summary.statements} {kind} from {graphs} to {summary.output}")


@app.command()
def stats(
    store: StoreOption = None,
    format: Annotated[StatsFormat, typer.Option("--format", help="Output format.")]
    = StatsFormat.TABLE,
) -> None:
    """Count what the store holds: triples per graph, instances per class, facts and claims
    per article.

    Example: sanctions-kg stats --format json
    """
    from .inspect import stats as run_stats
    from .store import open_read, store_path

    result = run_stats(open_read(store_path(store)))
    if format is StatsFormat.JSON:
        typer.echo(result.to_json(), nl=False)
    else:
        result.write_tables(sys.stdout, terminal=sys.stdout.isatty())


class _PlainArguments(TyperCommand):
    """A command whose usage line writes a required argument ENTITY, as click and the README
    do; typer writes {ENTITY}."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
                for piece in super().collect_usage_pieces(ctx)]


@app.command(cls=_PlainArguments)
def describe(
    entity: Annotated[
        str,
        typer.Argument(metavar="ENTITY", show_default=False,
                       help="An IRI, prefixed name (skg:Sanction), id path (state/iran), "
                            "slug (iran) or label (Islamic Republic of Iran)."),
    ],
    store: StoreOption = None,
    format: Annotated[DescribeFormat, typer.Option("--format", help="Output format.")]
    = DescribeFormat.TEXT,
) -> None:
    """Show everything the graph says about an entity across articles.

    Its own properties, then every fact and claim that links to it (directly or through a
    claim's content), each with its type, the linking property, its article and the
    supporting quotes with their character offsets.

    Example: sanctions-kg describe iran
    """
    from .inspect import describe as run_describe
    from .store import open_read, store_path

    description = run_describe(open_read(store_path(store)), entity)
    text = description.to_json() if format is DescribeFormat.JSON else description.to_text()
    typer.echo(text, nl=False)


#: The exit code when the reader of stdout went away (``| head``): 128 + SIGPIPE (13), what the
#: shell reports for a Unix tool ended by SIGPIPE, and apart from 1 (validation failed).
EXIT_OUTPUT_CLOSED = 141


def _output_closed() -> NoReturn:
    """End quietly because the reader of stdout closed the pipe, as the Python documentation
    recommends (signal module, "Note on SIGPIPE").

    Output still buffered goes to devnull, so that the flush at exit cannot fail again. SIGPIPE
    stays ignored: a connection closed in the middle of a push must stay a reported error.
    """
    with suppress(OSError, ValueError):  # stdout may have no file descriptor (tests, embedding)
        _devnull_at(sys.stdout.fileno())
    sys.exit(EXIT_OUTPUT_CLOSED)


def _devnull_at(descriptor: int) -> None:
    """Point a file descriptor at devnull: what is written to it is dropped without error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    if devnull != descriptor:
        os.dup2(devnull, descriptor)
        os.close(devnull)


class OutputClosedError(OSError):
    """Standard output was closed before the command started (``>&-``)."""


class _ClosedStream(io.BufferedIOBase):
    """Stands for a standard output closed at start: every write fails at once (like
    ``ls >&-``), rather than an internal error where a command reaches for
    ``sys.stdout.buffer``, or output that is silently lost."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OutputClosedError(errno.EBADF, "standard output is closed")


@contextmanager
def _stderr_may_be_closed() -> Iterator[None]:
    """Write to stderr in the block. When stderr is a closed pipe too (``cmd 2>&1 | head``),
    what is written is lost but the exit code is not: stderr then goes to devnull."""
    try:
        yield
        if sys.stderr is not None:
            sys.stderr.flush()
    except OSError:
        with suppress(OSError, ValueError):
            _devnull_at(sys.stderr.fileno())


def _tell(*lines: str) -> None:
    """Write lines to stderr (see ``_stderr_may_be_closed``)."""
    with _stderr_may_be_closed():
        for line in lines:
            typer.echo(line, err=True)


def _checked_stdout() -> None:
    """Put standard output on a :class:`CheckedFile`, so that a failed write (a full disk, an
    I/O error) is reported as the output's (exit 2), not as a bug. Same encoding and buffering
    as before; left alone when stdout was replaced already (tests, embedding)."""
    from .atomic import CheckedFile

    stdout = sys.stdout
    if stdout is not sys.__stdout__ or not isinstance(stdout, io.TextIOWrapper):
        return
    try:
        descriptor = stdout.fileno()
    except (OSError, ValueError):
        return
    stdout.flush()
    raw = CheckedFile(descriptor, "wb", closefd=False)
    unbuffered = isinstance(stdout.buffer, io.RawIOBase)  # python -u, PYTHONUNBUFFERED
    sys.stdout = io.TextIOWrapper(
        raw if unbuffered else io.BufferedWriter(raw), encoding=stdout.encoding,
        errors=stdout.errors, line_buffering=stdout.line_buffering,
        write_through=stdout.write_through,
    )


def main() -> None:
    """Entry point of the ``sanctions-kg`` console script."""
    closed = sys.stdout is None  # started with stdout closed (>&-)
    if closed:
        with suppress(OSError):  # hold descriptor 1, so that no file opened later gets it
            _devnull_at(1)
        sys.stdout = io.TextIOWrapper(_ClosedStream(), encoding="utf-8", write_through=True)
    else:
        _checked_stdout()
    try:
        _main()
    finally:
        if closed:  # nothing left for the flush at exit to fail on
            sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        else:
            _flush_or_drop()


def _flush_or_drop() -> None:
    """Flush stdout now; output that cannot be written (a command failed meanwhile with its own
    message) is dropped, rather than an "Exception ignored" at exit that changes the exit code."""
    try:
        sys.stdout.flush()
    except OSError:
        _drop_stdout()


def _drop_stdout() -> None:
    """Point standard output at /dev/null: what is still buffered there cannot be written, and
    would only fail again at exit."""
    with suppress(OSError, ValueError):
        _devnull_at(sys.stdout.fileno())


def _raised_by_ctrl_c(error: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt being handled when an exception was raised, if any: Ctrl-C
    inside ``threading.Condition.wait`` (a full queue's ``put``) leaves its lock released, and
    the block around it then fails with "cannot release un-acquired lock" in place of the
    interrupt. The cleanup ran either way; it is an interruption, not a bug."""
    seen: set[int] = set()
    context: BaseException | None = error
    while context is not None and id(context) not in seen:
        if isinstance(context, KeyboardInterrupt):
            return context
        seen.add(id(context))
        context = context.__context__
    return None


def _stopped(interruption: BaseException | None) -> NoReturn:
    """End the process as a stop signal asks: Ctrl-C 130, SIGTERM 143 (128 + the signal)."""
    from .interrupts import Terminated

    if isinstance(interruption, Terminated):
        _tell("terminated")
        sys.exit(143)
    _tell("interrupted")
    sys.exit(130)


def _main() -> None:
    from typer.exceptions import Abort, Exit, TyperException

    from .atomic import WriteError

    debug = "--debug" in sys.argv[1:]
    try:
        result = app(standalone_mode=False)
        sys.stdout.flush()  # a closed pipe must show here, not in the flush at exit
    except BrokenPipeError:
        _output_closed()
    except OutputClosedError:
        _tell("error: standard output is closed; redirect it (> file) or give --output where "
              "the command has one")
        sys.exit(2)
    except WriteError as failed:  # only standard output's writes raise it unreported
        _drop_stdout()
        reason = os.strerror(failed.errno) if failed.errno else str(failed)
        _tell(f"error: cannot write to standard output: {reason}")
        sys.exit(2)
    except SystemExit as ended:  # typer turns a broken pipe in a command into SystemExit(1)
        if not isinstance(ended.__context__, BrokenPipeError):
            raise
        _output_closed()
    except SanctionsKGError as error:
        report = getattr(error, "report", None)
        if report is not None:  # a build that failed validation: shown as a passing one shows it
            _tell_results(report)
        _tell(*(f"error: {line}" for line in str(error).splitlines() or [type(error).__name__]))
        sys.exit(error.exit_code)
    except Exit as done:
        sys.exit(done.exit_code)
    except Abort:
        _tell("aborted")
        sys.exit(130)
    except TyperException as usage:
        _hint_at_debug(usage)
        show = getattr(usage, "show", None)
        if callable(show):
            with _stderr_may_be_closed():
                show()
        else:
            _tell(f"error: {usage.format_message()}")
        sys.exit(2)
    except KeyboardInterrupt as interruption:
        _stopped(interruption)
    except Exception as bug:  # the one place unexpected exceptions are caught
        if cause := _raised_by_ctrl_c(bug):
            _stopped(cause)
        from .store import damaged

        if (damage := damaged(bug)) is not None:
            _tell(f"error: {damage}")
            sys.exit(damage.exit_code)
        if debug:
            import traceback

            with _stderr_may_be_closed():
                traceback.print_exc()
        advice = ("report it with the traceback above" if debug else
                  "run again with --debug for the traceback and report it")
        _tell(f"internal error (a bug in sanctions-kg): {type(bug).__name__}: {bug}; {advice}")
        sys.exit(3)
    if result == 130:  # typer turns Ctrl-C (and SIGTERM) inside a command into exit code 130
        from . import interrupts

        _stopped(interrupts.Terminated() if interrupts.terminated else None)
    sys.exit(result if isinstance(result, int) else 0)


def _hint_at_debug(usage: Exception) -> None:
    """``--debug`` is an option of ``sanctions-kg`` itself: given after the command, say where
    it goes instead of only that the command has no such option."""
    context = getattr(usage, "ctx", None)
    if getattr(usage, "option_name", None) != "--debug" or context is None:
        return
    usage.message = (  # type: ignore[attr-defined]
        f"No such option: --debug; put --debug before the command: "
        f"sanctions-kg --debug {context.info_name} …"
    )
