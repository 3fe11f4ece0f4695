"""The wheel ships ontology, shapes, queries and data: an installed build works anywhere."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_in_a_fresh_venv_builds_from_an_empty_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=REPO, check=True, capture_output=True,
    )
    (wheel,) = dist.glob("sanctions_kg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for resource in ("ontology/sanctions.ttl", "data/articles/raisi-putin-samarkand-2022.txt",
                     "data/facts/raisi-putin-samarkand-2022.yaml"):
        assert f"sanctions_kg/_resources/{resource}" in names
    assert any(n.startswith("sanctions_kg/_resources/queries/") for n in names)
    assert any(n.startswith("sanctions_kg/_resources/shapes/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True,
    )
    # The dependencies come from the test's own environment (no network in tests).
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([str(venv / "bin" / "sanctions-kg"), "build", "--no-validate"],
                          cwd=empty, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built 1 article")
    assert (empty / "build" / "sanctions-kg.trig").stat().st_size > 10_000
    located = subprocess.run(
        [str(python), "-c", "from sanctions_kg import resources; print(resources.resource_root())"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "_resources" in located and str(REPO) not in located
