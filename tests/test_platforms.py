"""Journal platforms' data in: a whole class's year recorded in each platform's shape (tests.recorded), imported,
validated, archived, and read back from the stored volume cell by cell; and every kind of malformed input
refused with exit 2, the file and the place named, nothing written."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.demo.generator import generate
from tests import journalcells
from tests.clirun import run_cli
from tests.recorded import Expected
from tests.recorded import dnevnik as dnevnik_recorder
from tests.recorded import mesh as mesh_recorder
from tests.recorded import sgo as sgo_recorder
from tests.sites import copy_archive
from tests.test_archive import Site


def _one_class(name: str) -> dict[str, Any]:
    """The demo school (70 students: classes 2А, 5А and 9А) with one class only: a whole class and year."""
    document = generate(70)
    document["classes"] = [k for k in document["classes"] if f"{k['grade']}{k['letter']}" == name]
    return document


RECORDERS: dict[str, tuple[str, Callable[[dict[str, Any], Path], Expected]]] = {
    # platform: (the class recorded, how), each class a whole year with subgroups
    "dnevnik": ("2А", lambda document, target: dnevnik_recorder.record(document, target, ten_point_classes=("2А",))),
    "sgo": ("2А", sgo_recorder.record),
    "mesh": ("9А", mesh_recorder.record),
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Expected]]:
    """A platform's recorded class year (made once per module and platform): its directory, what to expect."""
    made: dict[str, tuple[Path, Expected]] = {}

    def get(platform: str) -> tuple[Path, Expected]:
        if platform not in made:
            name, recorder = RECORDERS[platform]
            source = tmp_path_factory.mktemp(platform) / "saved"
            made[platform] = (source, recorder(_one_class(name), source))
        return made[platform]

    return get


@pytest.fixture
def site(tmp_path: Path, initialized: Path) -> Site:
    """The session's initialized archive, copied, on SQLite: what is tested here is the import (the catalog
    is the same code as every other archive run's, tested on PostgreSQL elsewhere)."""
    directory = copy_archive(initialized, tmp_path / "archive")
    return Site(directory, f"sqlite:///{directory / 'catalog.sqlite'}")


def _journal(site: Site, cases: list[dict[str, Any]], tmp_path: Path) -> bytes:
    case = next(c["case_id"] for c in cases if c["case_id"].endswith("~journal"))
    site.ok("get", case, "--document", "volume.pdf", "-o", str(tmp_path / "got"), user="auditor")
    return (tmp_path / "got" / "volume.pdf").read_bytes()


def _imported(site: Site, platform: str, source: Path, tmp_path: Path) -> dict[str, Any]:
    """`archiver import` to a file, then `archiver validate` of it; the export."""
    export = tmp_path / "export.json"
    imported = site.ok("import", "--from", platform, str(source), "-o", str(export))
    assert imported["summary"]["classes"] == 1 and imported["summary"]["students"] == {"mesh": 25}.get(platform, 23)
    site.ok("validate", str(export))
    document: dict[str, Any] = json.loads(export.read_text(encoding="utf-8"))
    assert document["schema_version"] == "1.1" and document["source"]["platform"] == platform
    return document


def _archived_cells(site: Site, platform: str, source: Path, tmp_path: Path) -> tuple[dict[Any, str], str]:
    """`archiver import --archive year`; the journal volume's cells as stored, and its text."""
    archived = site.ok("import", "--from", platform, str(source), "--archive", "year")
    pdf = _journal(site, archived["cases"], tmp_path)
    cells = journalcells.read(pdf, 2025)
    return {k: v for k, v in cells.items() if v != "–"}, " ".join(" ".join(journalcells.texts(pdf)).split())


