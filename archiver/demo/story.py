"""`archiver demo`: the whole story on demo data, narrated.

init → demo school → quarter archive → year-end archive → the director signs → verify → a byte flipped
in one repository and a file deleted in the other → verify finds both → repair → verify clean → an
auditor's BagIt package exported and validated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.archive.checkpoints import seal_checkpoint
from archiver.archive.context import Archive
from archiver.archive.identity import current_account
from archiver.archive.keys import read_passphrase
from archiver.archive.opening import archive_from_config
from archiver.archive.registry import load_certificates
from archiver.config import load_config
from archiver.demo.generator import document_json, generate
from archiver.ingest.importers import load_export
from archiver.operations.archiving import archive_period, archive_year
from archiver.operations.integrity import verify_archive
from archiver.operations.repair import repair
from archiver.operations.retrieval import export_bag
from archiver.operations.setup import initialize
from archiver.operations.signing import sign_pending
from archiver.operations.users import add_user
from signing import load_pkcs12

Say = Callable[[str], None]


@dataclass
class Story:
    directory: Path
    steps: list[dict[str, Any]] = field(default_factory=list)

    def step(self, say: Say, title: str, **facts: Any) -> None:
        self.steps.append({"step": title, **facts})
        details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in facts.items())
        say(f"{len(self.steps):>2}. {title}" + (f" — {details}" if details else ""))


def run_demo(directory: Path, students: int, say: Say) -> Story:
    story = Story(directory)
    account = current_account()
    admin = account.login  # the OS account running the demo is its admin, as with `archiver init`
    paths = initialize(directory, admin)
    story.step(say, "archive initialised (TEST PKI, two repositories, SQLite catalog)", directory=str(directory))
    archive = _open(directory)
    director = load_pkcs12(Path(paths["director_key"]).read_bytes(),
                           read_passphrase(Path(paths["director_passphrase"])))  # fmt: skip
    signing_certificate = load_certificates(Path(paths["director_certificate"]).read_bytes())
    # One person for each role (named after it; "archivist-2" when the OS account running the demo, its admin,
    # is called "archivist" itself). The director's signing certificate is bound to the director, as
    # `users add --certificate` does.
    people = {role: role if role != admin else f"{role}-2" for role in ("director", "archivist", "auditor")}
    for role, name in people.items():
        add_user(archive, admin, account, name, role, certificates=signing_certificate if role == "director" else ())
    story.step(say, "users registered", admin=admin, **people)

    export_path = directory / "school.json"
    export_path.write_bytes(document_json(generate(students, 1)))
    export = load_export(export_path)
    story.step(say, "demo school generated", students=students, classes=len(export.classes))

    quarter = archive_period(archive, export, "q2", (), admin)
    story.step(say, "II quarter archived", cases=len(quarter), sheets=sum(c.sheets for c in quarter))
    year = archive_year(archive, export, admin)
    summaries = sum(1 for c in year if c.case_id.endswith("~summary"))
    story.step(say, "year-end archive made, sealed and stored twice", cases=len(year),
               journals=len(year) - summaries, summary_sheets=summaries,
               sheets=sum(c.sheets for c in year))  # fmt: skip

    signed = sign_pending(archive, director, people["director"])
    story.step(say, "the director signed the year-end journals and summary sheets", signed=len(signed))

    clean = verify_archive(archive, people["archivist"])
    story.step(say, "verify", copies=len(clean.copies), problems=len(clean.findings))

    first, second = archive.repositories[0], archive.repositories[1]
    flipped_case = year[0].case_id
    deleted_case = year[-1].case_id
    volume = first.path(flipped_case, "volume.pdf")
    data = bytearray(volume.read_bytes())
    data[len(data) // 2] ^= 0x01
    volume.write_bytes(bytes(data))
    second.path(deleted_case, "source.json").unlink()
    story.step(say, "damage done", flipped_byte=f"{first.name}/{flipped_case}/volume.pdf",
               deleted_file=f"{second.name}/{deleted_case}/source.json")  # fmt: skip

    damaged = verify_archive(archive, people["archivist"])
    found = sorted({f"{f.repository}/{f.case_id}" for f in damaged.findings})
    story.step(say, "verify finds the damage", problems=len(damaged.findings), copies=", ".join(found))
    for finding in damaged.findings:
        say(f"      {finding}")

    repaired = repair(archive, people["archivist"])
    fixed = ", ".join(f"{r.repository}/{r.case_id}" for r in repaired if r.outcome == "repaired")
    story.step(say, "repair from the intact copies", repaired=fixed)

    again = verify_archive(archive, people["archivist"])
    story.step(say, "verify again", copies=len(again.copies), problems=len(again.findings))

    import bagit

    bag_dir = directory / "auditor-bag"
    export_bag(archive, flipped_case, bag_dir, people["auditor"])
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    story.step(say, "auditor's BagIt package exported and validated with bagit", bag=str(bag_dir),
               files=len(list(bag.payload_entries())))  # fmt: skip
    seal_checkpoint(archive, admin)
    story.step(say, "the audit trail sealed into the repositories (a checkpoint of its chain)")
    story.steps.append({"ok": not again.findings and len(damaged.findings) > 0})
    archive.catalog.engine.dispose()
    return story


def _open(directory: Path) -> Archive:
    return archive_from_config(load_config(directory / "archiver.toml", required=True))


def summary_json(story: Story) -> str:
    return json.dumps({"ok": story.steps[-1].get("ok", False), "directory": str(story.directory),
                       "steps": story.steps[:-1]}, ensure_ascii=False, indent=2)  # fmt: skip
