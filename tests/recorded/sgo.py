"""The demo school as «Сетевой город. Образование» shows it (the layout of archiver.ingest.importers.sgo): each
student's diary weeks, the class's subject groups, and the two report pages a school saves.

What the fixture adds to the demo's data: «точки» (`dutyMark` without a mark), assignments whose weight is
not their type's usual one, a second mark (for homework) on some lessons, lateness («ОП»), and the English
subgroups as subject groups with their own student lists."""

from __future__ import annotations

import html
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.recorded import Expected, Numbers, by_id, class_name, lesson_order, result_label

TYPE_IDS = {"wt-u": 10, "wt-rnu": 11, "wt-dz": 3, "wt-sr": 12, "wt-t": 13, "wt-kr": 4, "wt-d": 14, "wt-soch": 15,
            "wt-pr": 16, "wt-lr": 17}  # fmt: skip
MONTHS = ("", "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
          "Ноябрь", "Декабрь")  # fmt: skip
CODES = {"н": "Н", "б": "Б", "у": "УП"}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _at(day: str) -> str:
    return f"{day}T00:00:00"


def _full(person: dict[str, Any]) -> str:
    return " ".join(p for p in (person["last_name"], person["first_name"], person.get("middle_name")) if p)


def record(document: dict[str, Any], target: Path) -> Expected:
    """Write `document` (a demo export) as saved «Сетевой город» data under `target`; the cells to expect."""
    n = Numbers(base=100_000)
    expected = Expected()
    school = document["school"]
    periods = by_id(document["periods"])
    subjects = by_id(document["subjects"])
    teachers = by_id(document["teachers"])
    work_types = by_id(document["work_types"])
    _write(target / "fetch.json", {"platform": "sgo", "fetched_at": "2026-06-20T12:00:00+03:00"})
    _write(target / "school-card.json", {"commonInfo": {"schoolName": school["short_name"],
                                                        "fullSchoolName": school["name"], "schoolNumber": "10"},
                                         "managementInfo": {"director": _full(school["director"])},
                                         "contactInfo": {"postAddress": school["address"]}})  # fmt: skip
    _write(target / "card.json", {"school": {"timezone": "Europe/Moscow"}, "students": {}, "planned_hours": {}})
    card = json.loads((target / "card.json").read_text(encoding="utf-8"))
    _write(target / "assignment-types.json", [
        {"id": TYPE_IDS[w["id"]], "name": w["title"], "abbr": w["code"], "order": i}
        for i, w in enumerate(document["work_types"])
    ])  # fmt: skip
    used_periods = sorted({p for k in document["classes"] for c in k["courses"] for p in c["periods"]
                           if periods[p]["kind"] != "year"})  # fmt: skip
    _write(target / "terms.json", [
        {"id": n(p), "termName": f"{periods[p]['number']} {'четверть' if periods[p]['kind'] == 'quarter' else 'полугодие'}",
         "termTypeId": 1 if periods[p]["kind"] == "quarter" else 3, "startDate": _at(periods[p]["start"]),
         "endDate": _at(periods[p]["end"]), "schoolYearId": 77}
        for p in used_periods
    ])  # fmt: skip
    _write(target / "subjects.json", [
        {"id": n(s["id"]), "name": s["name"], "shortName": s.get("short_name", s["name"])} for s in document["subjects"]
    ])  # fmt: skip
    start = date.fromisoformat(document["academic_year"]["start"])
    serial = 0
    for klass in document["classes"]:
        name = class_name(klass)
        cid = n(klass["id"])
        base = target / "classes" / str(cid)
        students = by_id(klass["students"])
        homeroom = teachers[klass["homeroom_teacher"]]
        _write(base / "class.json", {"id": cid, "name": f"{klass['grade']}{klass['letter'].lower()}",
                                     "grade": {"id": klass["grade"], "name": str(klass["grade"])},
                                     "letter": klass["letter"].lower(),
                                     "chiefs": [{"id": n(homeroom["id"]), "name": _full(homeroom)}]})  # fmt: skip
        _write(base / "students.json", [{"id": n(s["id"]), "fullName": _full(s)} for s in klass["students"]])
        for student in klass["students"]:
            stay = {"enrolled": student["enrolled"]} | ({"left": student["left"]} if student.get("left") else {})
            card["students"][str(n(student["id"]))] = stay
        groups = []
        diary: dict[str, dict[str, list[dict[str, Any]]]] = {s: {} for s in students}  # student → day → lessons
        report: dict[str, dict[tuple[str, str], dict[str, list[str]]]] = {s: {} for s in students}
        totals: dict[str, dict[tuple[str, str], str]] = {s: {} for s in students}  # (row, subject short) → mark
        for course in klass["courses"]:
            sg = n(course["id"])
            subject = subjects[course["subject"]]
            members = course["subgroup"]["students"] if course.get("subgroup") else list(students)
            sg_name = f"{name.lower()}/{subject['name']}" + (
                f"/{course['subgroup']['name']}" if course.get("subgroup") else ""
            )
            teacher = teachers[course["teacher"]]
            groups.append({"id": sg, "name": sg_name, "subject": {"id": n(subject["id"]), "name": subject["name"]},
                           "teachers": [{"id": n(teacher["id"]), "name": _full(teacher)}],
                           "class": {"id": cid, "name": name.lower()}})  # fmt: skip
            if course.get("subgroup"):
                _write(
                    base / "subjectgroups" / f"{sg}.json",
                    [{"id": n(s), "fullName": _full(students[s])} for s in members],
                )
            card["planned_hours"][str(sg)] = course["planned_hours"]
            title = subject["name"] + (f" ({course['subgroup']['name']})" if course.get("subgroup") else "")
            order = lesson_order(course["lessons"])
            marks_by_lesson: dict[str, list[dict[str, Any]]] = {}
            for mark in course["marks"]:
                marks_by_lesson.setdefault(mark["lesson"], []).append(mark)
            absences = {(a["student"], a["lesson"]): a["reason"] for a in course["absences"]}
            held = [lesson for lesson in course["lessons"] if not lesson.get("cancelled")]
            per_day: dict[str, list[dict[str, Any]]] = {}
            for lesson in held:
                per_day.setdefault(lesson["date"], []).append(lesson)
            for lesson in held:
                meeting = n(lesson["id"])
                marks = marks_by_lesson.get(lesson["id"], [])
                kinds = [
                    w for w in TYPE_IDS if w != "wt-dz" and (w == "wt-u" or any(m.get("work_type") == w for m in marks))
                ]
                assignments = []
                for kind in kinds:
                    serial += 1
                    weight = work_types[kind]["weight"]
                    if kind == "wt-kr" and serial % 3 == 0:
                        weight = 3  # this test counted for more than the type's usual weight
                    assignments.append({"id": n(f"a-{lesson['id']}-{kind}"), "typeId": TYPE_IDS[kind],
                                        "assignmentName": lesson.get("topic") if kind == "wt-u" else work_types[kind]["title"],
                                        "weight": weight, "dueDate": _at(lesson["date"]), "classMeetingId": meeting,
                                        "issueClassMeetingId": meeting, "classAssignment": True,
                                        "existsTestPlan": False, "_kind": kind})  # fmt: skip
                if lesson.get("homework"):
                    assignments.append({"id": n(f"a-{lesson['id']}-dz"), "typeId": TYPE_IDS["wt-dz"],
                                        "assignmentName": lesson["homework"], "weight": 1,
                                        "dueDate": _at(lesson["date"]), "classMeetingId": meeting,
                                        "issueClassMeetingId": meeting, "classAssignment": True,
                                        "existsTestPlan": False, "_kind": "wt-dz"})  # fmt: skip
                for student in members:
                    if not (
                        students[student]["enrolled"] <= lesson["date"]
                        and (not students[student].get("left") or lesson["date"] <= students[student]["left"])
                    ):
                        continue  # a student sees the diary of the days he or she was in the class
                    key = (name, title, f"{students[student]['last_name']} {students[student]['first_name']}",
                           date.fromisoformat(lesson["date"]), order[lesson["id"]])  # fmt: skip
                    own = [dict(a) for a in assignments]
                    mine = [m for m in marks if m["student"] == student]
                    serial += 1
                    for assignment in own:
                        kind = assignment.pop("_kind")
                        given = next((m for m in mine if (m.get("work_type") or "wt-u") == kind), None)
                        if given is not None:
                            assignment["mark"] = {"assignmentId": assignment["id"], "studentId": n(student),
                                                  "mark": int(given["value"]) if given["value"].isdigit() else given["value"],
                                                  "resultScore": None, "dutyMark": False}  # fmt: skip
                            weight = assignment["weight"]
                            shown = given["value"] + (f"×{weight}" if weight != work_types[kind]["weight"] else "")
                            expected.mark(key, shown)
                        elif kind == "wt-u" and not mine and serial % 41 == 0:
                            assignment["mark"] = {"assignmentId": assignment["id"], "studentId": n(student),
                                                  "mark": None, "resultScore": None, "dutyMark": True}  # fmt: skip
                            expected.mark(key, "•")
                        elif kind == "wt-dz" and mine and serial % 13 == 5 and mine[0]["value"].isdigit():
                            second = "5" if mine[0]["value"] != "5" else "4"
                            assignment["mark"] = {"assignmentId": assignment["id"], "studentId": n(student),
                                                  "mark": int(second), "resultScore": None, "dutyMark": False}  # fmt: skip
                            expected.mark(key, second)
                    diary[student].setdefault(lesson["date"], []).append({
                        "classmeetingId": meeting, "day": _at(lesson["date"]), "number": lesson["number"], "relay": 1,
                        "room": "214", "startTime": "08:30", "endTime": "09:15", "subjectName": subject["name"],
                        "isDistanceLesson": False, "isEaLesson": False, "assignments": own,
                    })  # fmt: skip
                    tokens = report[student].setdefault((subject["name"], lesson["date"]), {"codes": [], "marks": []})
                    tokens["marks"].extend(str(a["mark"]["mark"] or "·") for a in own if "mark" in a)
                    reason = absences.get((student, lesson["id"]))
                    if reason:
                        code = "ОП" if reason == "н" and serial % 5 == 0 else CODES[reason]
                        tokens["codes"].append(code)
                        if len(tokens["codes"]) > 1:
                            continue  # the report's one column per date shows the day's first code for all its lessons
                        local = {"Н": "н", "Б": "б", "УП": "у", "ОП": "оп"}[code]
                        for same_day in per_day[lesson["date"]]:  # the report has one column per date, not per lesson
                            day_key = (*key[:4], order[same_day["id"]])
                            if day_key not in expected.absences:
                                expected.absence(day_key, local)
            short = subject.get("short_name", subject["name"])
            for kind_key, items in (("period", course["period_marks"]), ("final", course["final_marks"])):
                for mark in items:
                    student = mark["student"]
                    if kind_key == "period":
                        period = periods[mark["period"]]
                        row = (
                            "Годовая"
                            if period["kind"] == "year"
                            else (f"{period['number']} {'четверть' if period['kind'] == 'quarter' else 'полугодие'}")
                        )
                        label = result_label(period)
                    else:
                        row = {"exam": "Экзамен", "final": "Итоговая"}[mark["kind"]]
                        label = result_label(None, mark["kind"])
                    totals[student][(row, short)] = mark["value"]
                    expected.result(name, title, f"{students[student]['last_name']} {students[student]['first_name']}",
                                    label, mark["value"])  # fmt: skip
        _write(base / "subjectgroups.json", groups)
        for student, days in diary.items():
            if not days:
                continue
            first = min(date.fromisoformat(d) for d in days)
            monday = first - timedelta(days=first.weekday())
            last = max(date.fromisoformat(d) for d in days)
            while monday <= last:
                week = [monday + timedelta(days=i) for i in range(6)]
                _write(base / "diary" / str(n(student)) / f"{monday.isoformat()}.json", {
                    "weekStart": _at(monday.isoformat()), "weekEnd": _at(week[-1].isoformat()), "termName": "",
                    "className": name.lower(), "laAssigns": [],
                    "weekDays": [{"date": _at(d.isoformat()), "lessons": sorted(days[d.isoformat()], key=lambda x: x["number"])}
                                 for d in week if d.isoformat() in days],
                })  # fmt: skip
                monday += timedelta(days=7)
        for student in students:
            _write_studenttotal(base / "reports" / f"studenttotal-{n(student)}.html", school, name,
                                _full(students[student]), report[student], start)  # fmt: skip
        subject_order = list(dict.fromkeys(subjects[c["subject"]].get("short_name", subjects[c["subject"]]["name"])
                                           for c in klass["courses"] if c["grading"] != "none"))  # fmt: skip
        _write_totals(base / "reports" / "totalmarks.html", school, name, klass["students"], totals, subject_order)
    _write(target / "card.json", card)
    return expected


