"""The year-end archive of the demo school, end to end: render, seal, store twice, catalogue; then the
director's batch signature of every volume awaiting it.

    python benchmarks/archive.py [--students 1000] [--workers 2] [--dir DIR]

Prints volumes, pages, seconds and peak memory (parent and largest worker), and the seconds of
`archiver sign --pending`. Uses `archiver init` in a fresh directory (SQLite catalog, two repositories on
this disk, the test PKI: B-LTA signatures with its local TSA and the root's CRL).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archiver.demo.generator import document_json, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="archive-bench-"))
    cli = [sys.executable, "-c", "from archiver.cli import main; main()"]  # init makes this OS account its admin
    subprocess.run([*cli, "init", "--dir", str(directory)], check=True, capture_output=True)
    config = directory / "archiver.toml"
    config.write_text(config.read_text().replace("workers = 0", f"workers = {args.workers}"))
    export = directory / "school.json"
    export.write_bytes(document_json(generate(args.students, 1)))
    started = time.perf_counter()
    result = subprocess.run([*cli, "--json", "archive", "year", str(export)], cwd=directory, capture_output=True,
                            text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(result.stderr)
    cases = json.loads(result.stdout)["cases"]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    size = sum(p.stat().st_size for p in (directory / "repositories").rglob("*") if p.is_file())
    print(f"students              {args.students}")
    print(f"volumes               {len(cases)} (sealed, stored in 2 repositories, catalogued)")
    print(f"pages                 {sum(c['sheets'] for c in cases)}")
    print(f"seconds               {seconds:.1f} (workers: {args.workers})")
    print(f"peak memory           {usage.ru_maxrss / 1024:.0f} MB (largest process of the run)")
    print(f"repositories          {size / 1e6:.1f} MB in {directory / 'repositories'}")
    pki = directory / "pki"
    subprocess.run([*cli, "users", "add", "director", "--role", "director", "--certificate", str(pki / "director.pem")],
                   cwd=directory, check=True, capture_output=True)  # fmt: skip
    started = time.perf_counter()
    key = ["--key", str(pki / "director.p12"), "--passphrase-file", str(pki / "director.passphrase")]
    sign = ["sign", "--pending", *key]
    signed = subprocess.run([*cli, "--as", "director", "--json", *sign], cwd=directory, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if signed.returncode != 0:
        sys.exit(signed.stderr)
    count = len(json.loads(signed.stdout)["cases"])
    print(f"director's signature  {seconds:.1f} s for {count} volumes (B-LTA: timestamp, DSS, document timestamp)")


if __name__ == "__main__":
    main()
