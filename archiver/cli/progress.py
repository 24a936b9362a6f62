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
        self._shown = not runtime.json and sys.stderr.isatty()
        self._label = label
        if length:
            self.start(length)

    def start(self, length: int) -> None:
        """Show the bar once the length of the work is known (0: nothing to show)."""
        if self._shown and length and self._bar is None:
            self._bar = click.progressbar(length=length, label=self._label, file=sys.stderr, show_pos=True)
            self._bar.__enter__()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def update(self, steps: int) -> None:
        if self._bar is not None:
            self._bar.update(steps)
