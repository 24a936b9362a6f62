"""Generate, write, read and validate the demo school's export; print seconds and sizes.

python benchmarks/export.py [--students 1000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from archiver.demo.generator import generate, write_document
from archiver.ingest.importers import load_export
from archiver.ingest.validation import check_schema, check_semantics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "school.json"
        t0 = time.perf_counter()
        document = generate(args.students, 1)
        t1 = time.perf_counter()
        write_document(document, path)
        t2 = time.perf_counter()
        assert check_schema(document) == ()
        t3 = time.perf_counter()
        assert check_semantics(document) == ()
        t4 = time.perf_counter()
        export = load_export(path)
        t5 = time.perf_counter()
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"students            {args.students}")
    print(f"classes             {len(export.classes)}")
    print(f"export size         {size / 1e6:.1f} MB")
    print(f"generate            {t1 - t0:.2f} s")
    print(f"write               {t2 - t1:.2f} s")
    print(f"schema check        {t3 - t2:.2f} s")
    print(f"semantic check      {t4 - t3:.2f} s")
    print(f"load (read+validate+model) {t5 - t4:.2f} s")
    print(f"peak memory         {peak:.0f} MB")


if __name__ == "__main__":
    main()
