"""МЭШ / «Моя школа» / ЭПОС.Школа: a class unit's year over the teacher routes, saved in the layout
archiver.ingest.importers.mesh reads.

The teacher routes answer bare JSON arrays, a page at a time (`page`, `per_page`: a short page is the
last); the fetch saves each page as it came. Calls carry `Authorization: Bearer`, the teacher's `Profile-Id`,
the academic year's id (`aid`) and `x-mes-subsystem: journalw`, as the public teacher clients send them.
Dates go as the routes want them: schedule items YYYY-MM-DD, marks and attendance DD.MM.YYYY.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from archiver.fetching.http import Client, FetchError
from archiver.fetching.target import Target, safe_id

BASE_URL = "https://school.mos.ru"
TOKEN_VARIABLE = "ARCHIVER_MESH_TOKEN"
PER_PAGE = 500
CORE = "api/ej/core/teacher/v1"
PLAN = "api/ej/plan/teacher/v1"

Progress = Callable[[int, int], None]


def headers(token: str, profile: str, year: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Profile-Id": profile, "aid": year, "x-mes-subsystem": "journalw"}


def fetch(
    client: Client,
    unit: str,
    year: str,
    months: list[tuple[date, date]],
    target: Target,
    progress: Progress,
    school: str | None = None,
) -> None:
    """Save the class unit `unit`'s year (academic year id `year`, the calendar months given) under `target`."""
    unit = safe_id(unit, "--group")
    year = safe_id(year, "--academic-year")
    base = f"classes/{unit}"
    done = 0
    total = 6 + 3 * len(months)

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        progress(done, total)

    body = client.get(f"{CORE}/class_units/{unit}")
    assert body is not None
    target.write(f"{base}/class-unit.json", body)
    if school is not None:  # the school's name and principal (a family route; where it answers a teacher)
        info = client.get("api/family/mobile/v1/school_info", {"school_id": safe_id(school, "--school-id"),
                                                                "class_unit_id": unit}, missing_ok=True)  # fmt: skip
        if info is not None:
            target.write("school.json", info)
    step()
    _pages(client, target, f"{CORE}/teacher_profiles", "teacher-profiles", {"academic_year_id": year})
    _pages(client, target, f"{CORE}/control_forms", "control-forms", {"academic_year_id": year})
    step(2)
    profiles: dict[str, str | int] = {
        "academic_year_id": year,
        "class_unit_ids": unit,
        "with_groups": "true",
        "with_final_marks": "true",
    }
    _pages(client, target, f"{CORE}/student_profiles", f"{base}/student-profiles", profiles)
    groups = _pages(client, target, f"{PLAN}/groups", f"{base}/groups",
                    {"academic_year_id": year, "class_unit_ids": unit, "with_teacher_loads": "true"})  # fmt: skip
    step(2)
    group_ids = ",".join(safe_id(g.get("id"), "groups") for g in groups if isinstance(g, dict))
    schedules = {
        safe_id(g["attestation_periods_schedule_id"], "groups: attestation_periods_schedule_id")
        for g in groups
        if isinstance(g, dict) and g.get("attestation_periods_schedule_id") is not None
    }
    total += len(schedules)
    for schedule in sorted(schedules):
        body = client.get(f"{CORE}/attestation_periods_schedules/{schedule}")
        assert body is not None
        target.write(f"{base}/attestation-periods/{schedule}.json", body)
        step()
    step()
    if not group_ids:
        raise FetchError(f"{PLAN}/groups: the class unit {unit} has no groups this year")
    for first, last in months:
        span = f"{first.isoformat()}_{last.isoformat()}"
        _pages(client, target, f"{PLAN}/schedule_items", f"{base}/schedule-items",
               {"academic_year_id": year, "class_unit_id": unit, "from": first.isoformat(), "to": last.isoformat()},
               prefix=span)  # fmt: skip
        step()
        _pages(client, target, f"{CORE}/marks", f"{base}/marks",
               {"group_ids": group_ids, "created_at_from": _ru(first), "created_at_to": _ru(last),
                "with_non_numeric_entries": "true"}, prefix=span)  # fmt: skip
        step()
        _pages(client, target, f"{CORE}/attendances", f"{base}/attendances",
               {"group_ids": group_ids, "academic_year_id": year, "start_at": _ru(first), "stop_at": _ru(last)},
               prefix=span)  # fmt: skip
        step()
    target.write_json("fetch.json", {"platform": "mesh", "base_url": client.base_url, "class_unit": unit,
                                     "academic_year_id": year, "from": months[0][0].isoformat(),
                                     "to": months[-1][1].isoformat(),
                                     "fetched_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                                     "requests": client.requests})  # fmt: skip


def _pages(
    client: Client, target: Target, route: str, folder: str, params: dict[str, str | int], *, prefix: str = "all"
) -> list[Any]:
    """Every page of a paged route, each saved as `folder/{prefix}-page-NNNN.json`; the records."""
    records: list[Any] = []
    for page in range(1, 10_001):
        body = client.get(route, {**params, "page": page, "per_page": PER_PAGE})
        assert body is not None
        items = json.loads(body)
        if not isinstance(items, list):
            raise FetchError(f"{route}: expected an array of records (page {page}), got {type(items).__name__}")
        target.write(f"{folder}/{prefix}-page-{page:04d}.json", body)
        records.extend(items)
        if len(items) < PER_PAGE:
            return records
    raise FetchError(f"{route}: more than 10 000 pages")


def _ru(day: date) -> str:
    return f"{day:%d.%m.%Y}"