def _write_studenttotal(path: Path, school: dict[str, Any], klass: str, student: str,
                        cells: dict[tuple[str, str], dict[str, list[str]]], start: date) -> None:  # fmt: skip
    days = sorted({day for _, day in cells})
    months: list[tuple[int, int]] = []
    for day in days:
        month = int(day[5:7])
        if months and months[-1][0] == month:
            months[-1] = (month, months[-1][1] + 1)
        else:
            months.append((month, 1))
    head = "".join(f'<th colspan="{count}">{MONTHS[month]}</th>' for month, count in months)
    dayrow = "".join(f"<th>{int(day[8:])}</th>" for day in days)
    rows = []
    for subject in dict.fromkeys(s for s, _ in cells):
        tds = "".join(f"<td> {'&nbsp;'.join(html.escape(t) for t in _tokens(cells.get((subject, day))))} </td>"
                      for day in days)  # fmt: skip
        rows.append(f'<tr><td class="cell-text">{html.escape(subject)}</td>{tds}'
                    '<td class="cell-num-2">4,50</td><td class="cell-num-2"></td></tr>')  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""<html><body><h5 class="report-title-school">{html.escape(school["short_name"])}</h5>
<h2 class="main-report-title">Отчет об успеваемости и посещаемости ученика</h2>
<table cellspacing="10px"><tr><td class="no-border"></td><td class="no-border">
<span class="select"><b>Учебный год:</b> {start.year}/{start.year + 1}</span><br/>
<span class="select"><b>Класс:</b> {klass.lower()}</span><br/>
<span class="select" data-sheet-name="{html.escape(student)}"><b>Ученик:</b> {html.escape(student)}</span></td></tr></table>
<table class="table-print">
<tr><th rowspan="2">Предмет</th>{head}<th rowspan="2">Средн.<br />оценка</th><th rowspan="2">Итог.оценка</th></tr>
<tr>{dayrow}</tr>
{"".join(rows)}
</table>
<div class="legend"><p><span class="legend-label">УП</span> — Пропуск по уважительной причине</p></div>
</body></html>""",
        encoding="utf-8",
    )


def _tokens(cell: dict[str, list[str]] | None) -> list[str]:
    return [] if cell is None else cell["codes"][:1] + cell["marks"]


def _write_totals(path: Path, school: dict[str, Any], klass: str, students: list[dict[str, Any]],
                  totals: dict[str, dict[tuple[str, str], str]], subjects: list[str]) -> None:  # fmt: skip
    head = "".join(f'<th class="vertical small"><i>{html.escape(s)}</i></th>' for s in subjects)
    blocks = []
    for number, student in enumerate(sorted(students, key=_full), start=1):
        marks = totals[student["id"]]
        rows = list(dict.fromkeys(row for row, _ in marks)) or ["1 четверть"]
        for index, row in enumerate(rows):
            cells = "".join(f"<td>&nbsp;{html.escape(marks.get((row, s), ''))}</td>" for s in subjects)
            lead = (f"<td rowspan='{len(rows)}'>{number}</td><td class=\"cell-text\" rowspan='{len(rows)}'>"
                    f"{html.escape(_full(student))}</td>") if index == 0 else ""  # fmt: skip
            blocks.append(f'<tr>{lead}<td class="cell-text">{row}</td>{cells}</tr>')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""<html><body><h2>Сводная ведомость успеваемости</h2><p>{html.escape(school["short_name"])}, {klass}</p>
<table class="table-print-num">
<tr><th class="text-nowrap">№ п/п</th><th><nobr>Ф.И.О.</nobr><br>учащегося</th><th>&nbsp;</th>{head}<th>Решение педсовета</th></tr>
{"".join(blocks)}
</table></body></html>""",
        encoding="utf-8",
    )
