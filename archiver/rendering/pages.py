"""Jinja2 → HTML → WeasyPrint PDF/A, with a URL fetcher that serves only the project's own files.

The data is untrusted: templates autoescape, and the fetcher refuses every URL that is not one of our
stylesheets or fonts (http, https, data, and file URLs outside the templates directory), so a student
named `<img src="http://…">` is printed as text and nothing is fetched or embedded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from archiver.documents.journal import LOG_COLUMNS_MM
from archiver.errors import ArchiverError
from archiver.rendering.pdfa import PdfaVariant
from archiver.resources import data_dir

_MIME = {".css": "text/css", ".ttf": "font/ttf"}


class RenderError(ArchiverError):
    """A document could not be rendered (a bug or a broken installation, not bad input)."""

    code = "render-failed"


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]
    """A template or the data asked for a resource that is not one of the project's own files."""


class ArchiveURLFetcher(URLFetcher):  # type: ignore[misc]
    """Serves the stylesheet and fonts from the templates directory; refuses everything else."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=["file"], allow_redirects=False)
        self._root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.resolve(url)
        return URLFetcherResponse(url, body=_read(path), headers={"Content-Type": _MIME[path.suffix]})

    def resolve(self, url: str) -> Path:
        """The local file a URL names, when it is one we serve; `RefusedURL` otherwise."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused to fetch {url[:200]!r}: only the archive's own templates and fonts")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self._root) or path.suffix not in _MIME or not path.is_file():
            raise RefusedURL(f"refused to fetch {url[:200]!r}: not one of the archive's templates or fonts")
        return path


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


@cache
def templates_root() -> Path:
    return data_dir("templates")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_root()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals["log_columns"] = LOG_COLUMNS_MM
    return env


@cache
def _fonts() -> FontConfiguration:
    # One font configuration per process: @font-face files are loaded once, not for every part.
    return FontConfiguration()


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str, variant: PdfaVariant) -> bytes:
    """One PDF/A part. Any URL outside our templates aborts the render with `RenderError`."""
    root = templates_root()
    document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=ArchiveURLFetcher(root))
    try:
        pdf = document.write_pdf(pdf_variant=variant.weasyprint, font_config=_fonts(), uncompressed_pdf=False)
    except RefusedURL as refused:
        raise RenderError(str(refused)) from None
    if not isinstance(pdf, bytes):
        raise RenderError("WeasyPrint returned no PDF")
    return pdf
