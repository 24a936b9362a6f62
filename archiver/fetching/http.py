"""A careful HTTP client for a journal platform's API: bounded retries, a rate limit, a token kept secret.

The standard library's `urllib` does the requests (GET only, JSON answers, no redirects to other hosts):
the platforms' APIs need nothing more, and the archive takes on no HTTP stack to keep up for 25 years.
A request that fails for a passing reason (a timeout, a refused connection, HTTP 429 or 5xx) is tried
again after a pause that doubles each time (or the server's Retry-After, at most a minute), a bounded number
of times; one that fails for good (HTTP 401/403: the token; 404: the route) stops the fetch with a message
naming the route, never the token. The token travels in a header only; it is never written to a file, a
log or a message, and it is read from a file or the environment, never from the command line.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from archiver.errors import ArchiverError, BadInputError
from archiver.files import unreadable

RETRIED = {429, 500, 502, 503, 504}
MAX_RESPONSE = 256 << 20  # one response; a class's month of marks is a few megabytes
MAX_PAUSE = 60.0


class FetchError(ArchiverError):
    """The platform did not give what was asked for; nothing was written to the output directory."""

    code = "fetch-failed"


def read_token(path: Path | None, variable: str) -> str:
    """The API token from a file (its first line) or, without one, the environment variable `variable`."""
    if path is None:
        token = os.environ.get(variable, "").strip()
        if not token:
            raise BadInputError(f"no token: give --token-file FILE, or set {variable}")
        return token
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BadInputError(f"{path}: not a regular file (the token file)")
        if info.st_size > 64 << 10:
            raise BadInputError(f"{path}: over 64 KB, not a token file")
        token = path.read_text(encoding="utf-8").strip().splitlines()[0].strip() if info.st_size else ""
    except OSError as exc:
        raise BadInputError(unreadable(path, exc)) from None
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: not a text file (the token file)") from None
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise BadInputError(f"{path}: no token on its first line (one line of printable characters)")
    return token


@dataclass
class Client:
    """GET requests to one API, `rate` at most per second, each tried up to `attempts` times."""

    base_url: str
    headers: Mapping[str, str]
    rate: float = 5.0
    attempts: int = 4
    timeout: float = 60.0
    pause: float = 0.5  # before the second attempt; doubled for each next one
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    _last: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise BadInputError(f"{self.base_url!r} is not an http(s) URL (the API's base URL)")
        self.base_url = self.base_url.rstrip("/")

    def url(self, route: str, params: Mapping[str, str | int] | None = None) -> str:
        query = f"?{urllib.parse.urlencode(params, safe=',')}" if params else ""
        return f"{self.base_url}/{route.lstrip('/')}{query}"

    def get(
        self, route: str, params: Mapping[str, str | int] | None = None, *, missing_ok: bool = False
    ) -> bytes | None:
        """The response's bytes, verbatim, once they parse as JSON; None for a 404 when `missing_ok`."""
        url = self.url(route, params)
        shown = route + (f"?{urllib.parse.urlencode(params)}" if params else "")
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(min(MAX_PAUSE, self.pause * 2 ** (attempt - 1)) if not problem.startswith("~") else 0)
            self._wait_turn()
            try:
                body = self._request(url)
            except urllib.error.HTTPError as exc:
                exc.close()  # the error carries the open response
                if exc.code == 404 and missing_ok:
                    return None
                if exc.code in (401, 403):
                    raise FetchError(f"{shown}: HTTP {exc.code}: the platform refused the token "
                                     "(expired, or without the rights this route needs)") from None  # fmt: skip
                if exc.code not in RETRIED:
                    raise FetchError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
                problem = f"HTTP {exc.code} {exc.reason}"
                wait = _retry_after(exc.headers.get("Retry-After"))
                if wait is not None and attempt + 1 < self.attempts:
                    self.sleep(min(MAX_PAUSE, wait))
                    problem = "~" + problem  # the server said how long to wait: no extra pause
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"no answer ({reason})"
                continue
            try:
                json.loads(body)
            except ValueError:
                raise FetchError(f"{shown}: the answer is not JSON (a login page, or an error page?)") from None
            return body
        raise FetchError(f"{shown}: {problem.lstrip('~')}, {self.attempts} times; nothing was written")

    def _wait_turn(self) -> None:
        with self._lock:
            if self.rate > 0:
                gap = 1.0 / self.rate - (time.monotonic() - self._last)
                if gap > 0:
                    self.sleep(gap)
            self._last = time.monotonic()
            self.requests += 1

    def _request(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"Accept": "application/json", **self.headers})
        with _opener().open(request, timeout=self.timeout) as response:
            body: bytes = response.read(MAX_RESPONSE + 1)
        if len(body) > MAX_RESPONSE:
            raise FetchError(f"{url.split('?')[0]}: the answer is over {MAX_RESPONSE >> 20} MB")
        return body


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a detour: the token must not follow it to another host."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect())
