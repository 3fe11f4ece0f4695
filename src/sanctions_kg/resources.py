"""Where the bundled ontology, shapes, queries and corpus live.

In a wheel they are packaged under ``sanctions_kg/_resources``; in a source checkout they are
the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def resource_root() -> Path:
    """The folder holding ``ontology/``, ``shapes/``, ``queries/`` and ``data/``."""
    packaged = Path(__file__).resolve().parent / "_resources"
    if (packaged / "ontology").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


def ontology_path() -> Path:
    """The bundled ontology file."""
    return resource_root() / "ontology" / "sanctions.ttl"


def shapes_dir() -> Path:
    """The folder of bundled SHACL shapes."""
    return resource_root() / "shapes"


def queries_dir() -> Path:
    """The folder of bundled named queries."""
    return resource_root() / "queries"


def data_dir() -> Path:
    """The bundled corpus (``articles/``, ``facts/``, ``reference/``)."""
    return resource_root() / "data"


#: The corpus folder a command looks for in the working folder before the bundled one.
LOCAL_DATA = Path("data")


def default_data_dir() -> Path:
    """The corpus a build reads without ``--data``: ``./data`` when it has a ``facts/``,
    ``articles/`` or ``reference/`` folder (a user's corpus, or the bundled one at the root of a
    checkout), else the bundled corpus. Editing ``./data`` and building without ``--data`` must
    not build something else, nor must a corpus whose ``facts/`` is missing or misnamed: the
    build then says that ``data/facts`` has no facts files."""
    if any((LOCAL_DATA / part).is_dir() for part in ("facts", "articles", "reference")):
        return LOCAL_DATA
    return data_dir()
