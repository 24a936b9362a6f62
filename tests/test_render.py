"""Rendered volumes read back: PDF/A conformance, sheet numbers and counts, marks in the right cells."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from archiver.documents import journal
from archiver.documents.volumes import class_period_volume, class_summary_volume, class_year_volume
from archiver.ingest.model import JournalExport, SchoolClass, build_export
from archiver.ingest.serialize import export_document
from archiver.ingest.validation import validate_document
from archiver.rendering.pdfa import variant
from archiver.rendering.volume import RenderedVolume, render_volume
from archiver.workers import workers
from tests import gridcheck
from tests.pdfcheck import (
    fonts_without_embedding,
    page_texts,
    preflight,
    reader,
    resolve,
    sheet_numbers,
    xmp_text,
)

Doc = dict[str, Any]


def _export(doc: Doc) -> JournalExport:
    assert validate_document(doc) == ()
    return build_export(doc)


def _class_volume(doc: Doc, pdfa: str = "3b") -> RenderedVolume:
    export = _export(doc)
    return render_volume(class_year_volume(export, export.classes[0]), variant(pdfa))


@pytest.fixture(scope="module")
def small_export() -> JournalExport:
    path = Path(__file__).parent / "data" / "small_school.json"
    return _export(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def year_3b(small_export: JournalExport) -> RenderedVolume:
    return render_volume(class_year_volume(small_export, small_export.classes[0]), variant("3b"))


# -- PDF/A -----------------------------------------------------------------------------------------


KINDS_1B = ["class year", "class q2", "summary"]


@pytest.fixture(scope="module")
def volumes_1b(small_export: JournalExport) -> dict[str, RenderedVolume]:
    klass = small_export.classes[0]
    volumes = {
        "class year": class_year_volume(small_export, klass),
        "class q2": class_period_volume(small_export, klass, small_export.period("q2")),
        "summary": class_summary_volume(small_export, klass),
    }
    return {kind: render_volume(volume, variant("1b")) for kind, volume in volumes.items()}


@pytest.mark.parametrize("kind", KINDS_1B)
def test_pdfa_1b_identification_and_no_attachments(volumes_1b: dict[str, RenderedVolume], kind: str) -> None:
    rendered = volumes_1b[kind]
    assert "pdfaid:part>1<" in xmp_text(rendered.pdf)
    assert not reader(rendered.pdf).attachments, "PDF/A-1 may not embed files"


@pytest.mark.external  # Java, PDFBox Preflight
@pytest.mark.parametrize("kind", KINDS_1B)
def test_pdfa_1b_passes_preflight(volumes_1b: dict[str, RenderedVolume], tmp_path: Path, kind: str) -> None:
    path = tmp_path / "volume.pdf"
    path.write_bytes(volumes_1b[kind].pdf)
    result = preflight(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid PDF/A-1b file" in result.stdout


@pytest.mark.external  # Java, PDFBox Preflight
def test_pdfa_1b_of_the_demo_school_passes_preflight(tmp_path: Path) -> None:
    from archiver.demo.generator import generate

    export = _export(generate(60, 4))
    klass = next(k for k in export.classes if k.grade == 9)
    rendered = render_volume(class_year_volume(export, klass), variant("1b"))
    path = tmp_path / "9.pdf"
    path.write_bytes(rendered.pdf)
    result = preflight(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pdfa_3b_identification_intent_fonts_and_source(year_3b: RenderedVolume, small_export: JournalExport) -> None:
    pdf = year_3b.pdf
    xmp = xmp_text(pdf)
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    document = reader(pdf)
    assert pdf.startswith(b"%PDF-1.7")
    (intent,) = resolve(document.root_object["/OutputIntents"])
    intent = resolve(intent)
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object().get_data()
    assert b"sRGB" in profile[:1024] or b"sRGB" in profile
    assert fonts_without_embedding(pdf) == []
    assert not document.is_encrypted
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf and b"/JS(" not in pdf
    # the source data: listed once in /AF, related as Source, JSON that validates and is the class's data
    af = resolve(document.root_object["/AF"])
    assert len(af) == 1
    filespec = af[0].get_object()
    assert filespec["/AFRelationship"] == "/Source"
    stream = filespec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application#2Fjson" or stream["/Subtype"] == "/application/json"
    attachments = document.attachments
    assert list(attachments) == [str(filespec["/F"])]
    data = json.loads(attachments[str(filespec["/F"])][0])
    assert validate_document(data) == ()
    assert data == export_document(small_export)


def test_quarter_archive_embeds_only_what_it_shows(small_export: JournalExport) -> None:
    klass = small_export.classes[0]
    rendered = render_volume(class_period_volume(small_export, klass, small_export.period("q2")), variant("3b"))
    (data,) = reader(rendered.pdf).attachments.values()
    source = json.loads(data[0])
    assert validate_document(source) == ()
    dates = [lesson["date"] for course in source["classes"][0]["courses"] for lesson in course["lessons"]]
    assert max(dates) <= "2025-12-28" and "2025-11-11" in dates
    periods = {m["period"] for course in source["classes"][0]["courses"] for m in course["period_marks"]}
    assert periods <= {"q1", "q2"}


def test_class_summary_volume_is_bound_with_its_own_title_sheet_and_embeds_only_its_class() -> None:
    """Seed 004 §3.9: each class's summary sheet with its own title sheet, kept 25 years; the embedded
    source holds that class's students and marks only, without lessons."""
    from archiver.demo.generator import generate

    export = _export(generate(60, 4))
    klass = next(k for k in export.classes if k.grade == 9)
    rendered = render_volume(class_summary_volume(export, klass), variant("3b"))
    texts = page_texts(rendered.pdf)
    title = " ".join(texts[0].split())
    for line in ("СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОЦЕНОК", f"обучающихся 9 «{klass.letter}» класса",
                 "2025/2026 учебный год", "Срок хранения: 25 лет"):  # fmt: skip
        assert line in title, line
    assert [p.title for p in rendered.parts] == [f"Сводная ведомость итоговых оценок {klass.name} класса"]
    assert len(texts) == rendered.total_sheets == 1 + rendered.parts[0].sheets
    assert f"прошито {rendered.total_sheets} " in title

    def names(k: SchoolClass) -> set[str]:
        return {f"{s.last_name} {s.first_name}" for s in k.students}

    others = set().union(*(names(k) for k in export.classes if k is not klass)) - names(klass)
    sheets = " ".join(" ".join(text.split()) for text in texts[1:])
    assert all(name in sheets for name in names(klass)) and not any(name in sheets for name in others)
    (data,) = reader(rendered.pdf).attachments.values()
    source = json.loads(data[0])
    assert validate_document(source) == ()
    (embedded,) = source["classes"]
    assert embedded["id"] == klass.id and len(embedded["students"]) == len(klass.students)
    assert all(not c["lessons"] and not c["marks"] and not c["absences"] for c in embedded["courses"])
    finals = sum(len(c.final_marks) for c in klass.courses)
    assert finals and sum(len(c["final_marks"]) for c in embedded["courses"]) == finals


