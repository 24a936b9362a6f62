"""PAdES B-LTA in the archive: what `archiver init` sets up (a local TSA, the root's CRL) gives every volume
signatures that validators no one here wrote accept at their default settings, and the long-term evidence
is checked, reported and repaired like any other stored byte."""

from __future__ import annotations

import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signing import signature_levels, validate_pdf
from tests.clirun import Ran, run_cli

CASE = "school-2~2025-2026~c-5a~journal"
CRL_PORT = 8089  # the test PKI's certificates name http://127.0.0.1:8089/… as their CRL distribution point


def _cli(site: Path, *args: str, user: str = "archivist") -> Ran:
    return run_cli(*args, config=site / "archiver.toml", user=user)


def _heads(site: Path, repository: str = "primary") -> dict[str, Path]:
    """Each case's head volume in one repository, by case id."""
    out: dict[str, Path] = {}
    for inventory_path in sorted((site / "repositories" / repository).glob("*/inventory.json")):
        inventory = json.loads(inventory_path.read_bytes())
        state = inventory["versions"][inventory["head"]]["state"]
        digest = next((d for d, paths in state.items() if "volume.pdf" in paths), None)
        if digest is not None:
            out[inventory_path.parent.name] = inventory_path.parent / inventory["manifest"][digest][0]
    return out


@pytest.fixture
def site(archived: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(archived, copy, symlinks=True)
    return copy


@pytest.fixture
def published_crl(archived: Path, tmp_path: Path) -> Iterator[str]:
    """The test root's CRL published where its certificates say it is, as a CA publishes it: a validator
    that fetches revocation data (pyHanko's CLI does by default) finds it there."""
    root = tmp_path / "www"
    place = root / "archiver-test" / "crls" / "root"
    place.mkdir(parents=True)
    shutil.copyfile(archived / "pki" / "root.crl", place / "latest.crl")
    handler = functools.partial(_QuietHandler, directory=str(root))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", CRL_PORT), handler)
    except OSError as exc:
        pytest.fail(f"port {CRL_PORT}, where the test certificates' CRL is published, is taken: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{CRL_PORT}/archiver-test/crls/root/latest.crl"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def test_init_sets_up_b_lta_with_a_local_tsa_and_the_roots_crl(archived: Path) -> None:
    config = (archived / "archiver.toml").read_text()
    assert 'level = "B-LTA"' in config and 'tsa_key = "pki/tsa.p12"' in config and 'crls = ["pki/root.crl"]' in config
    assert (archived / "pki" / "tsa.p12").stat().st_mode & 0o077 == 0
    heads = _heads(archived)
    assert heads
    for case, volume in heads.items():
        assert set(signature_levels(volume.read_bytes()).values()) == {"B-LTA"}, case


def test_pyhankos_own_cli_at_its_default_settings_says_valid(archived: Path, published_crl: str) -> None:
    if shutil.which("pyhanko") is None:
        pytest.skip("pyHanko's CLI is not installed (pip install pyhanko-cli)")
    root = archived / "pki" / "root.pem"
    for case, volume in _heads(archived).items():
        ran = subprocess.run(["pyhanko", "sign", "validate", "--trust", str(root), str(volume)],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert ran.returncode == 0, (case, ran.stdout, ran.stderr)
        lines = [line for line in ran.stdout.splitlines() if line.strip()]
        fields = [line.split(":")[0] for line in lines]
        assert fields and set(fields) <= {"eseal", "director"}, ran.stdout
        for line in lines:
            assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>," in line, (case, line)


def test_an_approved_disposal_act_validates_with_pyhankos_cli_and_pdfsig(
    site: Path, published_crl: str, tmp_path: Path
) -> None:
    """The director's approval of a disposal act (#15) as tools no one here wrote see it: both signatures
    (the e-seal's, the director's) intact and trusted, each with its timestamp."""
    if shutil.which("pyhanko") is None or shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.skip("pyHanko's CLI, poppler's pdfsig or NSS's certutil is not installed")
    small = Path(__file__).parent / "data" / "small_school.json"
    assert _cli(site, "archive", "quarter", str(small), "--period", "q1", user="admin").returncode == 0
    assert _cli(site, "dispose", "propose", "--due").returncode == 0  # q1: superseded by the signed journal
    pki = site / "pki"
    approved = _cli(site, "dispose", "approve", "1", "--key", str(pki / "director.p12"), "--passphrase-file",
                    str(pki / "director.passphrase"), user="director")  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    act = _heads(site)["school-2~acts"]
    ran = subprocess.run(["pyhanko", "sign", "validate", "--trust", str(pki / "root.pem"), str(act)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 0, (ran.stdout, ran.stderr)
    lines = [line for line in ran.stdout.splitlines() if line.strip()]
    assert [line.split(":")[0] for line in lines] == ["eseal", "director"], ran.stdout
    assert all(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>," in line for line in lines), ran.stdout
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C", "-i", str(pki / "root.pem")],
                   check=True, capture_output=True)  # fmt: skip
    poppler = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(act)], capture_output=True, text=True,
                             timeout=120)  # fmt: skip
    assert poppler.stdout.count("Signature is Valid.") == 2 and poppler.stdout.count("Certificate is Trusted.") == 2


def test_poppler_pdfsig_trusts_every_signature(archived: Path, tmp_path: Path) -> None:
    if shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.skip("poppler's pdfsig or NSS's certutil is not installed (poppler-utils, libnss3-tools)")
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C", "-i",
                    str(archived / "pki" / "root.pem")], check=True, capture_output=True)  # fmt: skip
    for case, volume in _heads(archived).items():
        ran = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(volume)], capture_output=True, text=True,
                             timeout=120)  # fmt: skip
        fields = re.findall(r"Signature Field Name: (\S+)", ran.stdout)
        regular = [f for f in fields if not f.startswith("DocTimeStamp")]
        assert regular and set(regular) <= {"eseal", "director"}, ran.stdout
        assert len(fields) == 2 * len(regular), "a document timestamp after each signature"
        assert ran.stdout.count("Signature is Valid.") == len(regular), (case, ran.stdout)
        assert ran.stdout.count("Certificate is Trusted.") == len(regular), (case, ran.stdout)


