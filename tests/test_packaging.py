"""An installed wheel works outside the checkout: schemas (and later templates, fonts) ship inside it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def test_installed_wheel_validates_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # System site-packages give the dependencies; the wheel itself is installed into the venv, whose
    # site-packages come first, and the commands run from a directory that is not the checkout.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import archiver.resources as r; print(r.data_dir('schemas'))"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    script = venv / "bin" / "archiver"
    made = subprocess.run(
        [str(script), "demo-data", "--students", "40", "-o", "s.json"], cwd=work, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([str(script), "validate", "s.json"], cwd=work, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    klass = json.loads((work / "s.json").read_text(encoding="utf-8"))["classes"][0]
    name = f"{klass['grade']}{klass['letter']}"
    rendered = subprocess.run([str(script), "render", "s.json", "--class", name, "-o", "v.pdf"], cwd=work,
                              capture_output=True, text=True)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert (work / "v.pdf").read_bytes().startswith(b"%PDF-1.7")
