"""Transfer to an archive (seed 000 §6: the summary sheets go to the archive after five years in the school;
seed 003 §2.8: right after the year ends): a package a municipal archive can take without our software —
a BagIt 1.0 bag holding each case as stored (the signed volume, its data, its sealed metadata and manifest
with the e-seal), the inventory of the cases (опись дел) as a sealed PDF/A and as data (JSON and CSV), the
transfer act (акт приёма-передачи) for both sides to sign, and the trust anchors.

The act and the inventory are kept in the school's acts case (permanently), numbered in its sealed
register; each case transferred becomes a new version whose sealed metadata says when and to whom. The
local copies stay and remain verified ([transfer] local_copies = "keep"), or become due for disposal,
which removes them through an act the director approves ("dispose").
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archiver.archive.cases import GONE, SOURCE, VOLUME, CaseKind, CaseStatus, acts_case_id
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.roles import RefusedError, require
from archiver.archive.store import catalog_head, info_of, new_version, read_intact, signature_entry
from archiver.documents.dates import academic_year, short_date
from archiver.documents.numerals import plural
from archiver.errors import BadInputError
from archiver.files import create_private, make_private_dir
from archiver.operations.bagging import check_new_directory, make_bag, validate_bag, work_directory
from archiver.operations.disposal import case_record, printed_rows, read_register, resolve_act, store_act
from archiver.operations.retrieval import write_trust_roots
from archiver.operations.users import person
from archiver.rendering.standalone import standalone_pdf
from signing import validate_pdf

KINDS = {"summary": CaseKind.SUMMARY, "journal": CaseKind.CLASS_YEAR}
INVENTORY = "inventory.pdf"


@dataclass(frozen=True)
class Transferred:
    school_id: str
    number: int
    receiver: str
    cases: tuple[str, ...]
    sheets: int
    package: str


def transfer(
    archive: Archive, user: str, kind: str, year: str, receiver: str, out: Path, today: date, local_copies: str
) -> Transferred:
    """Make the transfer package of one kind of case of one school year in `out` (a new or empty
    directory), record the act and inventory, and mark the cases transferred. A transfer whose act was
    stored by a run interrupted before every case was marked is completed instead (its act, inventory,
    cases and receiver as stored), and its package made again."""
    require(archive.catalog, user, "transfer", f"{kind} {year}")
    if kind not in KINDS:
        raise BadInputError(f"--kind {kind!r}: one of {', '.join(KINDS)}")
    receiver = " ".join(receiver.split())
    if not receiver:
        raise BadInputError("--receiver: name the archive that receives the cases")
    year_id = year.replace("/", "-")
    check_new_directory(out)
    archive.check_repositories()
    school = _school_of(archive, kind, year_id, year)
    acts_case = acts_case_id(school)
    with archive.case_lock(acts_case):  # one transfer of a school at a time: chosen, stored, marked
        with archive.catalog.transaction() as session:
            rows = list(
                session.execute(
                    select(Case).where(Case.kind == KINDS[kind], Case.academic_year == year_id,
                                       Case.school_id == school).order_by(Case.id)
                ).scalars()
            )  # fmt: skip
            kept = {c.id: c.transferred_on for c in rows if c.status not in GONE}
            awaiting = [c.id for c in rows if c.status == CaseStatus.AWAITING_SIGNATURE]
        register, _ = read_register(archive, school)
        entry = _interrupted(register, kind, year_id, kept)
        if entry is None:
            if awaiting:
                raise _refused(archive, user, awaiting[0], f"{len(awaiting)} case(s) of {year} await the "
                               f"director's signature ({awaiting[0]}, …): a case is transferred signed")  # fmt: skip
            chosen = [c for c, on in kept.items() if on is None]
            if not chosen:
                raise BadInputError(f"no {kind} case of {year} is left to transfer (all are transferred)")
            entry = _new_transfer(archive, user, school, register, kind, year_id, receiver, chosen, today,
                                  local_copies)  # fmt: skip
        stored = read_intact(archive, acts_case, int(entry["version"]))
        cases = [(c["case"], read_intact(archive, c["case"])) for c in entry["cases"]]
        number, receiver = int(entry["number"]), str(entry["receiver"])
        package = _package(archive, out, school, number, receiver, cases, entry["cases"], stored[INVENTORY],
                           stored[VOLUME])  # fmt: skip
        _put_in_place(package, out)  # before any case is marked: a transfer is never marked without its package
        moved = {"on": str(entry["date"]), "to": receiver, "act": f"{school}/передача-{number}"}
        for case_id, _ in cases:
            if kept.get(case_id, date.min) is None:
                _mark(archive, user, case_id, moved, date.fromisoformat(moved["on"]), str(entry["local_copies"]))
    sheets = sum(int(c["sheets"]) for c in entry["cases"])
    return Transferred(school, number, receiver, tuple(c for c, _ in cases), sheets, str(out))


def _school_of(archive: Archive, kind: str, year_id: str, year: str) -> str:
    """The one school whose cases of this kind and year are kept (a package is one school's)."""
    with archive.catalog.transaction() as session:
        schools = sorted(set(session.execute(
            select(Case.school_id).where(Case.kind == KINDS[kind], Case.academic_year == year_id,
                                         Case.status.not_in(GONE))
        ).scalars()))  # fmt: skip
    if not schools:
        raise BadInputError(f"no {kind} case of {year} in the archive (give the year as 2025/2026)")
    if len(schools) > 1:
        raise BadInputError(f"the cases of {year} belong to several schools ({', '.join(schools)}): one package "
                            "per school")  # fmt: skip
    return schools[0]


def again(archive: Archive, user: str, reference: str, out: Path) -> Transferred:
    """The package of an earlier transfer made once more (a carrier lost on the way, a second copy for the
    receiving archive): its act and inventory as stored, each case from an intact copy. Nothing is marked."""
    require(archive.catalog, user, "transfer", reference)
    school, number = resolve_act(archive, reference, "transfer")
    check_new_directory(out)
    register, _ = read_register(archive, school)
    entry = next((t for t in register.get("transfers", []) if t.get("number") == number), None)
    if entry is None:
        raise BadInputError(f"--again {reference!r}: no transfer № {number} in {acts_case_id(school)}")
    stored = read_intact(archive, acts_case_id(school), int(entry["version"]))
    cases = [(c["case"], read_intact(archive, c["case"])) for c in entry["cases"]]
    package = _package(archive, out, school, int(number), str(entry["receiver"]), cases, entry["cases"],
                       stored[INVENTORY], stored[VOLUME])  # fmt: skip
    _put_in_place(package, out)
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, "transfer again", f"{school}/передача-{number}", "success",
                               {"cases": [c for c, _ in cases]})  # fmt: skip
    sheets = sum(int(c["sheets"]) for c in entry["cases"])
    return Transferred(school, int(number), str(entry["receiver"]), tuple(c for c, _ in cases), sheets, str(out))


