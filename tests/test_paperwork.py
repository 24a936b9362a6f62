"""The archive's own paperwork: disposal through an act the director approves, quarter copies superseded by
the signed year-end volume, and the 30 June deadline; on a controllable clock (tests.clirun's `at`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from archiver.archive.cases import VOLUME
from archiver.archive.catalog import open_catalog
from signing import validate_pdf
from tests.pdfcheck import page_texts
from tests.test_archive import SMALL, Site, _director_args, make_site

MOSCOW = ZoneInfo("Europe/Moscow")  # the test archive's [school] timezone: its «today»
Q1 = "school-2~2025-2026~c-5a~period~q1"
Q2 = "school-2~2025-2026~c-5a~period~q2"
Q3 = "school-2~2025-2026~c-5a~period~q3"
JOURNAL = "school-2~2025-2026~c-5a~journal"
SUMMARY = "school-2~2025-2026~c-5a~summary"


@pytest.fixture
def site(tmp_path: Path, catalog_url: str, initialized: Path) -> Site:
    return make_site(tmp_path, catalog_url, initialized)


def _configure(site: Site, setting: str, value: str) -> None:
    """Change one setting of the configuration `archiver init` wrote (it names them all)."""
    config = site.directory / "archiver.toml"
    text = config.read_text()
    line = next(line for line in text.splitlines() if line.startswith(f"{setting} = "))
    config.write_text(text.replace(line, f"{setting} = {value}"))


def _present(site: Site, case: str) -> list[bool]:
    return [(site.repository(r) / case / "inventory.json").is_file() for r in ("primary", "secondary")]


def _act(site: Site, version: int) -> bytes:
    return (site.repository("primary") / "school-2~acts" / f"v{version}" / "content" / "volume.pdf").read_bytes()


def _act_text(site: Site, version: int) -> str:
    return " ".join(" ".join(page_texts(_act(site, version))).split())


def test_propose_hold_approve_execute_removes_exactly_the_unheld_cases(site: Site) -> None:
    _configure(site, "article_class_period", '"ст. 9998 (тест)"')  # the school's nomenclature, printed as given
    for period in ("q1", "q2", "q3"):  # q1 and q2 are superseded by the next copy: due at once
        site.ok("archive", "quarter", str(SMALL), "--period", period)
    proposed = site.ok("dispose", "propose", "--due", user="archivist")["acts"]
    assert [(a["number"], sorted(a["cases"])) for a in proposed] == [(1, [Q1, Q2])]
    draft = _act_text(site, 1)
    assert "АКТ № 1" in draft and Q1 in draft and Q2 in draft and "Итого к уничтожению: 2 дела" in draft
    assert "Муниципальное автономное общеобразовательное учреждение «Средняя школа № 2»" in draft
    assert draft.count("ст. 9998 (тест)") == 2, "each case's retention with the Перечень's article"
    again = site.ok("dispose", "propose", "--due", user="archivist")["acts"]
    assert again == [], "cases on an open act are not proposed twice"

    site.ok("retention", "hold", Q2)  # a hold after the proposal: the case stays
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    done = site.ok("dispose", "execute", "1", user="archivist")
    assert done["removed"] == [Q1] and [k[0] for k in done["kept"]] == [Q2], done
    assert "legal hold" in done["kept"][0][1]
    assert _present(site, Q1) == [False, False] and _present(site, Q2) == [True, True]
    assert _present(site, Q3) == [True, True]
    statuses = dict(site.query("SELECT id, status FROM cases WHERE kind = 'class_period'"))
    assert statuses == {Q1: "disposed", Q2: "superseded", Q3: "archived"}
    listed = site.ok("dispose", "list", user="auditor")["acts"]
    assert [(a["number"], a["status"], a["removed"]) for a in listed] == [(1, "executed", [Q1])]
    approved = _act_text(site, 2)  # the act as the director signed it lists both cases
    assert Q1 in approved and Q2 in approved
    roots = [(site.directory / "pki" / "root.pem").read_bytes()]
    fields = {s.field_name: s.indication for s in validate_pdf(_act(site, 2), roots).signatures}
    assert fields == {"eseal": "PASSED", "director": "PASSED"}
    events = site.query("SELECT action, object, outcome FROM audit_events WHERE action = 'dispose'")
    assert events == [("dispose", Q1, "success")]
    assert site.run("verify", user="archivist").returncode == 0


def test_nothing_is_removed_without_the_directors_approval(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    site.ok("dispose", "propose", Q1, user="archivist")
    early = site.run("dispose", "execute", "1", user="archivist")
    assert early.returncode == 1 and "only an act approved by the director" in early.stderr, early.stderr
    assert _present(site, Q1) == [True, True]
    for user in ("auditor", "admin", "archivist"):
        refused = site.run("dispose", "approve", "1", *_director_args(site), user=user)
        assert refused.returncode == 1 and "may not approve" in refused.stderr, (user, refused.stderr)
    impostor = site.run("--as", "director", "dispose", "approve", "1", *_director_args(site), user="auditor")
    assert impostor.returncode == 1 and "only an admin" in impostor.stderr
    assert _present(site, Q1) == [True, True]
    assert site.query("SELECT status FROM cases WHERE id = '" + Q1 + "'") == [("superseded",)]
    refusals = site.query("SELECT action, outcome FROM audit_events WHERE outcome = 'refused' ORDER BY id")
    assert ("dispose execute", "refused") in refusals and ("approve", "refused") in refusals
    assert site.run("verify", user="archivist").returncode == 0


def test_a_register_that_lists_other_cases_than_the_director_signed_is_not_executed(site: Site) -> None:
    """The act prints the SHA-256 of its list of cases, under the director's signature: a register changed
    after the approval (here by code holding the e-seal key, as the archive's own runs do) is refused."""
    from archiver.archive.cases import acts_case_id
    from archiver.archive.opening import archive_from_config
    from archiver.archive.store import info_of, read_intact
    from archiver.config import load_config
    from archiver.operations.disposal import _act, _act_files, read_register, store_act

    for period in ("q1", "q2", "q3"):
        site.ok("archive", "quarter", str(SMALL), "--period", period)
    site.ok("dispose", "propose", Q1, user="archivist")
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    archive = archive_from_config(load_config(site.directory / "archiver.toml", required=True))
    try:
        register, _ = read_register(archive, "school-2")
        act = _act(register, 1, acts_case_id("school-2"))
        act["cases"].append({**act["cases"][0], "case": Q2})  # one more case than the director approved
        approved = _act_files(archive, acts_case_id("school-2"), act, "approved")
        with archive.case_lock(acts_case_id("school-2")):
            store_act(archive, "school-2", approved[VOLUME], register, "archivist", "act", "forged", date.today(),
                   signatures=info_of(read_intact(archive, acts_case_id("school-2"))).signatures)  # fmt: skip
    finally:
        archive.catalog.engine.dispose()
    refused = site.run("dispose", "execute", "1", user="archivist")
    assert refused.returncode == 1 and "not the one act № 1 showed when the director signed it" in refused.stderr, (
        refused.stderr
    )
    assert _present(site, Q1) == [True, True] and _present(site, Q2) == [True, True]


def _append_text_page(pdf: bytes, text: str) -> bytes:
    """An incremental update after the signatures adding a page that prints `text` (reviewer's attack)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter(PdfReader(io.BytesIO(pdf)), incremental=True)
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})  # fmt: skip
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 6 Tf 20 400 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_page_appended_after_the_directors_signature_proves_nothing(site: Site) -> None:
    """A forged register and an approved act with a page appended that prints the forged list's digest: the
    signature no longer covers the file (modified after signing), and the list is read from the revision
    the director signed."""
    from archiver.archive.cases import acts_case_id
    from archiver.archive.opening import archive_from_config
    from archiver.archive.store import catalog_head, info_of, read_intact
    from archiver.config import load_config
    from archiver.operations.disposal import _act, _act_files, case_record, cases_digest, read_register, store_act

    for period in ("q1", "q2", "q3"):
        site.ok("archive", "quarter", str(SMALL), "--period", period)
    site.ok("dispose", "propose", Q1, user="archivist")
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    archive = archive_from_config(load_config(site.directory / "archiver.toml", required=True))
    acts = acts_case_id("school-2")
    try:
        register, _ = read_register(archive, "school-2")
        act = _act(register, 1, acts)
        act["cases"].append(case_record(info_of(read_intact(archive, Q2))))
        approved = _act_files(archive, acts, act, "approved")
        forged = _append_text_page(approved[VOLUME], cases_digest([c["case"] for c in act["cases"]]))
        act["approved"]["version"] = (catalog_head(archive, acts) or 0) + 1
        with archive.case_lock(acts):
            store_act(archive, "school-2", forged, register, "archivist", "act", "forged", date.today(),
                      signatures=info_of(approved).signatures)  # fmt: skip
    finally:
        archive.catalog.engine.dispose()
    refused = site.run("dispose", "execute", "1", user="archivist")
    assert refused.returncode == 1 and "does not validate" in refused.stderr, refused.stderr
    assert _present(site, Q1) == [True, True] and _present(site, Q2) == [True, True]


def test_a_draft_that_hides_a_case_from_the_director_is_not_signed(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A draft drawn up to show Q1 only but print the digest of [Q1, Q2] (reviewer's attack): approve reads
    the draft's total and list against the register before the director signs."""
    import archiver.operations.disposal as disposal

    for period in ("q1", "q2", "q3"):
        site.ok("archive", "quarter", str(SMALL), "--period", period)
    render, digest = disposal.render_act, disposal.cases_digest

    def hiding(archive: Any, school: str, name: str, number: int, records: list[dict[str, Any]], user: str,
               today: date) -> bytes:  # fmt: skip
        everything = [r["case"] for r in records]
        monkeypatch.setattr(disposal, "cases_digest", lambda ids: digest(everything))
        try:
            return render(archive, school, name, number, [r for r in records if r["case"] != Q2], user, today)
        finally:
            monkeypatch.setattr(disposal, "cases_digest", digest)

    monkeypatch.setattr(disposal, "render_act", hiding)
    site.ok("dispose", "propose", Q1, Q2, user="archivist")
    monkeypatch.setattr(disposal, "render_act", render)
    refused = site.run("dispose", "approve", "1", *_director_args(site), user="director")
    assert refused.returncode == 1 and "does not show the register's cases" in refused.stderr, refused.stderr
    assert site.ok("dispose", "list", user="archivist")["acts"][0]["status"] == "proposed"


def test_a_hold_hidden_by_setting_the_catalog_back_still_keeps_the_case(site: Site) -> None:
    """The catalog's head set back by SQL over the version that put the hold (reviewer's attack): the audit
    trail and the repositories hold the newer version, so the case is kept."""
    for period in ("q1", "q2", "q3"):
        site.ok("archive", "quarter", str(SMALL), "--period", period)
    site.ok("dispose", "propose", Q1, user="archivist")
    site.ok("retention", "hold", Q1)
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    catalog = open_catalog(site.catalog_url, migrate=False)
    with catalog.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE cases SET head_version = head_version - 1, legal_hold = false WHERE id = '{Q1}'")
        )
    catalog.engine.dispose()
    done = site.ok("dispose", "execute", "1", user="archivist")
    assert done["removed"] == [] and "the catalog was set back" in done["kept"][0][1], done
    assert _present(site, Q1) == [True, True]