def test_dnevnik_year_imported_and_archived_shows_every_mark_cell_by_cell(
    site: Site, recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path
) -> None:
    source, expected = recorded("dnevnik")
    document = _imported(site, "dnevnik", source, tmp_path)
    persons = json.loads(next((source / "groups").glob("*/persons.json")).read_text(encoding="utf-8"))
    assert {s["id"] for s in document["classes"][0]["students"]} >= {p["id_str"] for p in persons}  # 64-bit, exact
    courses = document["classes"][0]["courses"]
    assert {c.get("scale") for c in courses if c["grading"] == "marks"} == {"10"}
    assert sum(1 for c in courses if "subgroup" in c) == 2

    cells, text = _archived_cells(site, "dnevnik", source, tmp_path)
    assert cells == expected.journal("2А")
    assert "отметки: 10-балльная шкала" in text
    assert "КР — Контрольная работа (вес 2)" in text  # a work type's weight, in the legend
    assert "(5) — отметка не учитывается в среднем балле" in text and "оп — опоздал(а) на урок" in text
    assert "(1 подгруппа)" in text


def test_sgo_year_imported_and_archived_shows_every_mark_cell_by_cell(
    site: Site, recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path
) -> None:
    source, expected = recorded("sgo")
    document = _imported(site, "sgo", source, tmp_path)
    courses = document["classes"][0]["courses"]
    assert sorted(c["subgroup"]["name"] for c in courses if "subgroup" in c) == ["1 подгруппа", "2 подгруппа"]
    marks = [m for c in courses for m in c["marks"]]
    assert any(m.get("point") and "value" not in m for m in marks)  # a «точка» without a mark
    assert any(m.get("weight") == 3 for m in marks)  # an assignment weighted unlike its type
    assert document["school"]["director"]["last_name"] == "Сергеева"  # from the school's card
    cells, text = _archived_cells(site, "sgo", source, tmp_path)
    assert cells == expected.journal("2А")
    assert "• — «точка»: работа не сдана, задолженность" in text
    assert "отметка с весом 3" in text and "оп — опоздал(а) на урок" in text


def test_mesh_year_imported_and_archived_shows_every_mark_cell_by_cell(
    site: Site, recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path
) -> None:
    source, expected = recorded("mesh")
    document = _imported(site, "mesh", source, tmp_path)
    courses = document["classes"][0]["courses"]
    marks = [m for c in courses for m in c["marks"]]
    assert any(m.get("point") and m.get("point_date") and m["value"] == "2" for m in marks)  # a «точка» with a mark
    assert any(m.get("weight") == 3 for m in marks)
    assert any(a["reason"] == "оп" for c in courses for a in c["absences"])  # reason id 4, mapped by card.json
    assert any(lesson.get("replacement") for c in courses for lesson in c["lessons"])
    assert document["school"]["director"]["last_name"] == "Сергеева"  # the principal of school_info
    cells, text = _archived_cells(site, "mesh", source, tmp_path)
    assert cells == expected.journal("9А")
    assert "• — «точка»: работа не сдана, задолженность" in text and "замена:" in text


Mutation = Callable[[Path], str]  # changes the saved source; returns the file and place the error must name


