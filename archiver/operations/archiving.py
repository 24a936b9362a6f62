"""Archiving a period or the year: volumes → render → seal → store twice → catalog.

Class volumes are independent units of work: they are rendered and sealed in worker processes, then
stored and recorded one at a time in this process, each under a per-case lock. A run that was killed is
completed by running it again: a case found in a repository but not in the catalog is adopted from the
copy that matches its sealed manifest, never rendered a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from archiver.archive.cases import (
    GONE,
    KINDS,
    METADATA,
    CaseInfo,
    CaseKind,
    CaseStatus,
    case_id_for,
    retention_for,
)
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError, Clock, Progress
from archiver.archive.roles import RefusedError, require
from archiver.archive.storage import StorageError
from archiver.archive.store import (
    case_files,
    commit_version,
    info_from_metadata,
    is_intact,
    signature_entry,
)
from archiver.documents.volumes import Volume, class_period_volume, class_summary_volume, class_year_volume
from archiver.errors import BadInputError
from archiver.ingest.model import JournalExport
from archiver.ingest.serialize import document_bytes
from archiver.operations.supersession import supersede
from archiver.rendering.pdfa import PdfaVariant
from archiver.rendering.volume import render_volume
from archiver.workers import workers
from signing import KeySigner, LongTerm, SignatureRequest, sign_pdf
from signing.errors import SigningError


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    title: str
    outcome: str  # archived, adopted, already archived, signed, ...
    sheets: int


Export = JournalExport | Callable[[], JournalExport]  # or a function that reads it: called once the role is checked


def archive_year(archive: Archive, source: Export, user: str, progress: Progress | None = None) -> list[CaseResult]:
    """Every class's journal volume and its summary sheet volume: sealed, awaiting the director."""
    require(archive.catalog, user, "archive", "year")
    export = source if isinstance(source, JournalExport) else source()
    volumes = [class_year_volume(export, klass) for klass in export.classes]
    volumes += [class_summary_volume(export, klass) for klass in export.classes]
    return _archive_volumes(archive, volumes, export.school.name, user, progress=progress)


