"""Дневник.ру: a class's year over the partner API v2, saved in the layout archiver.ingest.importers.dnevnik reads.

Routes (as the public clients call them; ../shared/PLATFORMS.md): the user's context (which school the class
is in), the school and its work types, the class (and each subgroup its lessons name) with its students,
reporting periods and homeroom teacher, then month by month its lessons, marks and lesson-log entries, the
teachers the lessons name, and each student's final marks. The token goes in the `Access-Token` header.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from archiver.fetching.http import Client, FetchError
from archiver.fetching.target import Target, safe_id

BASE_URL = "https://api.dnevnik.ru/v2"
TOKEN_VARIABLE = "ARCHIVER_DNEVNIK_TOKEN"

Progress = Callable[[int, int], None]


def headers(token: str) -> dict[str, str]:
    return {"Access-Token": token}


def fetch(client: Client, group: str, months: list[tuple[date, date]], target: Target, progress: Progress) -> None:
    """Save the class `group`'s year (the calendar months given) under `target`."""
    group = safe_id(group, "--group")
    done = 0
    total = 6 + 3 * len(months)

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        progress(done, total)

    context = _json(client, target, "users/me/context", "context.json")
    school = _school_of(context, group)
    step()
    _json(client, target, f"schools/{school}", "school.json")
    _json(client, target, f"work-types/{school}", "work-types.json")
    step()
    folder = f"groups/{group}"
    _json(client, target, f"edu-groups/{group}", f"{folder}/edu-group.json")
    persons = _json(client, target, f"edu-groups/{group}/persons", f"{folder}/persons.json", {"includeArchive": "true"})
    _json(client, target, f"edu-groups/{group}/reporting-periods", f"{folder}/reporting-periods.json")
    teacher = _json(client, target, f"edu-groups/{group}/classteacher", f"{folder}/classteacher.json", missing_ok=True)
    step(4)
    subgroups: set[str] = set()
    teachers: set[str] = set()
    if isinstance(teacher, dict):
        teachers.add(safe_id(teacher.get("id_str") or teacher.get("id"), "classteacher"))
    for first, last in months:
        span = f"{first.isoformat()}_{last.isoformat()}"
        lessons = _json(client, target, f"edu-groups/{group}/lessons/{first.isoformat()}/{last.isoformat()}",
                        f"{folder}/lessons/{span}.json")  # fmt: skip
        for lesson in lessons if isinstance(lessons, list) else []:
            if not isinstance(lesson, dict):
                continue  # the import names what is wrong with it, in its place
            owner = lesson.get("group_str") or lesson.get("group")
            if owner is not None and str(owner) != group:
                subgroups.add(safe_id(owner, f"lessons {span}: group"))
            for person in lesson.get("teachers_str") or lesson.get("teachers") or []:
                teachers.add(safe_id(person, f"lessons {span}: teachers"))
        step()
        _json(client, target, f"edu-groups/{group}/marks/{first.isoformat()}/{last.isoformat()}",
              f"{folder}/marks/{span}.json")  # fmt: skip
        step()
        _json(client, target, f"lesson-log-entries/group/{group}", f"{folder}/lesson-log-entries/{span}.json",
              {"from": first.isoformat(), "to": last.isoformat()})  # fmt: skip
        step()
    students = [safe_id(p.get("id_str") or p.get("id"), "persons") for p in persons or [] if isinstance(p, dict)]
    total += 2 * len(subgroups) + len(teachers) + len(students)
    for sub in sorted(subgroups):
        _json(client, target, f"edu-groups/{sub}", f"groups/{sub}/edu-group.json")
        _json(client, target, f"edu-groups/{sub}/persons", f"groups/{sub}/persons.json", {"includeArchive": "true"})
        step(2)
    for person in sorted(teachers):
        _json(client, target, f"persons/{person}", f"persons/{person}.json")
        step()
    for student in students:
        found = _json(client, target, f"persons/{student}/edu-groups/{group}/allfinalmarks",
                      f"{folder}/final-marks/{student}.json", missing_ok=True)  # fmt: skip
        if found is None:
            target.write_json(f"{folder}/final-marks/{student}.json", {"marks": [], "works": [], "subjects": []})
        step()
    target.write_json("fetch.json", {"platform": "dnevnik", "base_url": client.base_url, "group": group,
                                     "from": months[0][0].isoformat(), "to": months[-1][1].isoformat(),
                                     "fetched_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                                     "requests": client.requests})  # fmt: skip


def _json(
    client: Client,
    target: Target,
    route: str,
    relative: str,
    params: dict[str, str | int] | None = None,
    *,
    missing_ok: bool = False,
) -> Any:
    body = client.get(route, params, missing_ok=missing_ok)
    if body is None:
        return None
    target.write(relative, body)
    return json.loads(body)


def _school_of(context: Any, group: str) -> str:
    """The school whose groups include the class (the user's context lists them)."""
    schools = context.get("schools") if isinstance(context, dict) else None
    if not isinstance(schools, list) or not schools:
        raise FetchError("users/me/context: no schools in the user's context (is the token a school's?)")
    for school in schools:
        if isinstance(school, dict) and group in {
            str(g) for g in school.get("groupIds_str") or school.get("groupIds") or []
        }:
            return safe_id(school.get("id_str") or school.get("id"), "users/me/context: schools")
    if len(schools) == 1 and isinstance(schools[0], dict):
        return safe_id(schools[0].get("id_str") or schools[0].get("id"), "users/me/context: schools")
    raise FetchError(f"users/me/context: none of the user's schools has the class {group}")