def _edit_json(relative: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(source.glob(relative))
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return edit


def _truncate(relative: str) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(source.glob(relative))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return edit


DNEVNIK_BROKEN: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing field", _edit_json("groups/*/persons.json", lambda d: d[0].pop("lastName")),
     "persons.json", "[0].lastName: missing"),
    ("wrong type", _edit_json("groups/*/marks/2025-09-01_2025-09-30.json", lambda d: d[0].update(value=5)),
     "marks/2025-09-01_2025-09-30.json", "[0].value: expected a string, got 5"),
    ("unknown lesson", _edit_json("groups/*/marks/2025-10-01_2025-10-31.json",
                                  lambda d: d[1].update(lesson=77, lesson_str="77")),
     "marks/2025-10-01_2025-10-31.json", "[1].lesson: unknown lesson 77"),
    ("truncated file", _truncate("groups/*/lessons/2025-11-01_2025-11-30.json"),
     "lessons/2025-11-01_2025-11-30.json", "(is the file truncated?)"),
    ("unknown status", _edit_json("groups/*/lesson-log-entries/2025-09-01_2025-09-30.json",
                                  lambda d: d[0].update(status="Teleported")),
     "lesson-log-entries/2025-09-01_2025-09-30.json", "[0].status: 'Teleported' is not a status"),
    ("not a mark", _edit_json("groups/*/marks/2026-03-01_2026-03-31.json", lambda d: d[2].update(value="11")),
     "marks/2026-03-01_2026-03-31.json", "[2].value: '11' is not a mark of type mark10"),
    ("stranger", _edit_json("groups/*/marks/2026-04-01_2026-04-30.json",
                            lambda d: d[0].update(person=5, person_str="5")),
     "marks/2026-04-01_2026-04-30.json", "[0].person: person 5 is not a student of the class"),
    ("missing response", lambda source: next(source.glob("groups/*/reporting-periods.json")).unlink(),
     "reporting-periods.json", "is missing"),
    ("null id", _edit_json("work-types.json", lambda d: d.append({"title": "x", "id": None})),
     "work-types.json", "[10].id: expected an id"),
    # found by fuzzing: each was a traceback once
    ("huge date", _edit_json("groups/*/lessons/2025-09-01_2025-09-30.json",
                             lambda d: d[0].update(date=[2025, 9, 10**19])),
     "lessons/2025-09-01_2025-09-30.json", "[0].date: "),
    ("teachers not a list", _edit_json("groups/*/lessons/2025-10-01_2025-10-31.json",
                                       lambda d: d[0].update(teachers_str=7)),
     "lessons/2025-10-01_2025-10-31.json", "[0].teachers_str: expected an array, got 7"),
    ("lesson saved twice, differently", _edit_json("groups/*/lessons/2025-11-01_2025-11-30.json",
                                                   lambda d: d.append(dict(d[0], number=7))),
     "lessons/2025-11-01_2025-11-30.json", "was saved twice, differently"),
    ("periods in year 1", _edit_json("groups/*/reporting-periods.json", lambda d: d[0].update(start="0001-01-01")),
     "", "the reporting periods run from 0001-01-01"),
]  # fmt: skip


def _replace_html(relative: str, page: str) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        next(source.glob(relative)).write_text(page, encoding="utf-8")

    return edit


def _edit_html(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(p for p in sorted(source.glob(relative)) if old in p.read_text(encoding="utf-8"))
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    return edit


def _edit_text(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(source.glob(relative))
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _rename_first_student(source: Path) -> None:
    """The Сводная ведомость names a student the class does not have."""
    path = next(source.glob("classes/*/reports/totalmarks.html"))
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r"(class=\"cell-text\" rowspan='\d+'>)[^<]+(</td>)", r"\1Иксов Игрек Игоревич\2", text, count=1),
        encoding="utf-8",
    )


def _absence_on_a_sunday(source: Path) -> None:
    """A student's report whose first date column is moved to Sunday 7 September, an absence in it."""
    path = sorted(source.glob("classes/*/reports/studenttotal-*.html"))[0]
    text = path.read_text(encoding="utf-8").replace("<tr><th>1</th>", "<tr><th>7</th>", 1)
    text = re.sub(r'(<td class="cell-text">[^<]+</td><td>)', r"\1 Б ", text, count=1)
    path.write_text(text, encoding="utf-8")


def _swap_reports(source: Path) -> None:
    """One student's «studenttotal» report saved under another student's name."""
    first, second = sorted(source.glob("classes/*/reports/studenttotal-*.html"))[:2]
    second.write_bytes(first.read_bytes())


def _first_marked(data: dict[str, Any]) -> dict[str, Any]:
    """The first assignment with a mark in a diary week."""
    lessons = [lesson for day in data["weekDays"] for lesson in day["lessons"]]
    return next(a for lesson in lessons for a in lesson.get("assignments", []) if "mark" in a)


