"""The ``sanctions-kg`` command: a thin layer over the library.

Each command opens what it needs, calls one library function and prints. Errors are caught once,
in :func:`main`: deliberate ones print one line and exit with their code; anything else is a bug
(exit 3; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import SanctionsKGError

app = typer.Typer(
    name="sanctions-kg",
    help="Curated sanctions relationships from news articles as RDF: build, validate, query, load.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder (default: $SANCTIONS_KG_STORE or ./.sanctions-kg/store).",
        show_default=False,
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"sanctions-kg {__version__}")
        raise typer.Exit()


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

    def __enter__(self) -> _ProgressBar:
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
        typer.Option(help="Data folder with articles/, facts/, reference/ (default: bundled).",
                     show_default=False),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder for the RDF files.")] = Path("build"),
    store: StoreOption = None,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Validate before writing anything.")
    ] = True,
) -> None:
    """Map facts files to RDF, write TriG, N-Quads and Turtle, and load the embedded store.

    Nothing is written unless the whole build succeeds: outputs and store stay as they were.

    Example: sanctions-kg build --data data --out build
    """
    from . import resources
    from .build import BuildOptions
    from .build import build as run_build
    from .store import store_path

    options = BuildOptions(
        data_dir=data if data is not None else resources.data_dir(),
        out_dir=out,
        store_dir=store_path(store),
        validate=validate,
    )
    with _ProgressBar() as progress:
        summary = run_build(options, progress=progress)
    noun = "article" if summary.articles == 1 else "articles"
    typer.echo(
        f"Built {summary.articles} {noun}: {summary.entities} entities, {summary.facts} facts, "
        f"{summary.claims} claims, {summary.triples} triples in {summary.seconds:.2f} s"
    )
    for count in summary.graphs:
        typer.echo(f"  {count.triples:>9}  {count.graph}")
    typer.echo(f"Wrote {summary.out_dir}/ and the store {summary.store_dir}")


def main() -> None:
    """Entry point of the ``sanctions-kg`` console script."""
    from typer.exceptions import Abort, Exit, TyperException

    debug = "--debug" in sys.argv[1:]
    try:
        result = app(standalone_mode=False)
    except SanctionsKGError as error:
        report = getattr(error, "report", None)
        if report is not None:
            typer.echo(str(report), err=True)
        for line in str(error).splitlines() or [type(error).__name__]:
            typer.echo(f"error: {line}", err=True)
        sys.exit(error.exit_code)
    except Exit as done:
        sys.exit(done.exit_code)
    except Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except TyperException as usage:
        show = getattr(usage, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {usage.format_message()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as bug:  # the one place unexpected exceptions are caught
        if debug:
            import traceback

            traceback.print_exc()
        typer.echo(
            f"internal error (a bug in sanctions-kg): {type(bug).__name__}: {bug}; "
            "run again with --debug for the traceback and report it",
            err=True,
        )
        sys.exit(3)
    sys.exit(result if isinstance(result, int) else 0)
