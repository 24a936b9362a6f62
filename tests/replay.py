"""A journal platform's API on loopback, answering from recorded responses (tests.recorded): for the fetch
tests. It checks the token header, answers pages and date ranges as the real routes do, and can fail on
purpose (HTTP 503 or 429 the first times a route is asked for, or always)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Replay:
    """The recorded directory `root` of `platform` served at `url`; `faults` maps a route pattern to the
    statuses to answer before the real answer (a status of 0 means: always fail with 503)."""

    def __init__(self, platform: str, root: Path, token_header: str, token: str) -> None:
        self.platform = platform
        self.root = root
        self.token_header = token_header
        self.token = token
        self.faults: dict[str, list[int]] = {}
        self.requests: list[tuple[float, str]] = []
        self.url = ""

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        for pattern, statuses in self.faults.items():
            if re.search(pattern, path) and statuses:
                if statuses[0] == 0:
                    return 503, {"type": "apiServerError", "description": "always down"}
                return statuses.pop(0), {"type": "apiServerError", "description": "try later"}
        found = self._dnevnik(path, query) if self.platform == "dnevnik" else self._mesh(path, query)
        return (404, {"type": "apiResourceUnavailable", "description": path}) if found is None else (200, found)

    def _file(self, relative: str, default: Any = None) -> Any:
        path = self.root / relative
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default

    def _dnevnik(self, path: str, query: dict[str, str]) -> Any:
        route = path.removeprefix("/v2/")
        if route == "users/me/context":
            school = self._file("school.json")
            groups = [g.name for g in (self.root / "groups").iterdir()]
            return {"personId": 1, "schools": [{"id": school["id"], "id_str": school["id_str"], "type": "Regular",
                                                "groupIds": [int(g) for g in groups]}]}  # fmt: skip
        patterns = [  # (route, file): the file named from the route's groups
            (r"schools/(\d+)", "school.json"),
            (r"work-types/(\d+)", "work-types.json"),
            (r"edu-groups/(\d+)", r"groups/\1/edu-group.json"),
            (r"edu-groups/(\d+)/(persons|reporting-periods|classteacher)", r"groups/\1/\2.json"),
            (r"persons/(\d+)", r"persons/\1.json"),
            (r"persons/(\d+)/edu-groups/(\d+)/allfinalmarks", r"groups/\2/final-marks/\1.json"),
        ]
        for pattern, relative in patterns:
            if found := re.fullmatch(pattern, route):
                return self._file(found.expand(relative))
        if found := re.fullmatch(r"edu-groups/(\d+)/(lessons|marks)/([\d-]+)/([\d-]+)", route):
            return self._file(f"groups/{found[1]}/{found[2]}/{found[3]}_{found[4]}.json", [])
        if found := re.fullmatch(r"lesson-log-entries/group/(\d+)", route):
            return self._file(f"groups/{found[1]}/lesson-log-entries/{query['from']}_{query['to']}.json", [])
        return None

    def _records(self, folder: str) -> list[Any]:
        return [r for f in sorted((self.root / folder).glob("*.json")) for r in json.loads(f.read_text("utf-8"))]

    def _mesh(self, path: str, query: dict[str, str]) -> Any:
        route = path.strip("/")
        if route == "api/family/mobile/v1/school_info":
            return self._file("school.json")
        if found := re.fullmatch(r"api/ej/core/teacher/v1/class_units/(\d+)", route):
            return self._file(f"classes/{found[1]}/class-unit.json")
        if found := re.fullmatch(r"api/ej/core/teacher/v1/attestation_periods_schedules/(\d+)", route):
            files = list(self.root.glob(f"classes/*/attestation-periods/{found[1]}.json"))
            return json.loads(files[0].read_text("utf-8")) if files else None
        unit = query.get("class_unit_ids") or query.get("class_unit_id")
        if unit is None and "group_ids" in query:
            wanted = set(query["group_ids"].split(","))
            unit = next((u.name for u in (self.root / "classes").iterdir()
                         if {str(g["id"]) for g in self._records(f"classes/{u.name}/groups")} & wanted), None)  # fmt: skip
        folders = {
            "api/ej/core/teacher/v1/teacher_profiles": "teacher-profiles",
            "api/ej/core/teacher/v1/control_forms": "control-forms",
            "api/ej/core/teacher/v1/student_profiles": f"classes/{unit}/student-profiles",
            "api/ej/plan/teacher/v1/groups": f"classes/{unit}/groups",
            "api/ej/plan/teacher/v1/schedule_items": f"classes/{unit}/schedule-items",
            "api/ej/core/teacher/v1/marks": f"classes/{unit}/marks",
            "api/ej/core/teacher/v1/attendances": f"classes/{unit}/attendances",
        }
        if route not in folders:
            return None
        records = self._records(folders[route])
        if route.endswith("schedule_items"):
            low, high = query["from"], query["to"]
            records = [r for r in records if low <= r["iso_date_time"][:10] <= high]
        elif route.endswith("marks"):
            low, high = _iso(query["created_at_from"]), _iso(query["created_at_to"])
            records = [r for r in records if low <= r["date"] <= high]
        elif route.endswith("attendances"):
            low, high = _iso(query["start_at"]), _iso(query["stop_at"])
            records = [r for r in records if low <= _iso(r["date"]) <= high]
        page, size = int(query.get("page", "1")), int(query.get("per_page", "50"))
        return records[(page - 1) * size : page * size]

    @contextmanager
    def serving(self) -> Iterator[Replay]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                replay.requests.append((time.monotonic(), self.path))
                if self.headers.get(replay.token_header) != replay.token:
                    self._send(401, {"type": "invalidToken", "description": "Unauthorized"})
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, body = replay.answer(parts.path, query)
                self._send(status, body, retry_after="0" if status == 429 else None)

            def _send(self, status: int, body: Any, retry_after: str | None = None) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def _iso(russian: str) -> str:
    day, month, year = russian.split(".")
    return date(int(year), int(month), int(day)).isoformat()
