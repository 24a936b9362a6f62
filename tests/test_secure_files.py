"""Secrets and outputs are safe from other local users: keys, passphrases, the catalog and the configuration
are never readable by others, not even for a moment; no CA key is left beside the archive; init never
overwrites an archive; outputs replace only regular files; what get and export write is private."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archiver.archive.context import Archive
from archiver.errors import BadInputError
from tests.clirun import run_cli

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "data" / "small_school.json"
CASE = "school-2~2025-2026~c-5a~journal"

# `archiver init` in a new process with the umask most systems have (so that a file made with the
# defaults is readable by others), whose every file operation under the new archive waits a moment first:
# a moment in which a file has wider permissions than it should then lasts long enough for a watcher in
# another process to see it, as a local user polling the directory would.
SLOW_INIT = r"""
import os, sys, time

target = os.path.abspath(sys.argv[1])
WATCHED = {"open", "os.chmod", "os.rename", "os.mkdir", "os.remove", "shutil.rmtree", "sqlite3.connect"}

def slow(event, args):
    if event in WATCHED and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path == target or path.startswith(target + os.sep):
            time.sleep(0.02)

sys.addaudithook(slow)
os.umask(0o022)
sys.argv = ["archiver", "init", "--dir", target]
from archiver.cli import main
main()
"""


def _is_secret(relative: str) -> bool:
    """A secret, or the temporary file that becomes one (`.NAME.XXXX.tmp`)."""
    name = Path(relative).name
    temporary = re.fullmatch(r"\.(.+)\.[^.]+\.tmp", name)
    if temporary:
        name = temporary.group(1)
    return (
        name.endswith((".p12", ".passphrase"))
        or relative.startswith("pki/keys/")
        or name in {"catalog.sqlite", "archiver.toml"}
    )


def _is_certificate(relative: str) -> bool:
    """pki/NAME.pem (or its temporary file) is a certificate, pki/NAME.crl the root's CRL: public, as a trust
    anchor and a CA's published CRL are. That no private key is kept in one is checked after init."""
    return re.fullmatch(r"pki/([^/.][^/]*\.(pem|crl)|\.[^/]+\.(pem|crl)\.[^.]+\.tmp)", relative) is not None


class Watcher(threading.Thread):
    """Walks a directory (once it is there) with lstat again and again, noting every file or pki directory
    whose permissions let group or others in, and every path seen."""

    def __init__(self, top: Path) -> None:
        super().__init__(daemon=True)
        self.top = top
        self.stop = threading.Event()
        self.open_to_others: dict[str, int] = {}
        self.seen: set[str] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            for directory, dirs, files in os.walk(self.top):
                for name in dirs + files:
                    path = os.path.join(directory, name)
                    try:
                        mode = os.lstat(path).st_mode
                    except FileNotFoundError:
                        continue
                    relative = os.path.relpath(path, self.top)
                    self.seen.add(relative)
                    private = stat.S_ISREG(mode) or (stat.S_ISDIR(mode) and relative.startswith("pki"))
                    if private and mode & 0o077:
                        self.open_to_others.setdefault(relative, stat.S_IMODE(mode))


