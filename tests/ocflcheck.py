"""The OCFL reference implementation's verdict on a storage root, for the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def validate_ocfl(root: Path) -> None:
    """ocfl-py's validator (the OCFL reference implementation) on the storage root and every object."""
    import ocfl

    beside = Path(sys.executable).parent / "ocfl-validate.py"
    tool = str(beside) if beside.exists() else shutil.which("ocfl-validate.py")
    assert tool, "ocfl-py is not installed (pip install -e '.[test]')"
    storage = ocfl.StorageRoot(str(root))
    assert storage.validate(validate_objects=True, check_digests=True)
    assert storage.num_objects == storage.good_objects, f"{storage.num_objects - storage.good_objects} bad objects"
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        result = subprocess.run([tool, "-q", str(directory)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert " is VALID" in result.stdout
