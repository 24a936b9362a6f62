"""The OCFL reference implementation's verdict on a storage root, for the tests."""

from __future__ import annotations

from pathlib import Path


def validate_ocfl(root: Path) -> None:
    """ocfl-py's validator (the OCFL reference implementation) on the storage root and on every object, each
    as `ocfl-validate.py` checks one (the same library calls, in this process: no interpreter per object)."""
    import ocfl

    storage = ocfl.StorageRoot(str(root))
    assert storage.validate(validate_objects=True, check_digests=True)
    assert storage.num_objects == storage.good_objects, f"{storage.num_objects - storage.good_objects} bad objects"
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        assert ocfl.find_path_type(str(directory)) == "object", f"{directory}: not an OCFL object"
        passed, validator = ocfl.Object().validate(
            objdir=str(directory), log_warnings=False, log_errors=True, check_digests=True
        )
        assert passed, f"{directory}: INVALID\n{validator}"