# -- sheets and the title sheet ---------------------------------------------------------------------


def test_title_counts_equal_the_real_pages(year_3b: RenderedVolume) -> None:
    texts = page_texts(year_3b.pdf)
    assert len(texts) == year_3b.total_sheets == 6
    title = texts[0]
    assert "В томе пронумеровано и прошито 6 (шесть) листов" in title
    for index, part in enumerate(year_3b.parts, start=1):
        pages = (
            str(part.first_sheet) if part.sheets == 1 else f"{part.first_sheet}–{part.first_sheet + part.sheets - 1}"
        )
        line = f"{index} {part.title} {pages} {part.sheets}"
        assert line in title.replace("\n", " "), line
        for page in range(part.first_sheet, part.first_sheet + part.sheets):
            assert part.title.split(" (учитель")[0].split(" (1 подгруппа)")[0].lower() in texts[page - 1].lower()
    assert sheet_numbers(year_3b.pdf) == [None, 2, 3, 4, 5, 6]


def test_sheet_numbers_stay_right_when_the_plan_is_wrong(small_school: Doc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long topics overflow the planned log page: the parts after it are renumbered from the PDF."""
    monkeypatch.setattr(journal, "log_row_lines", lambda row: 1)  # the plan now believes every row is one line
    for lesson in small_school["classes"][0]["courses"][0]["lessons"]:
        lesson["topic"] = "Очень длинная тема урока " * 75  # 1875 characters
    rendered = _class_volume(small_school)
    numbers = sheet_numbers(rendered.pdf)
    assert len(numbers) > 6, "the long topics must take more pages than planned"
    assert numbers == [None, *range(2, len(numbers) + 1)]
    assert rendered.parts[1].first_sheet == rendered.parts[0].first_sheet + rendered.parts[0].sheets
    assert f"прошито {len(numbers)} " in page_texts(rendered.pdf)[0]


def test_title_plural_and_words(year_3b: RenderedVolume) -> None:
    assert re.search(r"прошито 6 \(шесть\) листов", page_texts(year_3b.pdf)[0])


# -- the grid: the right mark in the right cell ---------------------------------------------------------


def _cell(pdf: bytes, page: int, student: str, label: str) -> str:
    """The text in a student's row under a column's label, located by position like a reader would."""
    sheet = next(p for i, p in enumerate(gridcheck.pages(pdf)) if i == page)
    (table,) = gridcheck.tables(sheet)
    return gridcheck.cell(table, student, label)


def test_marks_are_in_the_right_row_and_column(year_3b: RenderedVolume) -> None:
    pdf = year_3b.pdf  # sheet 2 is the math grid
    assert _cell(pdf, 1, "Андреев Пётр", "1") == "5"
    assert _cell(pdf, 1, "Андреев Пётр", "2") == "3"
    assert _cell(pdf, 1, "Белова Мария", "1") == "б"
    assert _cell(pdf, 1, "Белова Мария", "2") == "4"
    assert _cell(pdf, 1, "Белова Мария", "I") == "4"
    assert _cell(pdf, 1, "Андреев Пётр", "год") == "4"
    assert _cell(pdf, 1, "Васильев Кирилл", "1") == "–"  # not yet in the class
    assert _cell(pdf, 1, "Васильев Кирилл", "11") == "4"
    assert _cell(pdf, 1, "Григорьева Анна", "3") == "–"  # left in December


def test_lesson_log_lists_topics_replacements_and_cancellations(year_3b: RenderedVolume) -> None:
    log = page_texts(year_3b.pdf)[2]
    assert "Натуральные числа" in log and "§ 1, № 3, 5" in log
    assert "замена: Волкова Е. И." in log
    assert "Карантин" in log
    assert "По учебному плану: 170 ч. Проведено: 5 ч. Не проведено: 165 ч." in log


# -- untrusted data -------------------------------------------------------------------------------------


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *args: Any) -> None:
        pass


def test_hostile_names_are_printed_as_text_and_nothing_is_fetched(small_school: Doc) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        students = small_school["classes"][0]["students"]
        students[0]["last_name"] = f'<img src="http://127.0.0.1:{port}/x">'
        students[1]["last_name"] = '<link rel="attachment" href="file:///etc/passwd">'
        small_school["school"]["short_name"] = f"<style>@import url(http://127.0.0.1:{port}/css);</style>"
        small_school["classes"][0]["courses"][0]["lessons"][0]["topic"] = f"<iframe src='http://127.0.0.1:{port}/t'>"
        rendered = _class_volume(small_school)
    finally:
        server.shutdown()
        server.server_close()
    assert _Counter.hits == []
    text = "\n".join(page_texts(rendered.pdf))
    assert f"127.0.0.1:{port}/x" in text and "file:///etc/passwd" in text and "<iframe" in text
    document = reader(rendered.pdf)
    assert list(document.attachments) == ["2025-2026-c-5a-journal.json"]
    assert b"root:x:0:0" not in rendered.pdf


# -- determinism ----------------------------------------------------------------------------------------


def test_same_export_gives_the_same_bytes(small_export: JournalExport, year_3b: RenderedVolume) -> None:
    again = render_volume(class_year_volume(small_export, small_export.classes[0]), variant("3b"))
    assert again.pdf == year_3b.pdf


@pytest.mark.slow  # a new interpreter
def test_same_bytes_in_another_process_and_with_workers(tmp_path: Path, year_3b: RenderedVolume) -> None:
    code = """
import sys
from pathlib import Path
from archiver.rendering.volume import render_volume
from archiver.workers import workers
from archiver.documents.volumes import class_year_volume
from archiver.ingest.importers import load_export
from archiver.rendering.pdfa import variant
export = load_export(Path("tests/data/small_school.json"))
with workers(2) as pool:
    sys.stdout.buffer.write(render_volume(class_year_volume(export, export.classes[0]), variant("3b"), pool).pdf)
"""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=root, timeout=300,
                            env={**os.environ, "PYTHONHASHSEED": "4242"})  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == year_3b.pdf


def test_parallel_workers_give_the_same_volume(small_export: JournalExport, year_3b: RenderedVolume) -> None:
    with workers(2) as pool:
        parallel = render_volume(class_year_volume(small_export, small_export.classes[0]), variant("3b"), pool)
    assert parallel.pdf == year_3b.pdf


def test_changed_data_changes_the_file_identifier(small_school: Doc, year_3b: RenderedVolume) -> None:
    changed = copy.deepcopy(small_school)
    changed["classes"][0]["courses"][0]["marks"][0]["value"] = "4"
    other = _class_volume(changed)
    first_ids = resolve(reader(year_3b.pdf).trailer["/ID"])
    second_ids = resolve(reader(other.pdf).trailer["/ID"])
    assert first_ids[0] == second_ids[0] and first_ids[1] != second_ids[1]