SGO_BROKEN: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing field", _edit_json("classes/*/students.json", lambda d: d[3].pop("fullName")),
     "students.json", "[3].fullName: missing"),
    ("wrong type", _edit_json("classes/*/diary/*/2025-09-08.json", lambda d: _first_marked(d).update(weight="heavy")),
     "2025-09-08.json", ".weight: expected a number, got 'heavy'"),
    ("unknown type", _edit_json("classes/*/diary/*/2025-09-15.json", lambda d: _first_marked(d).update(typeId=999)),
     "2025-09-15.json", ".typeId: unknown assignment type 999"),
    ("truncated file", _truncate("classes/*/diary/*/2025-10-06.json"), "2025-10-06.json", "(is the file truncated?)"),
    ("not the report", _replace_html("classes/*/reports/totalmarks.html", "<html><body><p>Ошибка 500</p></body></html>"),
     "totalmarks.html", "not the expected report: no table.table-print-num"),
    ("unknown code", _edit_html("classes/*/reports/studenttotal-*.html", "<td> Б", "<td> ЖЖ"),
     ".html: row ", "'ЖЖ' is not an absence code"),
    ("absence without its lesson", _absence_on_a_sunday,
     ".html: row ", "when the diary has no lesson of"),
    ("unknown student", _rename_first_student,
     "totalmarks.html: row ", "is not a student of the class"),
    ("mark of another", _edit_json("classes/*/diary/*/2025-11-10.json",
                                   lambda d: _first_marked(d)["mark"].update(studentId=4)),
     "2025-11-10.json", ".mark.studentId: a mark of student 4 in the diary of student"),
    ("page cut short", _edit_html("classes/*/reports/totalmarks.html", "</table></body></html>", ""),
     "totalmarks.html", "the page ends before </html> (is the file truncated?)"),
    ("another student's report", _swap_reports, "studenttotal-", "the report is of "),
]  # fmt: skip
MESH_BROKEN: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing field", _edit_json("classes/*/student-profiles/page-0001.json", lambda d: d[2].pop("last_name")),
     "page-0001.json", "[2].last_name: missing"),
    ("wrong type", _edit_json("classes/*/schedule-items/page-0002.json", lambda d: d[5].update(study_ordinal="2nd")),
     "schedule-items/page-0002.json", "[5].study_ordinal: expected an integer, got '2nd'"),
    ("unknown lesson", _edit_json("classes/*/marks/page-0003.json", lambda d: d[7].update(schedule_lesson_id=12345)),
     "marks/page-0003.json", "[7].schedule_lesson_id: unknown lesson 12345"),
    ("truncated file", _truncate("classes/*/marks/page-0004.json"), "marks/page-0004.json", "(is the file truncated?)"),
    ("unknown form", _edit_json("classes/*/marks/page-0001.json", lambda d: d[0].update(control_form_id=9)),
     "marks/page-0001.json", "[0].control_form_id: unknown control form 9"),
    ("bad scale value", _edit_json("classes/*/marks/page-0002.json", lambda d: d[1]["values"][0]["grade"].update(five=7)),
     "marks/page-0002.json", "[1].values[0].grade.five: a mark's 5-point value must be from 1 to 5"),
    ("values not a list", _edit_json("classes/*/marks/page-0001.json", lambda d: d[3].update(values={"a": 1})),
     "marks/page-0001.json", "[3].values: expected an array"),
    ("a final mark of 1e400", _edit_text("classes/*/student-profiles/page-0001.json", '"value":"', '"value":1e400,"x":"'),
     "page-0001.json", "1e400 is too large a number"),
    ("unknown teacher", _edit_json("classes/*/schedule-items/page-0001.json", lambda d: d[0].update(teacher_id=31)),
     "schedule-items/page-0001.json", "[0].teacher_id: teacher 31 is not among the saved teacher profiles"),
]  # fmt: skip
BROKEN = (
    [("dnevnik", *case) for case in DNEVNIK_BROKEN]
    + [("sgo", *case) for case in SGO_BROKEN]
    + [("mesh", *case) for case in MESH_BROKEN]
)