def _put_in_place(package: Path, out: Path) -> None:
    try:
        os.replace(package, out)  # an empty directory at `out` is replaced (rename(2) allows that)
    except OSError as exc:
        raise BadInputError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(package, ignore_errors=True)  # gone already when it was renamed into place


def _interrupted(
    register: Mapping[str, Any], kind: str, year_id: str, kept: Mapping[str, date | None]
) -> dict[str, Any] | None:
    """A transfer of these cases whose act is stored but some of whose cases (still kept) are not marked."""
    for entry in register.get("transfers", []):
        ours = entry.get("kind") == kind and entry.get("academic_year") == year_id
        if ours and any(c["case"] in kept and kept[c["case"]] is None for c in entry.get("cases", [])):
            return dict(entry)
    return None


def _new_transfer(
    archive: Archive,
    user: str,
    school: str,
    register: Mapping[str, Any],
    kind: str,
    year_id: str,
    receiver: str,
    chosen: list[str],
    today: date,
    local_copies: str,
) -> dict[str, Any]:
    """The act and the inventory of a new transfer, sealed and stored in the acts case (the caller holds its
    lock) with the register's new entry; the cases' signatures must validate."""
    records = []
    for case_id in chosen:
        files = read_intact(archive, case_id)
        report = validate_pdf(files[VOLUME], archive.trust_roots)
        if report.indication != "PASSED":
            raise _refused(archive, user, case_id, f"{case_id}: its signatures do not validate ({report.reason}); "
                           "run `archiver verify`")  # fmt: skip
        records.append(case_record(info_of(files)))
    transfers = list(register.get("transfers", []))
    number = len(transfers) + 1
    school_name = next((r["school"] for r in records if r["school"]), school)
    context = {"school_name": school_name, "number": number, "date_line": short_date(today),
               "rows": printed_rows(archive, records),
               "receiver": receiver, "year": academic_year(year_id), "kind": kind, "user": person(archive, user),
               "totals": _totals(records)}  # fmt: skip
    inventory = _document(archive, "transfer_inventory.html", f"Опись дел № {number}", school, context)
    act = _document(archive, "transfer_act.html", f"Акт приёма-передачи № {number}", school, context)
    entry = {"number": number, "date": today.isoformat(), "by": user, "name": person(archive, user),
             "receiver": receiver, "kind": kind, "academic_year": year_id, "cases": records,
             "local_copies": local_copies,
             "version": (catalog_head(archive, acts_case_id(school)) or 0) + 1}  # fmt: skip
    updated = {**register, "school": {"id": school, "name": school_name}, "transfers": [*transfers, entry]}
    seal = signature_entry("eseal", "eseal", archive.eseal, archive.clock(), act, archive.allow_no_revocation)
    store_act(archive, school, act, updated, user, "act", f"Акт приёма-передачи № {number} и опись дел", today,
              signatures=(seal,), annexes={INVENTORY: inventory})  # fmt: skip
    return entry


