"""The demo school as МЭШ's teacher routes answer for it (the layout of archiver.ingest.importers.mesh).

What the fixture adds to the demo's data: marks with their 5-, 10- and 100-point values, weights per mark
(some unlike their control form's), «точки» with a mark and a date to clear them by, a second mark on
some lessons, absences both in the attendance route (reason ids mapped in card.json) and among the marks
(`with_non_numeric_entries`), replaced lessons, and subgroups as groups with `is_subgroup`. Paged routes are
saved a page per file, as the fetcher saves them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.recorded import Expected, Numbers, by_id, class_name, lesson_order, result_label

REASONS = {"н": None, "б": 2, "у": 3}  # attendance route reason ids; card.json maps 2 → б, 3 → у, 4 → оп
PAGE = 400


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _paged(folder: Path, items: list[dict[str, Any]]) -> None:
    for number, start in enumerate(range(0, max(len(items), 1), PAGE), start=1):
        _write(folder / f"page-{number:04d}.json", items[start : start + PAGE])


def _ru(day: str) -> str:
    return f"{day[8:10]}.{day[5:7]}.{day[0:4]}"


def _full(person: dict[str, Any]) -> str:
    return " ".join(p for p in (person["last_name"], person["first_name"], person.get("middle_name")) if p)


def record(document: dict[str, Any], target: Path) -> Expected:
    """Write `document` (a demo export) as saved МЭШ responses under `target`; the cells to expect."""
    n = Numbers(base=500_000)
    expected = Expected()
    school = document["school"]
    periods = by_id(document["periods"])
    subjects = by_id(document["subjects"])
    teachers = by_id(document["teachers"])
    work_types = by_id(document["work_types"])
    _write(target / "fetch.json", {"platform": "mesh", "fetched_at": "2026-06-20T12:00:00+03:00"})
    _write(target / "school.json", {"id": n("school"), "name": school["name"], "short_name": school["short_name"],
                                    "principal": _full(school["director"]), "address": {"address": school["address"]}})  # fmt: skip
    card: dict[str, Any] = {"school": {"timezone": "Europe/Moscow"}, "students": {}, "planned_hours": {},
                            "absence_reasons": {"2": "б", "3": "у", "4": "оп"}}  # fmt: skip
    managed = {k["homeroom_teacher"]: [n(k["id"])] for k in document["classes"]}
    _paged(target / "teacher-profiles", [
        {"id": n(t["id"]), "name": _full(t), "managed_class_unit_ids": managed.get(t["id"], [])}
        for t in document["teachers"]
    ])  # fmt: skip
    _paged(target / "control-forms", [
        {"id": n(w["id"]), "name": w["title"], "short_name": w["code"], "weight": w["weight"], "deleted_at": None,
         "grade_system_id": 1, "grade_system": {"id": 1, "name": "Пятибалльная", "type": "five"}}
        for w in document["work_types"]
    ])  # fmt: skip
    serial = 0
    for klass in document["classes"]:
        name = class_name(klass)
        unit = n(klass["id"])
        base = target / "classes" / str(unit)
        students = by_id(klass["students"])
        _write(base / "class-unit.json", {"id": unit, "name": f"{klass['grade']}-{klass['letter']}",
                                          "display_name": name, "class_level_id": klass["grade"]})  # fmt: skip
        schedule = n(f"{klass['id']}-aps")
        used = sorted({p for c in klass["courses"] for p in c["periods"] if periods[p]["kind"] != "year"})
        _write(base / "attestation-periods" / f"{schedule}.json", {
            "id": schedule, "name": "ГАП", "academic_year_id": 13,
            "periods": [{"id": n(f"{klass['id']}-{p}"), "attestation_periods_schedule_id": schedule,
                         "name": f"{periods[p]['number']} {'четверть' if periods[p]['kind'] == 'quarter' else 'полугодие'}",
                         "begin_date": _ru(periods[p]["start"]), "end_date": _ru(periods[p]["end"])} for p in used],
        })  # fmt: skip
        groups, items, marks, attendances = [], [], [], []
        memberships: dict[str, list[dict[str, Any]]] = {s: [] for s in students}
        finals: dict[str, list[dict[str, Any]]] = {s: [] for s in students}
        for course in klass["courses"]:
            group = n(course["id"])
            subject = subjects[course["subject"]]
            teacher = teachers[course["teacher"]]
            sub = course.get("subgroup")
            groups.append({"id": group, "name": sub["name"] if sub else f"{subject['name']} {name}",
                           "subject_id": n(subject["id"]), "subject_name": subject["name"], "class_unit_id": unit,
                           "class_unit_ids": [unit], "attestation_periods_schedule_id": schedule,
                           "is_subgroup": bool(sub), "is_metagroup": False,
                           "teachers": [{"id": n(teacher["id"]), "last_name": teacher["last_name"],
                                         "first_name": teacher["first_name"],
                                         "middle_name": teacher.get("middle_name"), "full_name": _full(teacher)}]})  # fmt: skip
            for member in sub["students"] if sub else students:
                memberships[member].append({"id": group, "name": groups[-1]["name"]})
            card["planned_hours"][str(group)] = course["planned_hours"]
            title = subject["name"] + (f" ({sub['name']})" if sub else "")
            order = lesson_order(course["lessons"])
            by_lesson = by_id(course["lessons"])
            for lesson in course["lessons"]:
                y, m, d = (int(x) for x in lesson["date"].split("-"))
                given_by = lesson.get("teacher", course["teacher"])
                items.append({"id": n(lesson["id"]), "schedule_id": 1, "date": [y, m, d], "time": [8, 30],
                              "iso_date_time": f"{lesson['date']}T08:30:00.000", "study_ordinal": lesson["number"],
                              "group_id": group, "group_name": groups[-1]["name"], "class_unit_id": unit,
                              "subject_id": n(subject["id"]), "subject_name": subject["name"],
                              "teacher_id": n(given_by), "replaced": bool(lesson.get("replacement")),
                              "replaced_teacher_id": n(course["teacher"]) if lesson.get("replacement") else None,
                              "cancelled": bool(lesson.get("cancelled")), "lesson_name": lesson.get("topic"),
                              "topic_name": lesson.get("topic"), "room_name": "Кабинет 301"})  # fmt: skip
            for index, mark in enumerate(course["marks"]):
                serial += 1
                lesson = by_lesson[mark["lesson"]]
                key = (name, title, f"{students[mark['student']]['last_name']} {students[mark['student']]['first_name']}",
                       date.fromisoformat(lesson["date"]), order[lesson["id"]])  # fmt: skip
                value = mark["value"]
                kind = mark.get("work_type") or "wt-u"
                weight = work_types[kind]["weight"]
                point = value == "2" and serial % 3 == 0
                if kind == "wt-kr" and serial % 4 == 0:
                    weight = 3
                entry: dict[str, Any] = {
                    "id": n(f"m{serial}"), "name": value, "student_profile_id": n(mark["student"]),
                    "schedule_lesson_id": n(mark["lesson"]), "date": lesson["date"], "weight": weight,
                    "is_point": point, "point_date": (date.fromisoformat(lesson["date"]) + timedelta(days=14)).isoformat()
                    if point else None, "mark_type_id": 2 if point else 1, "comment": "", "control_form_id": n(kind),
                }  # fmt: skip
                if value.isdigit():
                    entry["values"] = [{"name": value, "nmax": 5, "grade_system_id": 1, "grade_system_type": "five",
                                        "grade": {"origin": value, "five": float(value), "ten": float(value) * 2,
                                                  "hundred": float(value) * 20}}]  # fmt: skip
                marks.append(entry)
                shown = value + ("•" if point else "") + (f"×{weight}" if weight != work_types[kind]["weight"] else "")
                expected.mark(key, shown)
                if index % 13 == 5 and value.isdigit():
                    serial += 1
                    second = "5" if value != "5" else "4"
                    marks.append({"id": n(f"m{serial}"), "name": second, "student_profile_id": n(mark["student"]),
                                  "schedule_lesson_id": n(mark["lesson"]), "date": lesson["date"], "weight": 1,
                                  "is_point": False, "point_date": None, "mark_type_id": 1, "comment": "",
                                  "control_form_id": n("wt-dz"),
                                  "values": [{"name": second, "nmax": 5, "grade_system_type": "five",
                                              "grade": {"origin": second, "five": float(second)}}]})  # fmt: skip
                    expected.mark(key, second)
            for absence in course["absences"]:
                serial += 1
                lesson = by_lesson[absence["lesson"]]
                key = (name, title,
                       f"{students[absence['student']]['last_name']} {students[absence['student']]['first_name']}",
                       date.fromisoformat(lesson["date"]), order[lesson["id"]])  # fmt: skip
                reason = absence["reason"]
                if serial % 4 == 0:  # among the marks, as a non-numeric entry
                    marks.append({"id": n(f"a{serial}"), "name": "уп" if reason == "у" else reason,
                                  "student_profile_id": n(absence["student"]), "schedule_lesson_id": n(absence["lesson"]),
                                  "date": lesson["date"], "weight": 0, "is_point": False, "values": []})  # fmt: skip
                    expected.absence(key, reason)
                else:
                    late = reason == "н" and serial % 7 == 0
                    attendances.append({"student_profile_id": n(absence["student"]),
                                        "schedule_lesson_id": n(absence["lesson"]), "date": _ru(lesson["date"]),
                                        "absence_reason_id": 4 if late else REASONS[reason]})  # fmt: skip
                    expected.absence(key, "оп" if late else reason)
            for kind_key, marks_ in (("period", course["period_marks"]), ("final", course["final_marks"])):
                for mark in marks_:
                    student = mark["student"]
                    entry = {"id": n(f"f-{course['id']}-{student}-{mark.get('period', mark.get('kind'))}"),
                             "subject_id": n(subject["id"]), "value": mark["value"], "academic_debt": False,
                             "no_mark": False, "is_year_mark": False, "year_mark": False, "mark_type": None,
                             "attestation_period_id": None}  # fmt: skip
                    if kind_key == "period":
                        period = periods[mark["period"]]
                        if period["kind"] == "year":
                            entry.update(is_year_mark=True, year_mark=True)
                        else:
                            entry["attestation_period_id"] = n(f"{klass['id']}-{mark['period']}")
                        label = result_label(period)
                    elif mark["kind"] == "exam":
                        entry["is_exam"] = True
                        label = result_label(None, "exam")
                    else:
                        entry["mark_type"] = "attestation"
                        label = result_label(None, "final")
                    finals[student].append(entry)
                    expected.result(name, title, f"{students[student]['last_name']} {students[student]['first_name']}",
                                    label, mark["value"])  # fmt: skip
        profiles = []
        for student in klass["students"]:
            profiles.append({"id": n(student["id"]), "person_id": f"guid-{n(student['id'])}",
                             "last_name": student["last_name"], "first_name": student["first_name"],
                             "middle_name": student.get("middle_name"), "short_name": student["last_name"],
                             "sex": {"m": "male", "f": "female"}.get(student.get("sex", "")),
                             "class_unit": {"id": unit, "name": f"{klass['grade']}-{klass['letter']}"},
                             "groups": memberships[student["id"]], "final_marks": finals[student["id"]]})  # fmt: skip
            stay = {"enrolled": student["enrolled"]} | ({"left": student["left"]} if student.get("left") else {})
            card["students"][str(n(student["id"]))] = stay
        _paged(base / "student-profiles", profiles)
        _paged(base / "groups", groups)
        _paged(base / "schedule-items", items)
        _paged(base / "marks", marks)
        _paged(base / "attendances", attendances)
    _write(target / "card.json", card)
    return expected