@pytest.mark.parametrize(("platform", "mutate", "file", "place"), [(c[0], *c[2:]) for c in BROKEN],
                         ids=[f"{c[0]}-{c[1]}" for c in BROKEN])  # fmt: skip
def test_malformed_platform_data_exits_2_naming_file_and_place(
    recorded: Callable[[str], tuple[Path, Expected]],
    tmp_path: Path,
    platform: str,
    mutate: Callable[[Path], None],
    file: str,
    place: str,
) -> None:
    source = tmp_path / "saved"
    shutil.copytree(recorded(platform)[0], source)
    mutate(source)
    output = tmp_path / "export.json"
    ran = run_cli("import", "--from", platform, str(source), "-o", str(output))
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert file in ran.stderr and place in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    assert not output.exists()


def test_the_journal_shows_what_schema_1_1_adds(small_school: dict[str, Any]) -> None:
    """Cell by cell, on the model: the verbatim mark, its own weight, «(5)» out of the average, a «точка»
    with and without a mark, lateness, and «–» on the days a student was not in the subgroup."""
    from archiver.documents.journal import GridPage, course_journal
    from archiver.ingest.model import build_export

    math = small_school["classes"][0]["courses"][0]
    lesson = math["marks"][0]["lesson"]
    math["marks"][0].update(raw="5-", weight=3, counts=False)  # «(5-×3)»
    math["marks"].append({"student": "s-1", "lesson": lesson, "point": True})  # «•»
    math["marks"].append({"student": "s-1", "lesson": lesson, "value": "2", "point": True})  # «2•»
    math["absences"].append({"student": "s-2", "lesson": lesson, "reason": "оп"})
    english = small_school["classes"][0]["courses"][1]
    english["subgroup"]["memberships"] = [{"student": "s-1", "from": "2025-10-01"}]  # joined the group in October
    export = build_export(small_school)
    klass = export.classes[0]

    def cells(course_index: int) -> dict[tuple[str, str], str]:
        journal = course_journal(export, klass, klass.courses[course_index])
        grid = next(p for p in journal.pages if isinstance(p, GridPage)).grid
        notes = {f.mark: f.text.rsplit(": ", 1)[1] for f in grid.footnotes}  # a value too wide for its cell
        return {(" ".join(row.name), column.label): notes.get(text, text)
                for row in grid.rows for column, text in zip(grid.columns, row.cells, strict=True) if text}  # fmt: skip

    day = str(int(next(x["date"] for x in math["lessons"] if x["id"] == lesson)[8:]))
    got = cells(0)
    student = next(key for key in got if key[1] == day and "1." in key[0])
    assert got[student] == "(5-×3)/•/2•"
    assert got[next(key for key in got if key[1] == day and key[0].startswith("2."))] == "оп"
    english_cells = cells(1)
    assert any(text == "–" for (name, _), text in english_cells.items() if name.startswith("1."))  # before October


def test_a_saved_directory_over_its_limit_is_refused_before_anything_is_read(
    recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path
) -> None:
    source, _ = recorded("sgo")  # 20 students' diaries: ~13 MB, over 8 × 1 MB
    config = tmp_path / "archiver.toml"
    config.write_text("[input]\nmax_export_mb = 1\n", encoding="utf-8")
    ran = run_cli("import", "--from", "sgo", str(source), "-o", str(tmp_path / "export.json"), config=config)
    assert ran.returncode == 2
    assert f"{source}: the saved responses are over 8 MB (8 times [input] max_export_mb)" in ran.stderr
    assert not (tmp_path / "export.json").exists()
