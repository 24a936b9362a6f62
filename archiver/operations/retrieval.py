"""Finding and retrieving cases for auditors: only a copy that verifies is served, and every retrieval is
recorded; a BagIt package carries the documents with the proof that they are intact."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select

from archiver.archive.cases import MANIFEST, METADATA, SEAL, SOURCE, VOLUME, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.roles import require
from archiver.documents.dates import local_time
from archiver.errors import EXIT_PROBLEMS, BadInputError
from archiver.files import (
    PRIVATE_FILE,
    check_replaceable,
    copy_file,
    create_private,
    make_private_dir,
)
from archiver.operations.bagging import check_new_directory, make_bag, work_directory
from archiver.operations.integrity import check_copy, snapshots
from signing import validate_at, validate_pdf


class NoIntactCopy(ArchiveError):
    code = "no-intact-copy"
    exit_code = EXIT_PROBLEMS


@dataclass(frozen=True)
class Retrieved:
    case_id: str
    repository: str
    files: tuple[str, ...]
    skipped: tuple[str, ...]  # repositories passed over, with the reason


def find_cases(
    archive: Archive,
    user: str,
    *,
    year: str | None = None,
    class_name: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    student: str | None = None,
) -> list[dict[str, Any]]:
    require(archive.catalog, user, "find")
    with archive.catalog.transaction() as session:
        query = select(Case).where(Case.status != CaseStatus.DISPOSED).order_by(Case.id)
        if year:
            query = query.where(Case.academic_year.in_([year, year.replace("/", "-")]))
        wanted_class = class_name.replace(" ", "").upper() if class_name else None
        if wanted_class:  # and the school-wide summary cases of earlier versions, if they hold the class
            school_wide = and_(Case.kind == CaseKind.SUMMARY, Case.class_id.is_(None))
            query = query.where(or_(Case.class_name == wanted_class, school_wide))
        if kind:
            query = query.where(Case.kind == kind)
        if period:
            query = query.where(Case.period_id == period)
        rows = [
            {"case": c.id, "title": c.title, "kind": c.kind, "academic_year": c.academic_year,
             "class": c.class_name, "period": c.period_id, "status": c.status, "sheets": c.sheets}
            for c in session.execute(query).scalars()
        ]  # fmt: skip
    if wanted_class:
        rows = [row for row in rows if row["class"] or wanted_class in _classes_of(archive, str(row["case"]))]
    if student:
        wanted = _fold(student)
        rows = [row for row in rows if wanted in _students_of(archive, str(row["case"]))]
    return rows


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def _classes_of(archive: Archive, case_id: str) -> set[str]:
    for repository in archive.repositories:
        try:
            data = json.loads(repository.read(case_id, SOURCE))
            return {f"{k.get('grade')}{k.get('letter')}".upper() for k in data.get("classes", [])}
        except Exception:
            continue
    return set()


def _students_of(archive: Archive, case_id: str) -> str:
    for repository in archive.repositories:
        try:
            data = json.loads(repository.read(case_id, SOURCE))
        except Exception:
            continue
        names = [
            " ".join(p for p in (s.get("last_name"), s.get("first_name"), s.get("middle_name")) if p)
            for klass in data.get("classes", []) for s in klass.get("students", [])
        ]  # fmt: skip
        return "\n".join(_fold(n) for n in names)
    return ""


def retrieve(archive: Archive, case_id: str, out: Path, user: str, document: str | None = None) -> Retrieved:
    """Copy a case's files (or one of them) from the first repository whose copy verifies."""
    require(archive.catalog, user, "get", case_id)
    found = [s for s in snapshots(archive, case_id) if s.case_id == case_id]
    if not found:
        raise BadInputError(f"no case {case_id!r} in the catalog")
    skipped: list[str] = []
    for repository in archive.repositories:
        check = check_copy(repository, found[0], archive.trust_roots)
        if check.status != "intact":
            skipped.append(f"{repository.name}: {check.status} ({check.findings[0].detail if check.findings else ''})")
            continue
        head = repository.head(case_id)
        assert head is not None
        names = sorted(head.sha256) if document is None else [document]
        if document is not None and document not in head.sha256:
            raise BadInputError(f"{case_id} has no document {document!r} (documents: {', '.join(sorted(head.sha256))})")
        _output_directory(out)
        for name in names:
            target = out / name
            check_replaceable(target)
            try:
                copy_file(repository.path(case_id, name), target, mode=PRIVATE_FILE)
            except OSError as exc:
                raise BadInputError(f"{target}: cannot be written ({exc.strerror or exc})") from None
        with archive.catalog.transaction() as session:
            archive.catalog.record(session, user, "retrieve", case_id, "success",
                                   {"repository": repository.name, "files": names, "skipped": skipped})  # fmt: skip
        return Retrieved(case_id, repository.name, tuple(names), tuple(skipped))
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, "retrieve", case_id, "failure", {"skipped": skipped})
    raise NoIntactCopy(f"{case_id}: no repository holds a copy that verifies: " + "; ".join(skipped))


