"""Verify throughput beside `openssl dgst -sha256` over the same files, and the full verify's time.

    python benchmarks/verify.py --dir DIR

DIR is an archive made by `python benchmarks/archive.py --dir DIR` (and signed, for the signatures to
count). Prints, for every content file of both repositories: openssl's SHA-256 throughput, ours for the
hash-only part (one process each, the same files, the same run), and the full `verify` (both copies,
every signature, 2 workers) in seconds, MB/s and documents/s; then `verify --due --budget 10s` twice: how
long each run took (the budget ±2 s is the target), how many copies it checked, and whether the second run
went on with the copies the first did not reach.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from archiver.archive.storage.checking import _hash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    files = sorted(p for p in (args.dir / "repositories").rglob("*") if p.is_file() and "/content/" in str(p))
    size = sum(p.stat().st_size for p in files)
    for _ in range(2):  # warm the page cache so both read from memory
        for path in files:
            path.read_bytes()
    t0 = time.perf_counter()
    for start in range(0, len(files), 200):
        subprocess.run(["openssl", "dgst", "-sha256", *map(str, files[start : start + 200])], check=True,
                       capture_output=True)  # fmt: skip
    openssl = time.perf_counter() - t0
    t1 = time.perf_counter()
    for path in files:
        _hash(path, sha512=False)
    ours = time.perf_counter() - t1
    t2 = time.perf_counter()
    result = subprocess.run(["archiver", "--json", "verify"], cwd=args.dir, capture_output=True,
                            text=True)  # fmt: skip
    full = time.perf_counter() - t2
    volumes = sum(1 for p in files if p.name == "volume.pdf")
    print(f"files                 {len(files)} ({size / 1e6:.1f} MB, both repositories)")
    print(f"openssl dgst -sha256  {openssl:.2f} s = {size / 1e6 / openssl:.0f} MB/s")
    print(
        f"verify, hash part     {ours:.2f} s = {size / 1e6 / ours:.0f} MB/s ({openssl / ours * 100:.0f} % of openssl)"
    )
    print(f"verify, everything    {full:.1f} s (exit {result.returncode}): {size / 1e6 / full:.0f} MB/s, "
          f"{volumes / full:.1f} volumes/s incl. every signature")  # fmt: skip
    runs: list[list[tuple[str, str]]] = []
    for run in (1, 2):
        t3 = time.perf_counter()
        budgeted = subprocess.run(["archiver", "--json", "verify", "--due", "--budget", "10s"],
                                  cwd=args.dir, capture_output=True, text=True)  # fmt: skip
        took = time.perf_counter() - t3
        payload = json.loads(budgeted.stdout)
        runs.append([(c["case"], c["repository"]) for c in payload["copies"]])
        print(
            f"verify --due --budget 10s, run {run}: {took:.1f} s wall (interpreter start included), "
            f"{_seconds(payload):.0f} s from the run's start to its end, "
            f"{len(payload['copies'])} copies checked, {payload['remaining']} left (exit {budgeted.returncode})"
        )
    everything = {(c["case"], c["repository"]) for c in json.loads(result.stdout)["copies"]}
    left = everything - set(runs[0])
    began = set(runs[1][: len(left)])
    print(f"run 2 began with the {len(left)} copies run 1 left: {'yes' if began == left else 'NO'}")


def _seconds(payload: dict[str, object]) -> float:
    from datetime import datetime

    started = datetime.fromisoformat(str(payload["started"]))
    return (datetime.fromisoformat(str(payload["finished"])) - started).total_seconds()


if __name__ == "__main__":
    main()