def archive_period(
    archive: Archive,
    source: Export,
    period_id: str,
    class_names: tuple[str, ...],
    user: str,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Each class's archive copy at the end of a period; it supersedes the class's earlier copies."""
    require(archive.catalog, user, "archive", period_id)
    export = source if isinstance(source, JournalExport) else source()
    period = next((p for p in export.periods if p.id == period_id and p.kind != "year"), None)
    if period is None:
        known = ", ".join(p.id for p in export.periods if p.kind != "year")
        raise BadInputError(f"no period {period_id!r} in the export (periods: {known})")
    classes = export.classes
    if class_names:
        chosen = []
        for name in class_names:
            klass = export.school_class(name)
            if klass is None:
                known = ", ".join(k.name for k in export.classes)
                raise BadInputError(f"no class {name!r} in the export (classes: {known})")
            chosen.append(klass)
        classes = tuple(chosen)
    volumes = [class_period_volume(export, klass, period) for klass in classes]
    results = _archive_volumes(archive, volumes, export.school.name, user, progress=progress)
    for result in results:
        _supersede_earlier(archive, result.case_id, user)
    return results


def _archive_volumes(
    archive: Archive, volumes: Sequence[Volume], school_name: str, user: str, *, progress: Progress | None = None
) -> list[CaseResult]:
    """Archive each volume as a case: sealed, stored in every repository, catalogued (the caller has
    checked that `user` may archive)."""
    archive.check_repositories()
    results: list[CaseResult] = []
    todo: list[tuple[Volume, CaseInfo]] = []
    infos = [(volume, case_info(volume, school_name)) for volume in volumes]
    _refuse_disposed(archive, [info for _, info in infos])
    for volume, info in infos:
        with archive.case_lock(info.case_id):
            done = _catalogued(archive, info.case_id)
            if done is not None:
                results.append(CaseResult(info.case_id, info.title, "already archived", done))
                if progress:
                    progress(1)
                continue
            adopted = _adopt(archive, info.case_id, user)
        if adopted is not None:
            results.append(adopted)
            if progress:
                progress(1)
            continue
        todo.append((volume, info))
    if not todo:
        return results
    # The keys are unlocked before any fork.
    settings = (archive.pdfa, archive.eseal, archive.signature_evidence(), archive.clock)
    with workers(archive.workers or None, _Producer.start, settings) as pool:
        futures = [pool.submit(_Producer.produce, volume, info) for volume, info in todo]
        for (volume, info), future in zip(todo, futures, strict=True):
            try:
                sealed, sheets, sealed_at = future.result()
            except SigningError as exc:  # nothing of this case is stored yet
                raise ArchiveError(f"{info.case_id}: cannot be sealed: {exc}") from None
            seal = signature_entry("eseal", "eseal", archive.eseal, sealed_at, sealed, archive.allow_no_revocation)
            info = replace(info, sheets=sheets, signatures=(seal,))
            files = case_files(archive, info, 1, sealed, document_bytes(volume.source))
            results.append(_store_case(archive, info, files, user))
            if progress:
                progress(1)
    return results


class _Producer:
    """A worker's state and job: render one volume and seal it with the e-seal (picklable job, state from
    the pool's initializer)."""

    pdfa: PdfaVariant
    eseal: KeySigner
    long_term: LongTerm | None
    clock: Clock

    @classmethod
    def start(cls, pdfa: PdfaVariant, eseal: KeySigner, long_term: LongTerm | None, clock: Clock) -> None:
        cls.pdfa, cls.eseal, cls.long_term, cls.clock = pdfa, eseal, long_term, clock

    @classmethod
    def produce(cls, volume: Volume, info: CaseInfo) -> tuple[bytes, int, datetime]:
        """The sealed volume, its sheets, and when it was sealed."""
        rendered = render_volume(volume, cls.pdfa)
        request = SignatureRequest(
            "eseal",
            reason="Электронная печать образовательной организации",
            location=info.school_name[:100],
            long_term=cls.long_term,
        )
        sealed = sign_pdf(rendered.pdf, cls.eseal, request)
        return sealed, rendered.total_sheets, cls.clock()


def case_info(volume: Volume, school_name: str) -> CaseInfo:
    """What the catalog and the sealed metadata will say of a volume's case."""
    kind = CaseKind(volume.kind)
    return CaseInfo(
        case_id=case_id_for(volume.id),
        kind=kind,
        school_id=volume.school_id,
        school_name=school_name,
        academic_year=volume.academic_year,
        class_id=volume.class_id,
        class_name=volume.class_name,
        period_id=volume.period_id,
        title=volume.title,
        sheets=sum(p.planned_sheets for p in volume.parts) + 1,
        retention=retention_for(kind, volume.created.date()),
    )


def initial_status(kind: str) -> CaseStatus:
    return CaseStatus.AWAITING_SIGNATURE if KINDS[CaseKind(kind)].director_signs else CaseStatus.ARCHIVED


def _refuse_disposed(archive: Archive, infos: Sequence[CaseInfo]) -> None:
    """A case that was disposed of is not made again under the same id; refused before anything is written."""
    with archive.catalog.transaction() as session:
        for info in infos:
            case = session.get(Case, info.case_id)
            if case is not None and case.status in GONE:
                raise RefusedError(
                    f"refused: {info.case_id} ({info.title}) was disposed of after its retention; "
                    "it is not archived again (nothing was written)"
                )


def _catalogued(archive: Archive, case_id: str) -> int | None:
    with archive.catalog.transaction() as session:
        case = session.get(Case, case_id)
        return case.sheets if case is not None and case.status != CaseStatus.DISPOSED else None


def _store_case(archive: Archive, info: CaseInfo, files: dict[str, bytes], user: str) -> CaseResult:
    with archive.case_lock(info.case_id):
        sheets = _catalogued(archive, info.case_id)
        if sheets is not None:  # another run finished it while this one rendered
            return CaseResult(info.case_id, info.title, "already archived", sheets)
        adopted = _adopt(archive, info.case_id, user)  # another run stored it meanwhile
        if adopted is not None:
            return adopted
        message = "Архивирование: дело сформировано и заверено электронной печатью"
        commit_version(archive, info, 1, files, user, "archive", message, initial_status(info.kind))
    return CaseResult(info.case_id, info.title, "archived", info.sheets)


def _adopt(archive: Archive, case_id: str, user: str) -> CaseResult | None:
    """A case stored by a run that did not finish: complete it from a copy that matches its seal."""
    holders = []
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is not None:
            holders.append((repository, head))
    if not holders:
        return None
    for source, head in holders:
        if not source.verify_object(case_id).ok:
            continue
        try:
            files = {path: source.read(case_id, path) for path in head.sha256}
        except StorageError:
            continue
        if head.number != 1 or not is_intact(archive, files, case_id, 1):
            continue
        for repository in archive.repositories:
            current = repository.head(case_id)
            if current is not None and dict(current.sha256) != dict(head.sha256):
                raise ArchiveError(
                    f"{case_id}: the repositories hold different copies of a case the catalog does not know; "
                    f"run `archiver verify` (repository {repository.name!r})"
                )
        try:
            created: datetime | None = datetime.fromisoformat(head.created.replace("Z", "+00:00"))
        except ValueError:
            created = None
        info = info_from_metadata(files[METADATA])
        commit_version(archive, info, 1, files, user, "archive", head.message, initial_status(info.kind),
                       created=created, stored_by=head.user or user)  # the same bytes, the same record  # fmt: skip
        return CaseResult(case_id, info.title, "adopted", info.sheets)
    raise ArchiveError(f"{case_id}: a stored copy exists but none matches its sealed manifest; run `archiver verify`")


def _supersede_earlier(archive: Archive, case_id: str, user: str) -> None:
    with archive.catalog.transaction() as session:
        newer = session.get(Case, case_id)
        assert newer is not None
        earlier = (
            session.execute(
                select(Case).where(
                    Case.kind == CaseKind.CLASS_PERIOD,
                    Case.class_id == newer.class_id,
                    Case.school_id == newer.school_id,
                    Case.academic_year == newer.academic_year,
                    Case.status == CaseStatus.ARCHIVED,
                    Case.closed_on < newer.closed_on,
                )
            )
            .scalars()
            .all()
        )
        ids = [(case.id, newer.closed_on) for case in earlier]
    for old_id, superseded_on in ids:
        supersede(archive, user, old_id, case_id, superseded_on, f"Заменено архивной копией {case_id}")
