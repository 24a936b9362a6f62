"""The URL fetcher serves the project's own stylesheet and fonts, and nothing else."""

from __future__ import annotations

import pytest

from archiver.rendering.pages import ArchiveURLFetcher, RefusedURL, RenderError, html_to_pdf, templates_root
from archiver.rendering.pdfa import variant


@pytest.fixture
def fetcher() -> ArchiveURLFetcher:
    return ArchiveURLFetcher(templates_root())


def test_serves_fonts_and_the_stylesheet(fetcher: ArchiveURLFetcher) -> None:
    root = templates_root().as_uri()
    font = fetcher.fetch(f"{root}/fonts/PTS55F.ttf")
    assert font.read()[:4] in (b"\x00\x01\x00\x00", b"true")
    assert fetcher.fetch(f"{root}/archive.css").read().startswith(b"/*")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "https://example.org/font.ttf",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file:///etc/hostname",
        "ftp://127.0.0.1/x",
        "file://evil.example/etc/passwd",
    ],
)
def test_refuses_everything_else(fetcher: ArchiveURLFetcher, url: str) -> None:
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_refuses_a_path_that_climbs_out_of_the_templates(fetcher: ArchiveURLFetcher) -> None:
    root = templates_root().as_uri()
    with pytest.raises(RefusedURL):
        fetcher.fetch(f"{root}/../../../../../etc/passwd")
    with pytest.raises(RefusedURL):
        fetcher.fetch(f"{root}/page.html")  # a template, but not a stylesheet or a font
    with pytest.raises(RefusedURL):
        fetcher.fetch(f"{root}/fonts/LICENSE-ParaType.txt")


def test_a_document_that_asks_for_more_fails_loudly() -> None:
    html = '<html><body><img src="http://127.0.0.1:9/x"><p>text</p></body></html>'
    with pytest.raises(RenderError, match="refused to fetch 'http://127.0.0.1:9/x'"):
        html_to_pdf(html, variant("3b"))
