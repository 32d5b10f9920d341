"""Settings, read from the environment with the prefix ``ODQ_``. Built explicitly (never at
import time) so tests pass their own: ``create_app(Settings(data_dir=tmp_path))``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ODQ_", extra="ignore")

    data_dir: Path = Field(
        Path("./var"),
        description="Folder of the DuckDB database (odq.duckdb) and the uploaded files (blobs/, by sha256).",
    )
    host: str = Field("127.0.0.1", description="Address `odq serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `odq serve` listens on.")
    max_upload_mb: float = Field(
        512.0,
        gt=0,
        description="Largest file accepted for scoring, in MiB; enforced while the upload streams (413 above it).",
    )
    store_rows: bool = Field(
        True,
        description="Keep the rows ODQ loaded from each file in the database (table data.r_<sha256>), "
        "for previews and cross-dataset checks.",
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "odq.duckdb"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
