"""Safe defaults for input: no object construction from YAML, no text outside the data folder,
a size limit, and bounded time and memory for hostile YAML (deep nesting, alias bombs)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import CLI
from sanctions_kg.errors import InputError
from sanctions_kg.sources import MAX_FILE_BYTES, load_yaml
from test_facts import MINI, make_data

#: Peak resident memory allowed to a build refusing hostile input (an ordinary build: ~90 MB).
MEMORY_LIMIT = 300 * 1024 * 1024


@dataclass(frozen=True)
class Measured:
    """A CLI run with its duration and the peak resident memory of the process."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int


#: Runs a command as its own child and writes the child's exit status and peak RSS (KiB) to the
#: file named first. The command is not started from the test process itself: Linux carries the
#: peak RSS of the process that forks over the exec into the child's figure, so a test process
#: grown past the limit (a few hundred MB by the end of the suite) made every figure as large.
MEASURE = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(*args: str | Path, cwd: Path | None = None) -> Measured:
    """Run the CLI and read its own peak RSS from wait4, in a small process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "SANCTIONS_KG_STORE"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", MEASURE, report, str(CLI), *map(str, args)],
                       stdout=out, stderr=err, cwd=cwd, env=env, check=True)
        seconds = time.perf_counter() - started
        code, peak = map(int, report.read_text().split())
        out.seek(0)
        err.seek(0)
        return Measured(code, out.read().decode(), err.read().decode(), seconds, peak * 1024)


def build(data: Path, root: Path) -> Measured:
    return run_measured("build", "--no-validate", "--data", data, "--out", root / "out",
                        "--store", root / "store", cwd=root)


def assert_nothing_written(root: Path) -> None:
    assert not (root / "out").exists()
    assert not (root / "store" / "current").exists()


# --- YAML is composed safely: no object construction ---------------------------------------

TAGGED = [
    ('!!python/object/apply:os.system ["touch PWNED"]', "!!python/object/apply:os.system"),
    ('!!python/object/apply:os.system "touch PWNED"', "!!python/object/apply:os.system"),
    ('!!python/object/new:subprocess.Popen [["touch", "PWNED"]]',
     "!!python/object/new:subprocess.Popen"),
    ("!!python/name:os.system", "!!python/name:os.system"),
    ('!custom "touch PWNED"', "!custom"),
]


@pytest.mark.parametrize(("value", "tag"), TAGGED, ids=[t[1] for t in TAGGED])
def test_python_tags_construct_nothing_and_are_refused(
    tmp_path: Path, value: str, tag: str
) -> None:
    facts = MINI.replace("    type: Sanction\n", f"    type: Sanction\n    note: {value}\n")
    data = make_data(tmp_path, facts)
    result = build(data, tmp_path)
    assert not list(tmp_path.rglob("PWNED"))
    assert result.code == 2
    assert result.stderr == (
        f"error: {data}/facts/mini.yaml:8:11: unsupported YAML tag '{tag}'; remove it "
        "(facts and reference files hold plain values only)\n"
    )
    assert_nothing_written(tmp_path)


def test_a_python_tag_in_a_reference_file_is_refused(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI)
    states = data / "reference" / "states.yaml"
    states.write_text(states.read_text(encoding="utf-8") + "  - !!python/object/apply:os.system "
                      '["touch PWNED"]\n', encoding="utf-8")
    result = build(data, tmp_path)
    assert not list(tmp_path.rglob("PWNED"))
    assert result.code == 2
    assert f"error: {states}:" in result.stderr
    assert "unsupported YAML tag '!!python/object/apply:os.system'" in result.stderr


# --- a facts file cannot reach outside its data folder -------------------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret" / "secret.txt"
    path.parent.mkdir()
    path.write_text("slapped crippling sanctions on the country. Tehran will never recognize "
                    "the sanctions against Russia. Top secret.\n", encoding="utf-8")
    return path


def outside_paths(data: Path, secret: Path) -> dict[str, tuple[str, str]]:
    """text: value → the message it gets."""
    escape = ("must be relative to the data folder and stay inside it "
              "(no absolute paths, no '..')")
    (data / "articles" / "link.txt").symlink_to(secret)
    (data / "articles" / "outside").symlink_to(secret.parent, target_is_directory=True)
    return {
        "parent": ("../secret/secret.txt", escape),
        "parent inside a path": ("articles/../../secret/secret.txt", escape),
        "absolute": (str(secret), escape),
        "backslashes": ("articles\\..\\..\\secret\\secret.txt", escape),
        "symlinked file": ("articles/link.txt", "leads outside the data folder"),
        "symlinked folder": ("articles/outside/secret.txt", "leads outside the data folder"),
    }


@pytest.mark.parametrize("case", ["parent", "parent inside a path", "absolute", "backslashes",
                                  "symlinked file", "symlinked folder"])
def test_a_text_path_cannot_leave_the_data_folder(tmp_path: Path, secret: Path, case: str) -> None:
    data = make_data(tmp_path, MINI)
    text, message = outside_paths(data, secret)[case]
    quoted = yaml.safe_dump(text).splitlines()[0]
    (data / "facts" / "mini.yaml").write_text(
        MINI.replace("text: articles/mini.txt", f"text: {quoted}"), encoding="utf-8"
    )
    result = build(data, tmp_path)
    assert result.code == 2, result.stderr
    assert result.stderr == f"error: {data}/facts/mini.yaml:3:9: text path '{text}' {message}\n"
    assert "Top secret" not in result.stdout + result.stderr
    assert_nothing_written(tmp_path)


# --- size limit, deep nesting, alias bombs: bounded time and memory ------------------------


def test_max_file_bytes_is_16_mib() -> None:
    assert MAX_FILE_BYTES == 16 * 1024 * 1024


@pytest.mark.parametrize("which", ["facts", "article text"])
def test_a_50_mb_file_is_refused_quickly_without_reading_it(tmp_path: Path, which: str) -> None:
    data = make_data(tmp_path, MINI)
    big = data / "facts" / "mini.yaml" if which == "facts" else data / "articles" / "mini.txt"
    line = b"  - just a long line of the file, repeated until it is fifty megabytes\n"
    with big.open("ab") as handle:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    size = big.stat().st_size
    assert size > 50 * 1024 * 1024
    result = build(data, tmp_path)
    assert result.code == 2
    assert result.stderr == (
        f"error: {big}:1: the file has {size} bytes, over the limit of {MAX_FILE_BYTES} bytes; "
        "split it into several files\n"
    )
    assert result.peak_bytes < MEMORY_LIMIT, result.peak_bytes
    assert result.seconds < 30
    assert_nothing_written(tmp_path)


def test_10000_levels_of_nesting_are_a_located_error(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI + "deep: " + "[" * 10_000 + "]" * 10_000 + "\n")
    result = build(data, tmp_path)
    assert result.code == 2
    assert result.stderr.startswith(f"error: {data}/facts/mini.yaml:18:")
    assert "nest" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.peak_bytes < MEMORY_LIMIT
    assert_nothing_written(tmp_path)


def test_nesting_deeper_than_64_levels_is_refused_by_the_loader(tmp_path: Path) -> None:
    data = make_data(tmp_path, MINI + "deep: " + "[" * 500 + "]" * 500 + "\n")
    result = build(data, tmp_path)
    assert result.code == 2
    assert result.stderr == (
        f"error: {data}/facts/mini.yaml:18:71: the YAML is nested too deeply; flatten it\n"
    )


def test_deep_nesting_without_libyaml_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)  # the pure-Python parser recurses
    path = tmp_path / "deep.yaml"
    path.write_text("deep: " + "[" * 3_000 + "]" * 3_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    assert str(caught.value) == f"{path}:1: the YAML is nested too deeply; flatten it"


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs": each level a list of nine aliases of the one before (9**9 leaves)."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_a_clear_error_in_bounded_time_and_memory(tmp_path: Path) -> None:
    bomb = "".join(f"      {line}\n" for line in alias_bomb().splitlines())
    facts = MINI.replace("    type: Sanction\n", f"    type: Sanction\n    note:\n{bomb}")
    data = make_data(tmp_path, facts)
    result = build(data, tmp_path)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith(f"error: {data}/facts/mini.yaml:9:")
    assert "Traceback" not in result.stderr
    assert result.peak_bytes < MEMORY_LIMIT
    assert result.seconds < 30
    assert_nothing_written(tmp_path)


def test_an_alias_bomb_loads_as_shared_nodes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    started = time.perf_counter()
    root = load_yaml(path)
    assert time.perf_counter() - started < 5
    assert isinstance(root.value, dict)
    top = root.value["lol9"]
    assert isinstance(top.value, list) and len(top.value) == 9
    assert all(item is root.value["lol8"] for item in top.value)
