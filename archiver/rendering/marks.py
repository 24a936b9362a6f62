"""The visible mark of an electronic signature (ГОСТ Р 7.0.97-2016, п. 5.23), rendered as PDF/A.

«Документ подписан электронной подписью», the certificate's serial number, its owner, its validity, and
the signing time; drawn by the signature's widget in the signature place of the title sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.documents.dates import DEFAULT_TIMEZONE, local_time
from archiver.documents.title import SIGNATURE_BOX_MM
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import PdfaVariant


@dataclass(frozen=True)
class SignatureMark:
    serial: str
    owner: str
    valid_from: str
    valid_to: str
    signed_at: str | None
    width_mm: float = SIGNATURE_BOX_MM[2]
    height_mm: float = SIGNATURE_BOX_MM[3]


def mark_pdf(
    serial: str,
    owner: str,
    valid_from: datetime,
    valid_to: datetime,
    signed_at: datetime | None,
    pdfa: PdfaVariant,
    timezone: str = DEFAULT_TIMEZONE,
) -> bytes:
    """A one-page PDF/A of the mark, sized to the signature place; the signing time in the school's zone."""
    mark = SignatureMark(
        serial=serial,
        owner=owner,
        valid_from=f"{valid_from:%d.%m.%Y}",
        valid_to=f"{valid_to:%d.%m.%Y}",
        signed_at=local_time(signed_at, timezone) if signed_at else None,
    )
    return html_to_pdf(render_html("mark.html", mark=mark), pdfa)


# The director's place in the approval block («УТВЕРЖДАЮ») of a disposal act's first sheet, in mm from the
# page's lower-left corner, the size of the title sheet's (the same mark fits both); templates/act.html.
ACT_BOX_MM = (110.0, 228.0, SIGNATURE_BOX_MM[2], SIGNATURE_BOX_MM[3])


def signature_box_points(box_mm: tuple[float, float, float, float] = SIGNATURE_BOX_MM) -> tuple[int, int, int, int]:
    """The signature place on the title sheet in PDF points (x1, y1, x2, y2) from the page's lower left."""
    left, bottom, width, height = box_mm
    pt = 72 / 25.4
    return (round(left * pt), round(bottom * pt), round((left + width) * pt), round((bottom + height) * pt))


def act_box_points() -> tuple[int, int, int, int]:
    """The director's place in a disposal act's approval block, in PDF points."""
    return signature_box_points(ACT_BOX_MM)
