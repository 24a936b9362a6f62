"""Progress on long work: a bar on stderr when it is a terminal and the output is not JSON."""

from __future__ import annotations

import sys
from typing import Any

import click

from archiver.cli.main import Runtime


class Bar:
    """A progress bar on stderr when it is a terminal and output is not JSON."""

    def __init__(self, runtime: Runtime, length: int, label: str) -> None:
        self._bar: Any = None
        if not runtime.json and sys.stderr.isatty() and length:
            self._bar = click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True)

    def __enter__(self) -> Bar:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, steps: int) -> None:
        if self._bar is not None:
            self._bar.update(steps)
