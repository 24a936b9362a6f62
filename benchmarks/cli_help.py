"""How long `archiver --help` takes in a fresh process: the interpreter's start-up and the CLI's imports, the
wait before any command does anything.

    python benchmarks/cli_help.py [--runs 10]

Prints the minimum and the median over the runs, in seconds, for `python -c "from archiver.cli import main;
main()" --help` (this interpreter) and for the `archiver` console script when one is on PATH; and, for
comparison, a bare `python -c pass`. One untimed run first warms the file cache.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _timed(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, check=True, capture_output=True)  # warm-up: files in the page cache, .pyc written
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def _line(label: str, seconds: list[float]) -> str:
    return f"{label:<38} min {min(seconds):.3f} s   median {statistics.median(seconds):.3f} s   ({len(seconds)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(_line("python -c pass", _timed([sys.executable, "-c", "pass"], args.runs)))
    entry = [sys.executable, "-c", "from archiver.cli import main; main()", "--help"]
    print(_line("python -c 'main()' --help", _timed(entry, args.runs)))
    script = shutil.which("archiver")
    if script is None:
        print("archiver --help                        (no `archiver` console script on PATH)")
    else:
        print(_line("archiver --help", _timed([script, "--help"], args.runs)))


if __name__ == "__main__":
    main()
