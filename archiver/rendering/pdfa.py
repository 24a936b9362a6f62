"""PDF/A: the variants we write, and the join of separately rendered parts into one conforming file.

Volumes are rendered in parts (one course, one class) so that memory does not grow with the volume;
the parts are joined here with pypdf, and the joined file gets its own XMP identification, output intent,
document information, file identifier and — for PDF/A-3 — the embedded source data, all pinned to the
data so that the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from archiver.rendering.fonts import merge_font_subsets, retag_subsets


@dataclass(frozen=True)
class PdfaVariant:
    name: str  # as configured: "1b", "3b"
    weasyprint: str  # WeasyPrint's pdf_variant
    part: int
    conformance: str
    header: str
    attachments: bool  # PDF/A-1 and PDF/A-2 may not embed non-PDF files


VARIANTS = {
    "1b": PdfaVariant("1b", "pdf/a-1b", 1, "B", "%PDF-1.4", attachments=False),
    "3b": PdfaVariant("3b", "pdf/a-3b", 3, "B", "%PDF-1.7", attachments=True),
}
DEFAULT_VARIANT = "3b"
PRODUCER = "journal-archiver (WeasyPrint, pypdf)"


@dataclass(frozen=True)
class DocumentInfo:
    """What the PDF says about itself (Info dictionary and XMP, kept identical)."""

    identifier: str  # stable id of the document, from the data
    title: str
    author: str  # the school
    created: datetime  # from the data, never the clock
    creator_tool: str


@dataclass(frozen=True)
class SourceAttachment:
    """Data embedded in a PDF/A-3 file with AFRelationship /Source."""

    name: str
    data: bytes
    description: str
    mime_type: str = "application/json"


def variant(name: str) -> PdfaVariant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown PDF/A variant {name!r}; known: {', '.join(VARIANTS)}") from None


def join(
    parts: Sequence[bytes],
    info: DocumentInfo,
    pdfa: PdfaVariant,
    attachment: SourceAttachment | None = None,
) -> bytes:
    """One PDF/A file with the pages of every part, in order."""
    # The Info dictionary's dates have whole seconds: the XMP must say the same to the second (PDF/A 6.7.3;
    # PDFBox Preflight rejected acts dated by the clock, with microseconds, before).
    info = replace(info, created=info.created.replace(microsecond=0))
    writer = PdfWriter()
    readers = [PdfReader(io.BytesIO(part)) for part in parts]
    for reader in readers:
        for page in reader.pages:
            writer.add_page(page)
    merge_font_subsets(writer)
    retag_subsets(writer)  # the parts tag their different subsets of a face alike
    root = writer.root_object
    intents = readers[0].root_object.get("/OutputIntents") if readers else None
    if intents is None:
        raise ValueError("the first part has no output intent: was it rendered as PDF/A?")
    root[NameObject("/OutputIntents")] = intents.clone(writer)
    root[NameObject("/Lang")] = TextStringObject("ru-RU")
    writer.pdf_header = pdfa.header
    stamp = _pdf_date(info.created)
    writer.add_metadata(
        {
            "/Title": info.title,
            "/Author": info.author,
            "/Creator": info.creator_tool,
            "/Producer": PRODUCER,
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    writer.xmp_metadata = _xmp(info, pdfa)
    if attachment is not None:
        if not pdfa.attachments:
            raise ValueError(f"PDF/A-{pdfa.part} cannot embed {attachment.mime_type} data")
        _attach(writer, attachment, stamp)
    # The file identifier: the first half names the document, the second its content.
    content = hashlib.md5(usedforsecurity=False)
    for part in parts:
        content.update(hashlib.sha256(part).digest())
    if attachment is not None:
        content.update(hashlib.sha256(attachment.data).digest())
    first = hashlib.md5(info.identifier.encode("utf-8"), usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(first), ByteStringObject(content.digest())])  # pypdf has no setter
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    """Pages of a PDF, read back from the file."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _attach(writer: PdfWriter, attachment: SourceAttachment, stamp: str) -> None:
    stream = DecodedStreamObject()
    stream.set_data(attachment.data)
    stream.update(
        {
            NameObject("/Type"): NameObject("/EmbeddedFile"),
            NameObject("/Subtype"): NameObject("/" + attachment.mime_type.replace("/", "#2F")),
            NameObject("/Params"): DictionaryObject(
                {
                    NameObject("/Size"): NumberObject(len(attachment.data)),
                    NameObject("/ModDate"): TextStringObject(stamp),
                    NameObject("/CheckSum"): ByteStringObject(
                        hashlib.md5(attachment.data, usedforsecurity=False).digest()
                    ),
                }
            ),
        }
    )
    encoded = stream.flate_encode()
    stream_ref = writer._add_object(encoded)
    filespec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(attachment.name),
            NameObject("/UF"): TextStringObject(attachment.name),
            NameObject("/Desc"): TextStringObject(attachment.description),
            NameObject("/AFRelationship"): NameObject("/Source"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): stream_ref, NameObject("/UF"): stream_ref}),
        }
    )
    filespec_ref = writer._add_object(filespec)
    names = DictionaryObject(
        {
            NameObject("/EmbeddedFiles"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject(attachment.name), filespec_ref])}
            )
        }
    )
    writer.root_object[NameObject("/Names")] = names
    writer.root_object[NameObject("/AF")] = ArrayObject([filespec_ref])


def _pdf_date(moment: datetime) -> str:
    text = moment.strftime("D:%Y%m%d%H%M%S")
    offset = moment.utcoffset()
    if offset is None:
        return text + "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _xmp(info: DocumentInfo, pdfa: PdfaVariant) -> bytes:
    created = info.created.isoformat()
    # Namespaces are declared on each rdf:Description, as PDFBox Preflight expects for PDF/A-1.
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{pdfa.part}</pdfaid:part>
   <pdfaid:conformance>{pdfa.conformance}</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(info.author)}</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{created}</xmp:CreateDate>
   <xmp:ModifyDate>{created}</xmp:ModifyDate>
   <xmp:CreatorTool>{escape(info.creator_tool)}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return xml.encode("utf-8")
