"""The catalog: cases, versions, documents, copies, signatures, retention, users and the audit trail."""

from archiver.archive.catalog.database import Catalog, open_catalog

__all__ = ["Catalog", "open_catalog"]
