"""Import a whole school's year from each platform's recorded responses; print seconds, sizes and memory.

The demo school (1,000 students by default) is recorded in each platform's shape (tests/recorded: the same
fixtures the importers' tests use), then `archiver import --from PLATFORM DIR -o export.json` is timed as a
process of its own (reading, converting, validating, writing), with its peak memory.

python benchmarks/import.py [--students 1000] [--platform dnevnik|sgo|mesh ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.recorded, from a checkout

from archiver.demo.generator import generate
from tests.recorded import dnevnik, mesh, sgo

# The CLI in a process of its own, which reports its peak memory (KB) on stderr as it ends.
RUN = ("import atexit, resource, sys; "
       "atexit.register(lambda: print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)); "
       "from archiver.cli.main import main; main()")  # fmt: skip
RECORDERS = {"dnevnik": dnevnik.record, "sgo": sgo.record, "mesh": mesh.record}


def _size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--platform", action="append", choices=sorted(RECORDERS))
    args = parser.parse_args()
    document = generate(args.students, 1)
    print(f"students {args.students}, classes {len(document['classes'])}")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "archiver.toml"
        config.write_text("[input]\nmax_export_mb = 200\n", encoding="utf-8")  # the default
        for platform in args.platform or sorted(RECORDERS):
            source = Path(tmp) / platform
            t0 = time.perf_counter()
            RECORDERS[platform](json.loads(json.dumps(document)), source)
            t1 = time.perf_counter()
            files, size = _size(source)
            output = Path(tmp) / f"{platform}.json"
            ran = subprocess.run(
                [sys.executable, "-c", RUN, "--config", str(config), "import", "--from", platform, str(source),
                 "-o", str(output)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            t2 = time.perf_counter()
            if ran.returncode != 0:
                raise SystemExit(f"{platform}: import failed: {ran.stderr}")
            peak = int(ran.stderr.rsplit("PEAK ", 1)[1])
            print(f"{platform:8} recorded {files:6} files, {size / 1e6:7.1f} MB in {t1 - t0:5.1f} s; "
                  f"imported in {t2 - t1:5.1f} s (export {output.stat().st_size / 1e6:.1f} MB), "
                  f"peak memory {peak / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
