"""Who is acting: the operating-system account that runs the command, never what the environment claims.

The account is the process's real uid (`os.getuid()`), looked up in the system's user database; $LOGNAME,
$USER and every option are ignored. In a deployment the archive's files (repositories, catalog, e-seal key)
belong to a service account and people act through `sudo -u SERVICE archiver …` (README: Security). A
process that runs as the configured service account and was started by sudo acts for the person who ran
sudo: that person is read from the sudo process itself (its real uid, in /proc, where a setuid-root sudo
runs with effective uid 0), not from $SUDO_USER, which anyone can set.
"""

from __future__ import annotations

import os
import pwd
import socket
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

ROOT_UID = 0
PROC = Path("/proc")
ANCESTORS = 8  # how far up the process tree a sudo is looked for (sudo, its monitor, a shell)


@dataclass(frozen=True)
class OsAccount:
    login: str
    uid: int
    host: str
    via: str | None = None  # the service account the person reached through sudo
    service: bool = False  # the service account itself, not a person who reached it through sudo

    @property
    def is_os_admin(self) -> bool:
        """Root or the service account itself: who may re-register the archive's users when none are left
        (a catalog rebuilt without a sealed record of them)."""
        return self.uid == ROOT_UID or self.service

    def describe(self) -> str:
        return f"{self.login}@{self.host}" + (f" (as {self.via} through sudo)" if self.via else "")


def login_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without an entry (containers): named by its number
        return f"uid:{uid}"


# In-process callers that stand for another process (the test suite's CLI runner) set the account here; no
# environment variable, option or file reaches it.
SIMULATED: ContextVar[OsAccount | None] = ContextVar("archiver_simulated_account", default=None)


def current_account(service_account: str | None = None) -> OsAccount:
    """The OS account acting in this process (see the module's docstring for the sudo case)."""
    simulated = SIMULATED.get()
    if simulated is not None:
        return simulated
    uid = os.getuid()
    login = login_of(uid)
    host = _host()
    if service_account and login == service_account:
        caller = sudo_caller()
        if caller is not None and caller != uid:
            return OsAccount(login_of(caller), caller, host, via=login)
    return OsAccount(login, uid, host, service=bool(service_account) and login == service_account)


def sudo_caller(pid: int | None = None) -> int | None:
    """The real uid of the nearest ancestor that is a setuid sudo (name "sudo", effective uid 0), if any."""
    current = os.getppid() if pid is None else pid
    for _ in range(ANCESTORS):
        if current <= 1:
            return None
        status = _status(current)
        if status is None:
            return None
        if status.get("Name") == "sudo":
            uids = status.get("Uid", "").split()
            if len(uids) >= 2 and uids[1] == "0" and uids[0].isdigit():
                return int(uids[0])
            return None
        parent = status.get("PPid", "")
        if not parent.isdigit():
            return None
        current = int(parent)
    return None


def _status(pid: int) -> dict[str, str] | None:
    try:
        text = (PROC / str(pid) / "status").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _host() -> str:
    try:
        return socket.gethostname()[:255] or "unknown"
    except OSError:
        return "unknown"
