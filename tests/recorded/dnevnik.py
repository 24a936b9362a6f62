"""The demo school as Дневник.ру's partner API v2 would answer for it (the layout of archiver.ingest.importers.dnevnik).

What the fixture adds to the demo's data, so that the import meets what real data holds: one class marked on
the 10-point scale (`mark10`), marks with a plus or a minus («4-»), a second mark on some lessons, marks that
do not count in the average (`use_avg_calc: false`), lateness (`Late`), and subgroups as edu-groups of type
Subgroup. Work types carry their weights (the journal's legend prints them)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from tests.recorded import Expected, Numbers, by_id, class_name, lesson_order, months, result_label, ten_point

SEX = {"m": "Male", "f": "Female"}
KINDS = {"quarter": "Quarter", "trimester": "Trimester", "half_year": "HalfYear"}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _at(day: str) -> str:
    return f"{day}T00:00:00"


def _person(n: int, record: dict[str, Any]) -> dict[str, Any]:
    person = {"id": n, "id_str": str(n), "userId": n + 7, "userId_str": str(n + 7),
              "firstName": record["first_name"], "lastName": record["last_name"],
              "middleName": record.get("middle_name"),
              "shortName": f"{record['first_name']} {record['last_name'][0]}."}  # fmt: skip
    if record.get("sex"):
        person["sex"] = SEX[record["sex"]]
    return person


def record(document: dict[str, Any], target: Path, *, ten_point_classes: tuple[str, ...] = ()) -> Expected:
    """Write `document` (a demo export) as saved Дневник.ру responses under `target`; the cells to expect."""
    n = Numbers()
    expected = Expected()
    school = document["school"]
    school_id = n("school")
    _write(target / "school.json", {"id": school_id, "id_str": str(school_id), "name": school["short_name"],
                                    "fullName": school["name"], "city": "Приволжск", "regionId": 52,
                                    "markType": "mark5", "timeZone": 3, "uses_avg": True,
                                    "uses_weighted_avg": True})  # fmt: skip
    _write(target / "fetch.json", {"platform": "dnevnik", "fetched_at": "2026-06-20T12:00:00+03:00"})
    _write(target / "work-types.json", [
        {"id": n(w["id"]), "id_str": str(n(w["id"])), "schoolId": school_id, "kindId": 1, "kind": "Common",
         "title": w["title"], "abbr": w["code"], "weight": w["weight"]}
        for w in document["work_types"]
    ])  # fmt: skip
    teachers = by_id(document["teachers"])
    for teacher in document["teachers"]:
        _write(target / "persons" / f"{n(teacher['id'])}.json", _person(n(teacher["id"]), teacher))
    card: dict[str, Any] = {
        "school": {"address": school["address"], "director": school["director"], "timezone": "Europe/Moscow"},
        "students": {},
        "planned_hours": {},
    }
    start, end = (
        date.fromisoformat(document["academic_year"]["start"]),
        date.fromisoformat(document["academic_year"]["end"]),
    )
    periods = by_id(document["periods"])
    subjects = by_id(document["subjects"])
    work_types = {w["id"]: n(w["id"]) for w in document["work_types"]}
    serial = 0
    for klass in document["classes"]:
        name = class_name(klass)
        ten = name in ten_point_classes
        group = n(klass["id"])
        folder = target / "groups" / str(group)
        _write(folder / "edu-group.json", {"id": group, "id_str": str(group), "parentIds": [], "parentIds_str": [],
                                           "type": "Group", "name": name, "fullName": f"{name} класс",
                                           "parallel": klass["grade"], "studyyear": start.year,
                                           "journaltype": "Default"})  # fmt: skip
        students = by_id(klass["students"])
        _write(folder / "persons.json", [_person(n(s["id"]), s) for s in klass["students"]])
        for student in klass["students"]:
            stay = {"enrolled": student["enrolled"]}
            if student.get("left"):
                stay["left"] = student["left"]
            card["students"][str(n(student["id"]))] = stay
        used = sorted({p for c in klass["courses"] for p in c["periods"] if periods[p]["kind"] != "year"})
        _write(folder / "reporting-periods.json", [
            {"id": n(f"{klass['id']}-{p}"), "id_str": str(n(f"{klass['id']}-{p}")), "start": _at(periods[p]["start"]),
             "finish": _at(periods[p]["end"]), "number": periods[p]["number"] - 1,
             "type": KINDS[periods[p]["kind"]], "name": periods[p]["name"], "year": start.year}
            for p in used
        ])  # fmt: skip
        homeroom = teachers[klass["homeroom_teacher"]]
        _write(folder / "classteacher.json", _person(n(homeroom["id"]), homeroom))
        lessons: list[dict[str, Any]] = []
        marks: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        finals: dict[str, dict[str, list[Any]]] = {}
        for course in klass["courses"]:
            owner = group
            if course.get("subgroup"):
                owner = n(f"{klass['id']}-{course['subgroup']['name']}-{course['subject']}")
                sub_folder = target / "groups" / str(owner)
                _write(sub_folder / "edu-group.json", {"id": owner, "id_str": str(owner), "parentIds": [group],
                                                       "parentIds_str": [str(group)], "type": "Subgroup",
                                                       "name": course["subgroup"]["name"]})  # fmt: skip
                _write(
                    sub_folder / "persons.json", [_person(n(s), students[s]) for s in course["subgroup"]["students"]]
                )
            subject = n(course["subject"])
            title = subjects[course["subject"]]["name"] + (
                f" ({course['subgroup']['name']})" if course.get("subgroup") else ""
            )
            course_id = f"{owner}-{subject}"
            card["planned_hours"][course_id] = course["planned_hours"]
            order = lesson_order(course["lessons"])
            lesson_by_id = by_id(course["lessons"])
            for lesson in course["lessons"]:
                teacher = n(lesson.get("teacher", course["teacher"]))
                works = []
                if lesson.get("homework"):
                    works.append({"id": n(f"hw-{lesson['id']}"), "type": "Homework", "workType": work_types["wt-dz"],
                                  "markType": "mark5", "markCount": 0, "lesson": n(lesson["id"]),
                                  "text": lesson["homework"], "targetDate": _at(lesson["date"])})  # fmt: skip
                lessons.append({"id": n(lesson["id"]), "id_str": str(n(lesson["id"])), "title": lesson.get("topic"),
                                "date": _at(lesson["date"]), "number": lesson["number"],
                                "subject": {"id": subject, "id_str": str(subject),
                                            "name": subjects[course["subject"]]["name"], "knowledgeArea": "—"},
                                "group": owner, "status": "Canceled" if lesson.get("cancelled") else "Conducted",
                                "works": works, "teachers": [teacher], "teachers_str": [str(teacher)]})  # fmt: skip
            for index, mark in enumerate(course["marks"]):
                serial += 1
                lesson = lesson_by_id[mark["lesson"]]
                value = mark["value"]
                if value in ("зач", "незач"):
                    raw, kind = {"зач": "зч", "незач": "нз"}[value], "mark5"
                elif ten:
                    raw, kind = ten_point(value, serial), "mark10"
                else:
                    raw, kind = value, "mark5"
                if serial % 11 == 0 and raw not in ("1", "зч", "нз"):
                    raw += "-"  # «4-»: the mark itself is 4
                counts = serial % 37 != 0
                work = n(f"w-{mark['lesson']}-{mark.get('work_type')}")
                marks.append({"id": n(f"m{serial}"), "id_str": str(n(f"m{serial}")), "type": kind, "value": raw,
                              "textValue": raw, "person": n(mark["student"]), "person_str": str(n(mark["student"])),
                              "work": work, "work_str": str(work), "lesson": n(mark["lesson"]),
                              "lesson_str": str(n(mark["lesson"])), "number": 0, "date": f"{lesson['date']}T10:05:00",
                              "workType": work_types[mark.get("work_type") or "wt-u"], "mood": "Good",
                              "use_avg_calc": counts})  # fmt: skip
                key = (name, title, _short(students[mark["student"]]), date.fromisoformat(lesson["date"]),
                       order[lesson["id"]])  # fmt: skip
                expected.mark(key, raw if counts else f"({raw})")
                if index % 13 == 5 and value not in ("зач", "незач"):  # a second mark for the same lesson
                    serial += 1
                    second = "5" if value != "5" else "4"
                    raw2 = ten_point(second, serial) if ten else second
                    marks.append({"id": n(f"m{serial}"), "id_str": str(n(f"m{serial}")), "type": kind,
                                  "value": raw2, "textValue": raw2, "person": n(mark["student"]),
                                  "person_str": str(n(mark["student"])), "work": n(f"w2-{mark['lesson']}"),
                                  "work_str": str(n(f"w2-{mark['lesson']}")), "lesson": n(mark["lesson"]),
                                  "lesson_str": str(n(mark["lesson"])), "number": 0,
                                  "date": f"{lesson['date']}T10:06:00", "workType": work_types["wt-dz"],
                                  "mood": "Good", "use_avg_calc": True})  # fmt: skip
                    expected.mark(key, raw2)
            for index, absence in enumerate(course["absences"]):
                lesson = lesson_by_id[absence["lesson"]]
                status = {"н": "Absent", "б": "Ill", "у": "Pass"}[absence["reason"]]
                if absence["reason"] == "н" and index % 5 == 0:
                    status = "Late"
                entries.append({"person": n(absence["student"]), "person_str": str(n(absence["student"])),
                                "lesson": n(absence["lesson"]), "lesson_str": str(n(absence["lesson"])),
                                "comment": "", "status": status,
                                "createdDate": f"{lesson['date']}T08:40:00"})  # fmt: skip
                key = (name, title, _short(students[absence["student"]]), date.fromisoformat(lesson["date"]),
                       order[lesson["id"]])  # fmt: skip
                expected.absence(key, {"Absent": "н", "Ill": "б", "Pass": "у", "Late": "оп"}[status])
            for kind_key, items in (("period", course["period_marks"]), ("final", course["final_marks"])):
                for mark in items:
                    person = str(n(mark["student"]))
                    bundle = finals.setdefault(person, {"marks": [], "works": [], "subjects": [], "workTypes": []})
                    if kind_key == "period" and periods[mark["period"]]["kind"] == "year":
                        work_kind, extra = "PeriodFinalMark", {}
                    elif kind_key == "period":
                        period = periods[mark["period"]]
                        work_kind = "PeriodMark"
                        extra = {"periodNumber": period["number"] - 1, "periodType": KINDS[period["kind"]]}
                    elif mark["kind"] == "exam":
                        work_kind, extra = "Exam", {}
                    else:
                        continue  # Дневник.ру's v2 has no certificate («итоговая») mark apart from the year's
                    work = n(f"fw-{course['id']}-{mark.get('period', mark.get('kind'))}-{person}")
                    value = mark["value"]
                    raw = ten_point(value, int(person)) if ten and value.isdigit() else value
                    label = result_label(periods.get(mark.get("period", "")), mark.get("kind"))
                    expected.result(name, title, _short(students[mark["student"]]), label, raw)
                    bundle["works"].append({"id": work, "id_str": str(work), "type": work_kind,
                                            "workType": work_types["wt-kr"], "markType": "mark10" if ten else "mark5",
                                            "markCount": 1, "eduGroup": owner, "subjectId": subject,
                                            "targetDate": _at(end.isoformat()), **extra})  # fmt: skip
                    bundle["marks"].append({"id": n(f"fm-{work}"), "type": "mark10" if ten else "mark5", "value": raw,
                                            "textValue": raw, "person": int(person), "person_str": person,
                                            "work": work, "work_str": str(work), "lesson": None,
                                            "date": f"{end.isoformat()}T09:00:00",
                                            "workType": work_types["wt-kr"]})  # fmt: skip
        for first, last in months(start, end):
            span = f"{first.isoformat()}_{last.isoformat()}"
            inside = [x for x in lessons if first.isoformat() <= x["date"][:10] <= last.isoformat()]
            if inside:
                _write(folder / "lessons" / f"{span}.json", inside)
            _write(folder / "marks" / f"{span}.json",
                   [m for m in marks if first.isoformat() <= m["date"][:10] <= last.isoformat()])  # fmt: skip
            _write(folder / "lesson-log-entries" / f"{span}.json",
                   [e for e in entries if first.isoformat() <= e["createdDate"][:10] <= last.isoformat()])  # fmt: skip
        for person, bundle in finals.items():
            _write(folder / "final-marks" / f"{person}.json", bundle)
    _write(target / "card.json", card)
    return expected


def _short(student: dict[str, Any]) -> str:
    return f"{student['last_name']} {student['first_name']}"
