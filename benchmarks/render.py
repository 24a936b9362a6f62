"""Render every year-end volume of the demo school: pages, seconds, pages per second, peak memory.

    python benchmarks/render.py [--students 1000] [--workers 2] [--pdfa 3b] [--out DIR]

Peak memory is the resident set of the parent process (which holds the export and joins the parts)
and of the largest rendering worker; forked workers share the parent's pages, so the sum overstates.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from archiver.demo.generator import generate
from archiver.documents.volumes import class_summary_volume, class_year_volume
from archiver.ingest.model import build_export
from archiver.rendering.pdfa import variant
from archiver.rendering.volume import render_volume
from archiver.workers import workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pdfa", default="3b")
    parser.add_argument("--out", type=Path, default=None, help="keep the PDFs here (default: a temporary dir)")
    args = parser.parse_args()

    export = build_export(generate(args.students, 1))
    pdfa = variant(args.pdfa)
    out = args.out or Path(tempfile.mkdtemp(prefix="render-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    volumes = [class_year_volume(export, klass) for klass in export.classes]
    volumes += [class_summary_volume(export, klass) for klass in export.classes]
    built = time.perf_counter()
    pages = size = 0
    class_sheets: list[int] = []
    slowest = (0.0, "")
    with workers(args.workers) as pool:
        for volume in volumes:
            t0 = time.perf_counter()
            rendered = render_volume(volume, pdfa, pool)
            spent = time.perf_counter() - t0
            slowest = max(slowest, (spent, f"{volume.title} ({rendered.total_sheets} sheets)"))
            name = volume.id.replace("/", "_") + ".pdf"
            (out / name).write_bytes(rendered.pdf)
            pages += rendered.total_sheets
            size += len(rendered.pdf)
            if volume.class_id is not None:
                class_sheets.append(rendered.total_sheets)
    finished = time.perf_counter()
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    seconds = finished - built
    print(f"students              {args.students} ({len(export.classes)} classes)")
    print(f"volumes               {len(volumes)} (PDF/A-{pdfa.name}, {args.workers} workers)")
    print(f"pages                 {pages}")
    if class_sheets:
        ordered = sorted(class_sheets)
        print(f"sheets per class vol. median {ordered[len(ordered) // 2]}, min {ordered[0]}, max {ordered[-1]}")
    print(f"documents built in    {built - started:.1f} s")
    print(f"rendered in           {seconds:.1f} s")
    print(f"pages per second      {pages / seconds:.1f}")
    print(f"slowest volume        {slowest[1]}: {slowest[0]:.1f} s")
    print(f"output                {size / 1e6:.1f} MB in {out}")
    print(f"peak memory, parent   {parent:.0f} MB")
    print(f"peak memory, worker   {child:.0f} MB")


if __name__ == "__main__":
    main()
