"""Shared fixtures: the seed corpus, a built seed dataset, and running the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def data_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    yield target
