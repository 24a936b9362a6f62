"""An installed wheel works outside the checkout: schemas (and later templates, fonts) ship inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # pip builds the wheel and installs it into a new virtual environment


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_carries_the_schema(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "archiver/_data/schemas/journal-export.schema.json" in names
    assert "archiver/_data/templates/archive.css" in names and "archiver/_data/templates/journal.html" in names
    assert "archiver/_data/templates/fonts/PTS55F.ttf" in names
    assert "archiver/_data/templates/fonts/LICENSE-ParaType.txt" in names
    assert "archiver/cli/main.py" in names
    assert not any(name.startswith("tests/") for name in names)


def _site_directories() -> list[str]:
    """The site-packages directories this interpreter imports from (a virtual environment's, the system's, the
    user's): where the tests' dependencies are, however they were installed. Not $PYTHONPATH's entries."""
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def test_installed_wheel_validates_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """The wheel in a new virtual environment of the base interpreter, given the dependencies of the
    environment running the tests (system or virtual) by a .pth file that adds its site directories after
    the venv's own, so the installed wheel comes first; no $PYTHONPATH; run from a directory that is not
    the checkout."""
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)  # not a venv's python: its venv would nest
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, env=environment).stdout.strip()  # fmt: skip
    outer = "".join(f"import site; site.addsitedir({d!r})\n" for d in _site_directories())
    Path(purelib, "zz-outer-environment.pth").write_text(outer, encoding="utf-8")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-index", "--quiet",
         "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, env=environment, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import archiver.resources as r; print(r.data_dir('schemas'))"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    script = venv / "bin" / "archiver"
    assert script.read_text().startswith(f"#!{venv}/bin/python"), "the console script runs the venv's python"
    made = subprocess.run([str(script), "demo-data", "--students", "40", "-o", "s.json"], cwd=work,
                          capture_output=True, text=True, env=environment)  # fmt: skip
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([str(script), "validate", "s.json"], cwd=work, capture_output=True, text=True,
                             env=environment)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    klass = json.loads((work / "s.json").read_text(encoding="utf-8"))["classes"][0]
    name = f"{klass['grade']}{klass['letter']}"
    rendered = subprocess.run([str(script), "render", "s.json", "--class", name, "-o", "v.pdf"], cwd=work,
                              capture_output=True, text=True, env=environment)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert (work / "v.pdf").read_bytes().startswith(b"%PDF-1.7")