def test_verify_reports_each_signatures_level_and_time(archived: Path, tmp_path: Path) -> None:
    site = tmp_path / "archive"
    shutil.copytree(archived, site, symlinks=True)
    ran = _cli(site, "--json", "verify")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    copies = [c for c in json.loads(ran.stdout)["copies"] if c["case"] == CASE]
    assert len(copies) == 2
    for copy in copies:
        assert [(s["field"], s["level"], s["indication"]) for s in copy["signatures"]] == [
            ("eseal", "B-LTA", "PASSED"),
            ("director", "B-LTA", "PASSED"),
        ]
        assert all(s["timestamp"] and s["proven_at"] == s["timestamp"] for s in copy["signatures"])
    metadata = json.loads(next((site / "repositories" / "primary" / CASE).glob("v2/content/metadata.json")).read_text())
    assert [s["level"] for s in metadata["signatures"]] == ["B-LTA", "B-LTA"]  # sealed with the case


def _remove_last_document_timestamp(data: bytes) -> bytes:
    """The file as it was before the revision that added its last document timestamp (the director's)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    stamp = PdfFileReader(io.BytesIO(data), strict=False).embedded_timestamp_signatures[-1]
    ends = [m.end() for m in re.finditer(rb"%%EOF\r?\n?", data)]
    removed = data[: ends[stamp.signed_revision - 1]]
    # The director's DSS revision stays: the signature is back to B-LT.
    assert signature_levels(removed) == {"eseal": "B-LTA", "director": "B-LT"}
    return removed


def _damage_the_dss(data: bytes) -> bytes:
    """The last DSS's list of CRLs renamed (/CRLs -> /cRLs): the director's revocation data is gone."""
    at = data.rindex(b"/CRLs")
    damaged = data[: at + 1] + b"c" + data[at + 2 :]
    assert signature_levels(damaged)["director"] != "B-LTA" or validate_pdf(damaged, []).indication != "PASSED"
    return damaged


@pytest.mark.parametrize(
    ("damage", "repository"),
    [(_remove_last_document_timestamp, "primary"), (_damage_the_dss, "secondary")],
    ids=["removed document timestamp", "damaged DSS"],
)
def test_lost_long_term_evidence_is_found_and_repaired(site: Path, damage: Any, repository: str) -> None:
    volume = _heads(site, repository)[CASE]
    original = volume.read_bytes()
    volume.write_bytes(damage(original))
    ran = _cli(site, "--json", "verify")
    assert ran.returncode == 1, ran.stdout
    problems = json.loads(ran.stdout)["problems"]
    assert {(p["repository"], p["case"]) for p in problems} == {(repository, CASE)}, problems
    repaired = _cli(site, "--json", "repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert volume.read_bytes() == original
    assert _cli(site, "verify").returncode == 0
    report = validate_pdf(original, [(site / "pki" / "root.pem").read_bytes()])
    assert [s.level for s in report.signatures] == ["B-LTA", "B-LTA"] and report.indication == "PASSED"


def _second_tsa(site: Path, shift_hours: int) -> None:
    """A TSA of another test PKI whose certificate expires `shift_hours` later than the archive's own, made
    the archive's timestamp source (its root trusted, its CRL given): what a school does when its TSA's
    certificate is renewed."""
    from datetime import UTC, datetime, timedelta

    from asn1crypto import pem

    from signing.pki import build_test_pki

    pki = build_test_pki(
        site / "pki2-keys", "http://127.0.0.1:8089", datetime.now(UTC) + timedelta(hours=shift_hours), generation="2"
    )
    (site / "pki" / "tsa2.p12").write_bytes(pki.pkcs12("tsa", b"tsa2"))
    (site / "pki" / "tsa2.passphrase").write_text("tsa2\n")
    (site / "pki" / "root2.pem").write_bytes(pem.armor("CERTIFICATE", pki.cert_der("root")))
    (site / "pki" / "root2.crl").write_bytes(pki.crl_der())
    shutil.rmtree(site / "pki2-keys")
    config = (site / "archiver.toml").read_text()
    config = config.replace('tsa_key = "pki/tsa.p12"', 'tsa_key = "pki/tsa2.p12"')
    config = config.replace('tsa_passphrase_file = "pki/tsa.passphrase"', 'tsa_passphrase_file = "pki/tsa2.passphrase"')
    config = config.replace('trust_roots = ["pki/root.pem"]', 'trust_roots = ["pki/root.pem", "pki/root2.pem"]')
    config = config.replace('crls = ["pki/root.crl"]', 'crls = ["pki/root.crl", "pki/root2.crl"]')
    (site / "archiver.toml").write_text(
        config.replace("fetch_revocation = false", "fetch_revocation = false\nrenew_before_days = 3650")
    )


def _stamps(volume: Path) -> int:
    from signing.renew import timestamp_chain

    return timestamp_chain(volume.read_bytes()).count


def test_renewal_adds_a_document_timestamp_as_a_new_version_when_due(site: Path) -> None:
    before = {p: p.read_bytes() for p in (site / "repositories").rglob("*") if p.is_file() and "~audit~" not in str(p)}
    quiet = _cli(site, "--json", "renew", "--due")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert json.loads(quiet.stdout)["renewed"] == 0  # three years to go: nothing is due
    same_tsa = _cli(site, "--json", "renew")  # by hand, with the TSA whose certificate expires as the newest's
    assert same_tsa.returncode == 1 and "newer certificate" in same_tsa.stdout, same_tsa.stdout
    after = {p: p.read_bytes() for p in (site / "repositories").rglob("*") if p.is_file() and "~audit~" not in str(p)}
    assert {p: d for p, d in after.items() if "staging" not in str(p)} == {
        p: d for p, d in before.items() if "staging" not in str(p)
    }, "a refused renewal writes nothing"

    _second_tsa(site, shift_hours=12)
    status = json.loads(_cli(site, "--json", "status").stdout)["timestamps"]
    assert (status["volumes"], status["due"], status["renew_before_days"]) == (2, 2, 3650)
    volume = _heads(site)[CASE]
    stamps = _stamps(volume)
    renewed = _cli(site, "--json", "renew", "--due")
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    cases = json.loads(renewed.stdout)["cases"]
    assert [(c["outcome"], c["version"]) for c in cases] == [("renewed", 3), ("renewed", 3)]
    for repository in ("primary", "secondary"):
        head = _heads(site, repository)[CASE]
        assert "/v3/" in str(head) and _stamps(head) == stamps + 1
        assert signature_levels(head.read_bytes()) == {"eseal": "B-LTA", "director": "B-LTA"}
    roots = [(site / "pki" / name).read_bytes() for name in ("root.pem", "root2.pem")]
    report = validate_pdf(_heads(site)[CASE].read_bytes(), roots)
    assert report.indication == "PASSED", report
    assert [t.tsa for t in report.document_timestamps][-1] == "Служба штампов времени (ТЕСТ) 2"
    assert all(t.passed for t in report.document_timestamps)
    assert _cli(site, "verify").returncode == 0


def test_verify_at_a_date_validates_from_the_files_alone(site: Path) -> None:
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%d")
    ran = _cli(site, "--json", "verify", "--at", soon)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (copy,) = [c for c in json.loads(ran.stdout)["copies"] if c["case"] == CASE and c["repository"] == "primary"]
    assert all(s["indication"] == "PASSED" and s["proven_at"] for s in copy["signatures"])
    # After the test certificates and the test TSA's have expired, nothing newer carries the proof on.
    late = (datetime.now(UTC) + timedelta(days=3 * 365 + 30)).strftime("%Y-%m-%d")
    ran = _cli(site, "--json", "verify", "--at", late)
    assert ran.returncode == 1
    problems = json.loads(ran.stdout)["problems"]
    assert problems and all("OUT_OF_BOUNDS_NO_POE" in p["detail"] for p in problems if p["code"] == "signature")
    assert "renew" in problems[0]["detail"]


def test_without_revocation_data_archiving_stops_unless_allowed_and_the_case_records_it(
    initialized: Path, tmp_path: Path
) -> None:
    from tests.conftest import SMALL_SCHOOL
    from tests.sites import copy_archive

    site = copy_archive(initialized, tmp_path / "archive")
    config = site / "archiver.toml"
    config.write_text(config.read_text().replace('crls = ["pki/root.crl"]', "crls = []"))
    refused = _cli(site, "archive", "year", str(SMALL_SCHOOL), user="admin")
    assert refused.returncode != 0 and "revocation" in refused.stderr and "Traceback" not in refused.stderr
    assert not any((site / "repositories" / "primary").glob("school-*")), "nothing was stored"
    allowed = _cli(site, "--json", "archive", "year", str(SMALL_SCHOOL), "--allow-no-revocation", user="admin")
    assert allowed.returncode == 0, allowed.stderr
    metadata = json.loads(next((site / "repositories" / "primary" / CASE).glob("v1/content/metadata.json")).read_text())
    (seal,) = metadata["signatures"]
    assert seal["level"] == "B-T" and "--allow-no-revocation" in seal["revocation"]


def test_a_damaged_crl_in_the_configuration_is_named_and_nothing_is_stored(initialized: Path, tmp_path: Path) -> None:
    from tests.conftest import SMALL_SCHOOL
    from tests.sites import copy_archive

    site = copy_archive(initialized, tmp_path / "archive")
    (site / "pki" / "root.crl").write_bytes(b"junk")
    ran = _cli(site, "archive", "year", str(SMALL_SCHOOL), user="admin")
    assert ran.returncode == 2 and "root.crl: not a CRL" in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
    assert not any((site / "repositories" / "primary").glob("school-*"))
