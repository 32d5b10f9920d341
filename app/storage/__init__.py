"""Storage: the DuckDB Store (connection, per-thread cursors), the repository (all SQL), migrations."""

from app.storage.connection import StoreLocked
from app.storage.migrate import Migration, MigrationError, MigrationStatus
from app.storage.repository import Repository, new_report_id
from app.storage.store import Store

__all__ = [
    "Migration",
    "MigrationError",
    "MigrationStatus",
    "Repository",
    "Store",
    "StoreLocked",
    "new_report_id",
]