def _totals(rows: Sequence[Mapping[str, Any]]) -> str:
    count, sheets = len(rows), sum(int(r["sheets"]) for r in rows)
    return f"{count} {plural(count, 'дело', 'дела', 'дел')}, {sheets} {plural(sheets, 'лист', 'листа', 'листов')}"


def _document(archive: Archive, template: str, title: str, school: str, context: Mapping[str, Any]) -> bytes:
    name = context["school_name"]
    return standalone_pdf(
        template,
        archive.pdfa,
        identifier=f"{acts_case_id(school)}/{title}",
        title=title,
        author=name,
        created=archive.clock(),
        running_head=f"{name} · {title} от {context['date_line']}",
        document_title=title,
        seal=(archive.eseal, title),
        long_term=archive.signature_evidence(),
        **context,
    )


def _package(
    archive: Archive,
    out: Path,
    school: str,
    number: int,
    receiver: str,
    cases: Sequence[tuple[str, Mapping[str, bytes]]],
    records: Sequence[Mapping[str, Any]],
    inventory: bytes,
    act: bytes,
) -> Path:
    """The bag, made in a private work directory beside `out` and validated; its path."""
    school_name = next((str(r["school"]) for r in records if r.get("school")), school)
    work = work_directory(out, ".transfer")
    try:
        make_private_dir(work / "cases")
        for case_id, files in cases:
            make_private_dir(work / "cases" / case_id)
            for name, data in sorted(files.items()):
                create_private(work / "cases" / case_id / name, data)
        create_private(work / "inventory.pdf", inventory)
        create_private(
            work / "inventory.json",
            (
                json.dumps(
                    {
                        "school": {"id": school, "name": school_name},
                        "number": number,
                        "receiver": receiver,
                        "cases": records,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n"
            ).encode(),
        )
        create_private(work / "inventory.csv", _csv(printed_rows(archive, records)))
        create_private(work / "transfer-act.pdf", act)
        write_trust_roots(archive, work / "trust")
        make_bag(work, {
            "Source-Organization": school_name,
            "External-Identifier": f"{school}/передача-{number}",
            "External-Description": f"Дела, передаваемые в архив: {_totals(records)}",
            "Internal-Sender-Identifier": f"{acts_case_id(school)}: передача № {number}",
            "Internal-Sender-Description": (
                "Электронные дела с заверенными электронной печатью перечнями контрольных сумм (manifest.json, "
                "manifest.p7s), опись дел (inventory.pdf, .json, .csv), акт приёма-передачи (transfer-act.pdf), "
                f"доверенные корневые сертификаты (trust/). Получатель: {receiver}"
            ),
            "Bag-Count": "1 of 1",
        })  # fmt: skip
        problem = validate_bag(work)
        if problem is not None:
            raise ArchiveError(f"the transfer package did not validate: {problem}")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work


def _csv(records: Sequence[Mapping[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["№", "case", "title", "academic_year", "closed_on", "retention", "sheets"])
    for index, r in enumerate(records, start=1):
        writer.writerow([index, r["case"], r["title"], r["academic_year"], r["closed_on"], r["retention"], r["sheets"]])
    return text.getvalue().encode("utf-8")


def _mark(archive: Archive, user: str, case_id: str, moved: dict[str, str], today: date, local_copies: str) -> None:
    """The case's new version says it was transferred; with local_copies = "dispose" it is due for disposal."""
    with archive.case_lock(case_id):
        files = read_intact(archive, case_id)
        old = info_of(files)
        info = replace(old, transferred=moved)
        if local_copies == "dispose":
            info = replace(info, retention=replace(old.retention, retain_until=today))
        with archive.catalog.transaction() as session:
            row = session.get(Case, case_id)
            assert row is not None
            status = CaseStatus(row.status)
        new_version(archive, info, files[VOLUME], files[SOURCE], user, "transfer",
                    f"Передано в архив: {moved['to']} ({moved['act']})", status=status)  # fmt: skip


def _refused(archive: Archive, user: str, obj: str, reason: str) -> RefusedError:
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, "transfer", obj, "refused", {"reason": reason})
    return RefusedError(f"refused: {reason}")
