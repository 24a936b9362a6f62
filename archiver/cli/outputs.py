"""Where a command may write what a user asked for: never into the archive itself.

Under sudo the archiver runs as the service account, which may write the catalog, the configuration, the
keys and the repositories; an output path a person names (`-o`, `--report`, `--bag`) must not let them
overwrite any of those. The path is resolved (links in its directories followed) before it is compared.
"""

from __future__ import annotations

import os
from pathlib import Path

from archiver.cli.main import Runtime
from archiver.errors import ArchiverError, BadInputError


def refuse_archive_paths(runtime: Runtime, output: Path) -> None:
    """BadInputError when `output` is, or is inside, a part of the archive the configuration names."""
    protected = _protected(runtime)
    target = Path(os.path.realpath(output))
    for part in protected:
        place = Path(os.path.realpath(part))
        if target == place or place in target.parents:
            raise BadInputError(f"{output}: is part of the archive ({part}); give a path outside it")


def _protected(runtime: Runtime) -> list[Path]:
    try:
        config = runtime.config
    except ArchiverError:  # no configuration: nothing of an archive to protect (the command reports it if it needs one)
        return []
    parts: list[Path] = []
    if config.source is not None:
        parts += [config.source, config.source.parent / "logs"]
    url = config.catalog_url()
    if url.startswith("sqlite:///"):
        catalog = Path(url[len("sqlite:///") :])
        parts += [catalog, catalog.with_name(catalog.name + "-journal"), catalog.with_name(catalog.name + "-wal")]
    for repository in config.repositories:
        parts += [repository.path, repository.path.parent / f".{repository.path.name}.staging"]
    home = config.source.parent if config.source is not None else None
    for value in (config.signing.eseal_key, config.signing.eseal_passphrase_file, *config.signing.trust_roots):
        if value:  # the key's own directory (pki/) too, unless it is the archive's directory itself
            path = config.path(value)
            parts += [path] if path.parent == home else [path, path.parent]
    return parts