def test_act_references_that_are_not_acts(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    site.ok("dispose", "propose", "--due", user="archivist")
    for reference in ("0", "abc/x", "../x", "school-2/../1", "x/1", "9" * 5000, "³", "١", "/1", "school-2/",
                      "school-1/1", "school-2/" + "9" * 30, "2"):  # fmt: skip
        for args, user in ((("dispose", "execute", reference), "archivist"),
                           (("dispose", "approve", reference, *_director_args(site)), "director")):  # fmt: skip
            refused = site.run(*args, user=user)
            assert refused.returncode == 2 and "Traceback" not in refused.stderr, (reference, refused.stderr)
    assert site.ok("dispose", "list", user="archivist")["acts"][0]["status"] == "proposed"


def test_an_act_signed_with_the_e_seal_instead_of_the_directors_key_is_refused(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    site.ok("dispose", "propose", "--due", user="archivist")
    pki = site.directory / "pki"
    eseal = site.run("dispose", "approve", "1", "--key", str(pki / "eseal.p12"), "--passphrase-file",
                     str(pki / "eseal.passphrase"), user="director")  # fmt: skip
    assert eseal.returncode == 1 and "e-seal" in eseal.stderr, eseal.stderr
    assert site.ok("dispose", "list", user="archivist")["acts"][0]["status"] == "proposed"


def test_a_quarter_copy_is_due_once_the_year_end_volume_is_signed(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    site.ok("archive", "year", str(SMALL))
    due = [c["case_id"] for c in site.ok("retention", "list", "--due")["cases"]]
    assert due == [Q1], "q2 is the class's latest copy until the journal is signed"
    site.ok("sign", "--pending", *_director_args(site), user="director")
    rows = {c["case_id"]: c for c in site.ok("retention", "list")["cases"]}
    assert rows[Q2]["retain_until"] == datetime.now(MOSCOW).date().isoformat(), "due from the day it was signed"
    assert [c["case_id"] for c in site.ok("retention", "list", "--due")["cases"]] == [Q1, Q2]
    assert site.query(f"SELECT status, superseded_by FROM cases WHERE id = '{Q2}'") == [("superseded", JOURNAL)]
    done = site.ok("dispose", "propose", "--due", user="archivist")["acts"]
    assert sorted(done[0]["cases"]) == [Q1, Q2]
    assert site.run("verify", user="archivist").returncode == 0


def test_quarter_copies_kept_until_a_set_day_after_the_signature(site: Site) -> None:
    _configure(site, "period_copies_until", '"09-01"')
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    site.ok("archive", "year", str(SMALL))
    site.ok("sign", "--pending", *_director_args(site), user="director")
    (until,) = site.query(f"SELECT retain_until FROM cases WHERE id = '{Q2}'")[0]
    assert str(until) == f"{datetime.now(MOSCOW).year + 1}-09-01"
    assert site.ok("retention", "list", "--due")["cases"] == []
    later = datetime(datetime.now(MOSCOW).year + 1, 9, 2, 9, 0, tzinfo=UTC)  # within the test certificates' validity
    assert [c["case_id"] for c in site.ok("retention", "list", "--due", at=later)["cases"]] == [Q2]
    (act,) = site.ok("dispose", "propose", "--due", user="archivist", at=later)["acts"]
    site.ok("dispose", "approve", str(act["number"]), *_director_args(site), user="director", at=later)
    done = site.ok("dispose", "execute", str(act["number"]), user="archivist", at=later)
    assert done["removed"] == [Q2] and _present(site, Q2) == [False, False]
    assert _present(site, JOURNAL) == [True, True]


def test_the_year_end_deadline_before_on_and_after_30_june(site: Site) -> None:
    site.ok("archive", "year", str(SMALL))
    expected = {
        datetime(2026, 6, 29, 12, tzinfo=UTC): (1, "1 day left"),
        datetime(2026, 6, 30, 12, tzinfo=UTC): (0, "today is the last day"),
        datetime(2026, 7, 1, 12, tzinfo=UTC): (-1, "overdue by 1 day"),
        datetime(2026, 6, 30, 22, 30, tzinfo=UTC): (-1, "overdue by 1 day"),  # 01:30 on 1 July in Moscow
        datetime(2026, 7, 10, 12, tzinfo=UTC): (-10, "overdue by 10 days"),
    }
    for at, (days, words) in expected.items():
        (deadline,) = site.ok("status", at=at)["deadlines"]
        assert (deadline["deadline"], deadline["awaiting"], deadline["days_left"]) == ("2026-06-30", 2, days)
        human = site.run("status", at=at)
        assert f"deadline 30.06.2026{',' if days > 0 else ':'} {words}" in human.stdout, human.stdout
    signed = site.ok("sign", "--pending", *_director_args(site), user="director")  # today: long after 30 June
    assert {c["outcome"] for c in signed["cases"]} == {"signed after the deadline of 30.06.2026"}
    assert signed["deadlines"] == [] and site.ok("status")["deadlines"] == []
    missed = site.query("SELECT DISTINCT deadline_missed FROM signatures WHERE role = 'director'")
    assert [str(m[0]) for m in missed] == ["2026-06-30"]
    report = site.directory / "report.pdf"
    assert site.run("verify", "--report", str(report), user="archivist").returncode == 0
    text = " ".join(" ".join(page_texts(report.read_bytes())).split())
    assert text.count("подписано директором после срока 30.06.2026") == 4  # two volumes, two copies each


def test_a_volume_signed_in_time_is_not_flagged(site: Site) -> None:
    _configure(site, "year_end_deadline", '"12-31"')
    site.ok("archive", "year", str(SMALL))
    signed = site.ok("sign", "--pending", *_director_args(site), user="director")
    assert {c["outcome"] for c in signed["cases"]} == {"signed"}
    assert site.query("SELECT COUNT(*) FROM signatures WHERE deadline_missed IS NOT NULL") == [(0,)]


def test_a_bad_deadline_or_period_copies_setting_is_a_configuration_error(site: Site) -> None:
    for setting, value, words in (("year_end_deadline", '"30.06"', "year_end_deadline must be a day as MM-DD"),
                                  ("period_copies_until", '"02-30"', "period_copies_until must be"),
                                  ("period_copies_until", "7", "period_copies_until must be str")):  # fmt: skip
        _configure(site, setting, value)
        result = site.run("status")
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, result.stderr
        _configure(site, setting, '"06-30"' if setting == "year_end_deadline" else '"signed"')
    assert site.run("status").returncode == 0


# -- transfer to an archive -----------------------------------------------------------------------------------

RECEIVER = "Муниципальный архив города N"


def _signed_year(site: Site) -> None:
    site.ok("archive", "year", str(SMALL))
    site.ok("sign", "--pending", *_director_args(site), user="director")


def test_a_transfer_package_is_a_valid_bagit_1_0_bag_with_its_inventory_and_act(site: Site, tmp_path: Path) -> None:
    import bagit

    _configure(site, "article_summary", '"ст. 9999 (тест)"')
    _signed_year(site)
    out = tmp_path / "transfer"
    done = site.ok("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to", str(out),
                   user="archivist")  # fmt: skip
    assert (done["number"], done["cases"], done["receiver"]) == (1, [SUMMARY], RECEIVER)
    bag = bagit.Bag(str(out))
    bag.validate()  # every checksum, by the BagIt library
    assert (out / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert bag.version_info == (1, 0) and set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == "school-2/передача-1"
    data = out / "data"
    inventory = json.loads((data / "inventory.json").read_bytes())
    sheets = dict(site.query("SELECT id, sheets FROM cases WHERE kind = 'summary'"))
    assert {c["case"]: c["sheets"] for c in inventory["cases"]} == sheets and inventory["receiver"] == RECEIVER
    rows = list(csv.reader(io.StringIO((data / "inventory.csv").read_text())))
    assert [(r[1], int(r[6])) for r in rows[1:]] == sorted(sheets.items())
    listed = " ".join(" ".join(page_texts((data / "inventory.pdf").read_bytes())).split())
    assert "ОПИСЬ № 1" in listed and SUMMARY in listed and f"{sheets[SUMMARY]}" in listed
    assert "25 лет, ст. 9999 (тест)" in listed
    act = " ".join(" ".join(page_texts((data / "transfer-act.pdf").read_bytes())).split())
    assert "приёма-передачи" in act and RECEIVER in act and "Сдал" in act and "Принял" in act
    roots = [(data / "trust" / "root-1.pem").read_bytes()]
    for pdf in (data / "inventory.pdf", data / "transfer-act.pdf", data / "cases" / SUMMARY / "volume.pdf"):
        assert validate_pdf(pdf.read_bytes(), roots).indication == "PASSED", pdf
    stored = data / "cases" / SUMMARY
    assert sorted(p.name for p in stored.iterdir()) == ["manifest.json", "manifest.p7s", "metadata.json",
                                                        "source.json", "volume.pdf"]  # fmt: skip

    # marked transferred, in the catalog and in the sealed metadata; the local copies kept and verified
    assert site.query(f"SELECT transferred_to FROM cases WHERE id = '{SUMMARY}'") == [(RECEIVER,)]
    got = tmp_path / "got"
    site.ok("get", SUMMARY, "-o", str(got), user="auditor")
    meta = json.loads((got / "metadata.json").read_bytes())
    assert meta["transferred"]["to"] == RECEIVER and meta["transferred"]["act"] == "school-2/передача-1"
    assert _present(site, SUMMARY) == [True, True]
    assert site.run("verify", user="archivist").returncode == 0
    again = site.run("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to",
                     str(tmp_path / "again"), user="archivist")  # fmt: skip
    assert again.returncode == 2 and "left to transfer" in again.stderr and not (tmp_path / "again").exists()
    second = tmp_path / "second"  # the package once more, as it was: a carrier lost on the way
    made = site.ok("transfer", "--again", "1", "--to", str(second), user="archivist")
    assert (made["number"], made["cases"], made["receiver"]) == (1, [SUMMARY], RECEIVER)
    bagit.Bag(str(second)).validate()
    for name in ("transfer-act.pdf", "inventory.pdf", "inventory.json", f"cases/{SUMMARY}/volume.pdf"):
        assert (second / "data" / name).read_bytes() == (data / name).read_bytes(), name
    mixed = site.run("transfer", "--again", "1", "--kind", "summary", "--to", str(tmp_path / "x"), user="archivist")
    assert mixed.returncode == 2 and "--again takes the transfer as it was" in mixed.stderr


def test_a_transfer_is_refused_while_a_volume_awaits_the_director(site: Site, tmp_path: Path) -> None:
    site.ok("archive", "year", str(SMALL))
    out = tmp_path / "transfer"
    refused = site.run("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to",
                       str(out), user="archivist")  # fmt: skip
    assert refused.returncode == 1 and "await the director's signature" in refused.stderr
    assert not out.exists() and not list(tmp_path.glob(".transfer*"))
    assert site.query("SELECT COUNT(*) FROM cases WHERE kind = 'acts'") == [(0,)]
    for user in ("auditor", "director"):
        assert site.run("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to",
                        str(out), user=user).returncode == 1  # fmt: skip


def test_transferred_cases_whose_local_copies_go_are_disposed_of_through_an_act(site: Site, tmp_path: Path) -> None:
    _configure(site, "local_copies", '"dispose"')
    _signed_year(site)
    site.ok("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to",
            str(tmp_path / "transfer"), user="archivist")  # fmt: skip
    due = [c["case_id"] for c in site.ok("retention", "list", "--due")["cases"]]
    assert due == [SUMMARY]
    (act,) = site.ok("dispose", "propose", "--due", user="archivist")["acts"]
    assert act["number"] == 1, "transfers and disposal acts are numbered apart"
    assert f"передано в архив: {RECEIVER} (school-2/передача-1)" in _act_text(site, 2)
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    assert site.ok("dispose", "execute", "1", user="archivist")["removed"] == [SUMMARY]
    assert _present(site, SUMMARY) == [False, False] and _present(site, JOURNAL) == [True, True]
    assert site.run("verify", user="archivist").returncode == 0


@pytest.mark.external  # Java, PDFBox Preflight
def test_the_acts_inventory_and_verification_act_pass_preflight_as_pdfa_1b(site: Site, tmp_path: Path) -> None:
    """Every paper this module makes, sealed and signed, as PDF/A-1b (the variant Preflight checks): the
    disposal act as drawn up and as approved, the transfer act, the inventory, and the verification act
    (dated by the clock: its XMP dates once had microseconds the Info dictionary lacks)."""
    from tests.pdfcheck import preflight

    _configure(site, "pdfa", '"1b"')
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    _signed_year(site)
    site.ok("dispose", "propose", "--due", user="archivist")
    site.ok("dispose", "approve", "1", *_director_args(site), user="director")
    site.ok("transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", RECEIVER, "--to",
            str(tmp_path / "bag"), user="archivist")  # fmt: skip
    assert site.run("verify", "--report", str(tmp_path / "report.pdf"), user="archivist").returncode == 0
    papers = [*sorted((site.repository("primary") / "school-2~acts").glob("v*/content/*.pdf")),
              *sorted((tmp_path / "bag" / "data").glob("*.pdf")), tmp_path / "report.pdf"]  # fmt: skip
    assert len(papers) == 7  # acts v1, v2; the transfer act and inventory stored (v3) and in the bag; the report
    for paper in papers:
        result = preflight(paper)
        assert result.returncode == 0 and "is a valid PDF/A-1b file" in result.stdout, (paper, result.stdout)