def _output_directory(out: Path) -> None:
    """The directory `get` writes into: made 0700 when it is not there (its parents as the umask says);
    one that exists is used as it is, since its owner chose who may list it (the files are 0600)."""
    if out.is_dir():
        return
    if os.path.lexists(out):
        raise BadInputError(f"{out}: exists and is not a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        make_private_dir(out)
    except OSError as exc:
        raise BadInputError(f"{out}: cannot be made ({exc.strerror or exc})") from None


def export_bag(archive: Archive, case_id: str, bag: Path, user: str) -> Retrieved:
    """A BagIt package an auditor can check without us: documents, validation reports, trust anchors.

    Made in a private work directory beside `bag` and renamed into place when complete, so a failed export
    leaves no half package; every file is 0600 and every directory 0700 from the start (children's
    personal data)."""
    require(archive.catalog, user, "export", case_id)
    check_new_directory(bag)
    work = work_directory(bag, ".export")
    try:
        got = _make_bag(archive, case_id, work, user)
        try:
            os.replace(work, bag)  # an empty directory at `bag` is replaced (rename(2) allows that)
        except OSError as exc:
            raise BadInputError(f"{bag}: cannot be written ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return got


def _make_bag(archive: Archive, case_id: str, bag: Path, user: str) -> Retrieved:
    from archiver.rendering.standalone import standalone_pdf

    got = retrieve(archive, case_id, bag / "case", user)
    volume = (bag / "case" / VOLUME).read_bytes()
    report = validate_pdf(volume, archive.trust_roots)
    # Long-term validation as of now from the file alone: when the evidence proves each signature existed.
    long_term = validate_at(volume, archive.trust_roots, archive.clock())
    proven = {s.field_name: s.proven_at for s in long_term.signatures}
    validation = bag / "validation"
    make_private_dir(validation)
    signatures = json.dumps({**report.as_dict(), "long_term": long_term.as_dict()}, ensure_ascii=False, indent=2,
                            default=str)  # fmt: skip
    create_private(validation / "signatures.json", signatures.encode("utf-8"))
    title = f"Отчёт о проверке электронных подписей: {case_id}"
    metadata = json.loads((bag / "case" / METADATA).read_bytes())
    pdf = standalone_pdf("signature_report.html", archive.pdfa, identifier=f"{case_id}/signatures", title=title,
                         author=user, created=archive.clock(), running_head=f"Отчёт о проверке подписей · {case_id}",
                         document_title=title, report=report, case_id=case_id, case_title=metadata.get("title", ""),
                         lasting=long_term, proven=proven,
                         when=lambda moment: local_time(moment, archive.timezone))  # fmt: skip
    create_private(validation / "signatures.pdf", pdf)
    write_trust_roots(archive, bag / "trust")
    make_bag(
        bag,
        {
            "Source-Organization": metadata["school"]["name"] or metadata["school"]["id"],
            "External-Identifier": case_id,
            "External-Description": metadata["title"],
            "Internal-Sender-Description": (
                f"Дело электронного архива с заверенным перечнем контрольных сумм ({MANIFEST}, {SEAL}), "
                "отчётом о проверке подписей и доверенными корневыми сертификатами"
            ),
        },
    )
    return got


def write_trust_roots(archive: Archive, directory: Path) -> None:
    """The archive's trust anchors as PEM files (root-1.pem, …) in a new private directory."""
    make_private_dir(directory)
    for index, root in enumerate(archive.trust_roots, start=1):
        create_private(directory / f"root-{index}.pem", root if root.startswith(b"-----") else pem_certificate(root))


def pem_certificate(der: bytes) -> bytes:
    """A DER certificate armored as PEM."""
    from asn1crypto import pem

    armored: bytes = pem.armor("CERTIFICATE", der)
    return armored
