"""The archive's paperwork at the demo school's size: a disposal act over every due quarter copy (proposed,
approved by the director, executed) and the transfer of the year's summary sheets.

    python benchmarks/paperwork.py [--students 1000] [--workers 2] [--dir DIR]

Archives quarters q1 and q2 and the year, signs the year (so every quarter copy is superseded and due),
then prints the seconds of `dispose propose --due`, `dispose approve`, `dispose execute` and `transfer`,
the number of cases and sheets each handled, and the package's size. Uses `archiver init` in a fresh
directory (SQLite catalog, two repositories on this disk, the test PKI: B-LTA with its local TSA).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from archiver.demo.generator import document_json, generate

CLI = [sys.executable, "-c", "from archiver.cli import main; main()"]  # init makes this OS account its admin


def run(directory: Path, *args: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    result = subprocess.run([*CLI, "--json", *args], cwd=directory, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)}: {result.stderr or result.stdout}")
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="paperwork-bench-"))
    subprocess.run([*CLI, "init", "--dir", str(directory)], check=True, capture_output=True)
    config = directory / "archiver.toml"
    config.write_text(config.read_text().replace("workers = 0", f"workers = {args.workers}"))
    pki = directory / "pki"
    for user in (["director", "--role", "director", "--certificate", str(pki / "director.pem")],
                 ["archivist", "--role", "archivist"]):  # fmt: skip
        subprocess.run([*CLI, "users", "add", *user], cwd=directory, check=True, capture_output=True)
    export = directory / "school.json"
    export.write_bytes(document_json(generate(args.students, 1)))
    for period in ("q1", "q2"):
        run(directory, "archive", "quarter", str(export), "--period", period)
    run(directory, "archive", "year", str(export))
    key = ["--key", str(pki / "director.p12"), "--passphrase-file", str(pki / "director.passphrase")]
    run(directory, "--as", "director", "sign", "--pending", *key)

    proposed, propose_s = run(directory, "--as", "archivist", "dispose", "propose", "--due")
    (act,) = proposed["acts"]
    reference = f"{act['school_id']}/{act['number']}"
    _, approve_s = run(directory, "--as", "director", "dispose", "approve", reference, "--yes", *key)
    executed, execute_s = run(directory, "--as", "archivist", "dispose", "execute", reference)
    package = directory / "transfer"
    year = json.loads(export.read_bytes())["academic_year"]["id"].replace("-", "/")
    transferred, transfer_s = run(directory, "--as", "archivist", "transfer", "--kind", "summary", "--year", year,
                                  "--receiver", "Муниципальный архив", "--to", str(package))  # fmt: skip
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    print(f"students              {args.students}")
    print(
        f"dispose propose --due {propose_s:.1f} s ({len(act['cases'])} quarter copies on act № {act['number']};"
        " supersession by the signed journals included)"
    )
    print(f"dispose approve       {approve_s:.1f} s (the draft read and checked, the director's B-LTA signature)")
    print(f"dispose execute       {execute_s:.1f} s ({len(executed['removed'])} cases removed from 2 repositories)")
    print(f"transfer              {transfer_s:.1f} s ({len(transferred['cases'])} summary sheets, "
          f"{transferred['sheets']} sheets; package {size / 1e6:.1f} MB, BagIt 1.0, validated)")  # fmt: skip
    print(f"archive               {directory}")


if __name__ == "__main__":
    main()
