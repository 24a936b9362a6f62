"""Sign and validate a rendered volume repeatedly; print per-operation medians and documents per second.

    python benchmarks/sign.py [--rounds 20] [--level B-LTA|B-B]

The volumes are those of a 120-student demo school: the last class's summary sheet volume (a title
sheet and a few pages, half of the year-end cases) and its year journal (about 100 pages). Keys are EC
P-256 from the test PKI. B-LTA (the default, as `archiver init` sets it up): the test PKI's TSA signs the
timestamps in-process and the root's CRL is the revocation data, so no network is involved; validation
reads the DSS; renewal adds the newest timestamp's validation data and a new document timestamp. B-B: bare
signatures, for comparison.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from archiver.demo.generator import generate
from archiver.documents.volumes import class_summary_volume, class_year_volume
from archiver.ingest.model import build_export
from archiver.rendering.marks import mark_pdf, signature_box_points
from archiver.rendering.pdfa import page_count, variant
from archiver.rendering.volume import render_volume
from signing import (
    KeySigner,
    LongTerm,
    SignatureRequest,
    TimestampSource,
    load_pkcs12,
    sign_pdf,
    signature_levels,
    validate_pdf,
)
from signing.pki import build_test_pki


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--level", choices=("B-LTA", "B-B"), default="B-LTA")
    args = parser.parse_args()
    export = build_export(generate(120, 1))
    with tempfile.TemporaryDirectory() as tmp:
        pki = build_test_pki(Path(tmp), "http://127.0.0.1:9", datetime.now(UTC))
        seal = load_pkcs12(pki.pkcs12("eseal", b"p"), b"p")
        director = load_pkcs12(pki.pkcs12("director", b"p"), b"p")
        root = pki.cert_der("root")
        tsa = load_pkcs12(pki.pkcs12("tsa", b"p"), b"p")
        long_term = LongTerm(TimestampSource(local=tsa), (root,), (pki.crl_der(),)) if args.level == "B-LTA" else None
    validity = director.certificate["tbs_certificate"]["validity"]
    mark = mark_pdf(director.serial_hex, director.common_name, validity["not_before"].native,
                    validity["not_after"].native, datetime.now(UTC), variant("3b"))  # fmt: skip
    for name, volume in (("class summary sheet", class_summary_volume(export, export.classes[-1])),
                         ("class journal", class_year_volume(export, export.classes[-1]))):  # fmt: skip
        pdf = render_volume(volume, variant("3b")).pdf
        _measure(name, pdf, args.rounds, seal, director, mark, root, long_term)


def _measure(
    name: str,
    pdf: bytes,
    rounds: int,
    seal: KeySigner,
    director: KeySigner,
    mark: bytes,
    root: bytes,
    long_term: LongTerm | None,
) -> None:
    from signing.renew import renew_pdf

    timings: dict[str, list[float]] = {"seal": [], "director (visible mark)": [], "validate (2 signatures)": []}
    if long_term is not None:
        timings["renew (DSS + timestamp)"] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        sealed = sign_pdf(pdf, seal, SignatureRequest("eseal", long_term=long_term))
        t1 = time.perf_counter()
        signed = sign_pdf(sealed, director, SignatureRequest("director", box=signature_box_points(),
                                                             appearance_pdf=mark, long_term=long_term))  # fmt: skip
        t2 = time.perf_counter()
        report = validate_pdf(signed, [root])
        t3 = time.perf_counter()
        assert report.passed, report
        timings["seal"].append(t1 - t0)
        timings["director (visible mark)"].append(t2 - t1)
        timings["validate (2 signatures)"].append(t3 - t2)
        if long_term is not None:
            renew_pdf(signed, long_term)
            timings["renew (DSS + timestamp)"].append(time.perf_counter() - t3)
    levels = ", ".join(f"{f} {lv}" for f, lv in signature_levels(signed).items())
    print(f"{name}: {page_count(pdf)} pages, {len(pdf) / 1024:.0f} KB, {rounds} rounds; signatures: {levels}")
    for step, values in timings.items():
        values.sort()
        median = values[len(values) // 2]
        print(f"  {step:<24}median {median * 1000:6.1f} ms   {1 / median:6.1f} documents/s")


if __name__ == "__main__":
    main()