def _files(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def _tree(top: Path) -> list[str]:
    return sorted(str(p.relative_to(top)) for p in top.rglob("*"))


# The tests of the watched `archiver init` (a process of its own, slowed down on purpose) are slow.
@pytest.fixture(scope="module")
def watched_init(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Watcher]:
    """An archive made by `archiver init` in a new process, watched by another user's eye throughout."""
    directory = tmp_path_factory.mktemp("secure") / "archive"
    watcher = Watcher(directory)
    watcher.start()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    try:
        made = subprocess.run([sys.executable, "-c", SLOW_INIT, str(directory)], capture_output=True, text=True,
                              env=environment, timeout=300)  # fmt: skip
    finally:
        watcher.stop.set()
        watcher.join()
    assert made.returncode == 0, made.stderr
    return directory, watcher


@pytest.mark.slow
def test_no_secret_is_ever_readable_by_others_while_init_runs(watched_init: tuple[Path, Watcher]) -> None:
    _, watcher = watched_init
    seen = watcher.seen
    assert any(p.startswith("pki/keys/") and p.endswith(".key.pem") for p in seen), "the watcher saw the keys"
    assert {"pki/eseal.p12", "pki/director.passphrase", "catalog.sqlite", "archiver.toml"} <= seen
    exposed = {
        relative: oct(mode)
        for relative, mode in watcher.open_to_others.items()
        if (relative.startswith("pki") or _is_secret(relative)) and not _is_certificate(relative)
    }
    assert exposed == {}, "readable by group or others at some moment"


@pytest.mark.slow
def test_after_init_secrets_are_private_and_no_private_key_is_left_in_clear(
    watched_init: tuple[Path, Watcher],
) -> None:
    directory, _ = watched_init
    pki = directory / "pki"
    assert stat.S_IMODE(pki.stat().st_mode) == 0o700
    assert not (pki / "keys").exists(), "the raw keys (the root CA's among them) are not kept"
    secrets = sorted(p.name for p in pki.iterdir() if p.suffix not in (".pem", ".crl"))
    assert secrets == ["director.p12", "director.passphrase", "eseal.p12", "eseal.passphrase", "tsa.p12",
                       "tsa.passphrase"]  # fmt: skip
    assert b"PRIVATE" not in (pki / "root.crl").read_bytes()
    for path in [*(pki / name for name in secrets), directory / "catalog.sqlite", directory / "archiver.toml"]:
        assert stat.S_IMODE(path.lstat().st_mode) == 0o600, path

    from cryptography.hazmat.primitives.serialization import load_der_private_key, pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    root = load_pem_x509_certificate((pki / "root.pem").read_bytes()).public_key()
    for path in (p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for block in re.findall(rb"-----BEGIN ([A-Z ]*PRIVATE KEY)-----", data):
            assert block == b"ENCRYPTED PRIVATE KEY", f"{path}: an unencrypted {block.decode()}"
        try:
            load_der_private_key(data, None)
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"{path}: an unencrypted DER private key")
    for label in ("eseal", "director"):
        passphrase = (pki / f"{label}.passphrase").read_bytes().strip()
        key, _, _ = pkcs12.load_key_and_certificates((pki / f"{label}.p12").read_bytes(), passphrase)
        assert key is not None and key.public_key() != root, f"{label}.p12 holds its own key, not the root's"


@pytest.mark.slow
def test_the_archive_still_works_with_only_what_init_kept(watched_init: tuple[Path, Watcher]) -> None:
    """The e-seal and the director's PKCS#12 files sign without the discarded raw keys."""
    from signing import load_pkcs12

    pki = watched_init[0] / "pki"
    for label in ("eseal", "director"):
        passphrase = (pki / f"{label}.passphrase").read_bytes().strip()
        assert load_pkcs12((pki / f"{label}.p12").read_bytes(), passphrase) is not None


@pytest.mark.slow
def test_init_refuses_an_archive_whose_configuration_was_removed(
    watched_init: tuple[Path, Watcher], tmp_path: Path
) -> None:
    site = tmp_path / "archive"
    shutil.copytree(watched_init[0], site, symlinks=True)
    (site / "archiver.toml").unlink()
    before = _files(site)
    assert any(name.endswith(".p12") for name in before)
    result = run_cli("init", "--dir", str(site))
    assert result.returncode == 2, result.stderr
    assert "repositories" in result.stderr and "pki" in result.stderr and "catalog.sqlite" in result.stderr
    assert _files(site) == before, "every key, passphrase and the catalog are byte for byte as they were"
    assert not (site / "archiver.toml").exists()


@pytest.mark.parametrize("part", ["repositories", "pki", "catalog.sqlite", "archiver.toml"])
def test_init_refuses_any_part_of_an_archive_and_writes_nothing(tmp_path: Path, part: str) -> None:
    site = tmp_path / "archive"
    site.mkdir()
    if "." in part:
        (site / part).write_bytes(b"kept")
    else:
        (site / part).mkdir()
    (site / "unrelated.txt").write_bytes(b"other files are fine")
    result = run_cli("init", "--dir", str(site))
    assert result.returncode == 2 and f"({part})" in result.stderr, result.stderr
    assert _tree(site) == sorted([part, "unrelated.txt"])
    if "." in part:
        assert (site / part).read_bytes() == b"kept"


def test_init_refuses_a_symbolic_link_in_place_of_a_part(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = tmp_path / "archive"
    site.mkdir()
    (site / "pki").symlink_to(elsewhere)
    result = run_cli("init", "--dir", str(site))
    assert result.returncode == 2 and "pki" in result.stderr
    assert list(elsewhere.iterdir()) == [] and _tree(site) == ["pki"]


# -- outputs that are not regular files ----------------------------------------------------------------------


def _not_regular(tmp_path: Path, kind: str) -> tuple[Path, Path | None]:
    """A path that holds something other than a regular file, and the file a link points to."""
    path = tmp_path / f"out-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "symlink":
        target = tmp_path / "target.txt"
        target.write_bytes(b"not yours")
        path.symlink_to(target)
        return path, target
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere.txt")
        return path, tmp_path / "nowhere.txt"
    return path, None


def _unchanged(path: Path, kind: str, target: Path | None) -> None:
    mode = path.lstat().st_mode
    if kind == "fifo":
        assert stat.S_ISFIFO(mode)
    elif kind == "device":
        assert stat.S_ISCHR(mode) and path.lstat().st_rdev == os.makedev(1, 3)
    else:
        assert stat.S_ISLNK(mode) and os.readlink(path) == str(target)
        if kind == "symlink":
            assert target is not None and target.read_bytes() == b"not yours"
        else:
            assert target is not None and not target.exists()
    assert not list(path.parent.glob(".*.tmp")), "no temporary file is left behind"


KINDS = ["fifo", "device", "symlink", "dangling"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "command",
    [
        ["demo-data", "--students", "1"],
        ["demo-data", "--students", "1", "--force"],
        ["render", str(SMALL), "--class", "5А", "--pdfa", "1b"],
    ],
    ids=["demo-data", "demo-data-force", "render"],
)
def test_output_replaces_only_a_regular_file(tmp_path: Path, kind: str, command: list[str]) -> None:
    path, target = _not_regular(tmp_path, kind)
    result = run_cli(*command, "-o", str(path))
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr, result.stderr
    _unchanged(path, kind, target)


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_verify_report_replaces_only_a_regular_file(archive_copy: Path, tmp_path: Path, kind: str) -> None:
    path, target = _not_regular(tmp_path, kind)
    result = run_cli("verify", "--report", str(path), config=archive_copy / "archiver.toml", user="archivist")
    assert result.returncode == 2 and "not a regular file" in result.stderr, result.stderr
    _unchanged(path, kind, target)


def test_write_atomically_names_the_path_and_takes_a_mode(tmp_path: Path) -> None:
    from archiver.files import write_atomically

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match=re.escape(f"{fifo}: not a regular file")):
        write_atomically(fifo, b"x")
    with _umask(0o022):
        write_atomically(tmp_path / "private", b"x", mode=0o600)
        write_atomically(tmp_path / "ordinary", b"x")
        (tmp_path / "was-open").write_bytes(b"old")
        write_atomically(tmp_path / "was-open", b"new", mode=0o600)
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ordinary").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "was-open").stat().st_mode) == 0o600
    assert (tmp_path / "was-open").read_bytes() == b"new"


# -- what get and export write --------------------------------------------------------------------------------


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def archive(archive_copy: Path) -> Iterator[Archive]:
    from archiver.archive.opening import archive_from_config
    from archiver.config import load_config

    opened = archive_from_config(load_config(archive_copy / "archiver.toml", required=True))
    try:
        yield opened
    finally:
        opened.catalog.engine.dispose()


def _modes(top: Path) -> dict[str, int]:
    return {str(p.relative_to(top)): stat.S_IMODE(p.lstat().st_mode) for p in [top, *top.rglob("*")]}


def test_get_writes_private_files_into_a_private_directory(archive: Archive, tmp_path: Path) -> None:
    from archiver.operations.retrieval import retrieve

    out = tmp_path / "made" / "got"
    with _umask(0o022):
        got = retrieve(archive, CASE, out, "auditor")
    modes = _modes(out)
    assert set(modes) == {".", *got.files} and len(got.files) >= 5
    assert modes.pop(".") == 0o700
    assert set(modes.values()) == {0o600}, modes
    assert not list(out.glob(".*.tmp"))


def test_get_again_makes_replaced_files_private_and_never_follows_a_link(archive: Archive, tmp_path: Path) -> None:
    from archiver.operations.retrieval import retrieve

    out = tmp_path / "got"
    out.mkdir()
    (out / "source.json").write_bytes(b"an older copy")
    (out / "source.json").chmod(0o644)
    with _umask(0o022):
        retrieve(archive, CASE, out, "auditor", "source.json")
    assert stat.S_IMODE((out / "source.json").stat().st_mode) == 0o600
    assert (out / "source.json").read_bytes() != b"an older copy"
    target = tmp_path / "elsewhere.pdf"
    target.write_bytes(b"not yours")
    (out / "volume.pdf").symlink_to(target)
    with pytest.raises(BadInputError, match="not a regular file"):
        retrieve(archive, CASE, out, "auditor", "volume.pdf")
    assert (out / "volume.pdf").is_symlink() and target.read_bytes() == b"not yours"


@pytest.mark.parametrize("existing", [False, True], ids=["new", "empty-directory"])
def test_export_writes_a_private_bag(archive: Archive, tmp_path: Path, existing: bool) -> None:
    import bagit

    from archiver.operations.retrieval import export_bag

    place = tmp_path / "out"  # beside the archive's copy in tmp_path
    place.mkdir()
    bag = place / "bag"
    if existing:
        bag.mkdir(mode=0o755)
    with _umask(0o022):
        export_bag(archive, CASE, bag, "auditor")
    bagit.Bag(str(bag)).validate()
    modes = _modes(bag)
    directories = {name for name in modes if (bag / name).is_dir()}
    assert {".", "data", "data/case", "data/validation", "data/trust"} <= directories
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha512.txt"} <= set(modes)
    assert {name: mode for name, mode in modes.items() if mode != (0o700 if name in directories else 0o600)} == {}
    assert sorted(p.name for p in place.iterdir()) == ["bag"], "no work directory is left behind"


def test_export_refuses_what_it_would_overwrite(archive: Archive, tmp_path: Path) -> None:
    from archiver.operations.retrieval import export_bag

    place = tmp_path / "out"
    place.mkdir()
    full = place / "full"
    full.mkdir()
    (full / "kept").write_bytes(b"kept")
    with pytest.raises(BadInputError, match="exists and is not empty"):
        export_bag(archive, CASE, full, "auditor")
    elsewhere = place / "elsewhere"
    elsewhere.mkdir()
    (place / "link").symlink_to(elsewhere)
    with pytest.raises(BadInputError, match="not a directory"):
        export_bag(archive, CASE, place / "link", "auditor")
    assert list(elsewhere.iterdir()) == [] and (full / "kept").read_bytes() == b"kept"
    assert sorted(p.name for p in place.iterdir()) == ["elsewhere", "full", "link"]
