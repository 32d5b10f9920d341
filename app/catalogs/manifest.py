"""A manifest: a CSV, XLSX or JSON list with one dataset per row, as portals export their
catalogs. Column names are matched to the record's fields through aliases in English and in the
Chinese portals' vocabularies (标题/数据集名称, 提供单位/来源部门/资源提供方, 所属领域/所属主题/领域名称,
更新频率/更新周期, 更新时间/最后更新, 发布时间, 数据量, 下载格式/资源格式/数据格式, 摘要/描述, 标签,
联系方式/联系电话 …); unknown columns stay in ``raw``.

A row's ``url``/``path`` column becomes its distribution; a relative path is resolved against
the manifest's folder and kept as an absolute local path (no ``file://``). A row that declares
formats but no link (crawled portal metadata) gets one distribution per declared format with no
URL, so openness can still be judged from the declared format."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.catalogs.common import (
    DECLARED_ROWS,
    CatalogError,
    format_name,
    frequency,
    is_url,
    iso_date,
    str_list,
    text,
    to_int,
)
from profilers import jsontext
from profilers.record import DatasetRecord, Distribution

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifier", "标识", "标识符", "编号", "数据集编号", "资源编号", "目录编号", "资源代码"),
    "title": ("title", "name", "dataset", "标题", "数据集名称", "资源名称", "名称", "数据名称", "目录名称"),
    "description": (
        "description",
        "notes",
        "summary",
        "abstract",
        "摘要",
        "摘要信息",
        "资源摘要",
        "描述",
        "简介",
        "数据描述",
        "资源描述",
    ),
    "publisher": (
        "publisher",
        "organization",
        "organisation",
        "provider",
        "owner",
        "提供单位",
        "来源部门",
        "资源提供方",
        "数据提供方",
        "提供部门",
        "发布单位",
        "数据来源单位",
        "数源单位",
    ),
    "themes": (
        "theme",
        "themes",
        "category",
        "topic",
        "所属领域",
        "所属主题",
        "领域名称",
        "主题",
        "领域",
        "主题分类",
        "数据领域",
    ),
    "frequency": ("frequency", "update_frequency", "accrualperiodicity", "更新频率", "更新周期", "更新频次"),
    "modified": (
        "modified",
        "updated",
        "last_modified",
        "update_time",
        "更新时间",
        "最后更新",
        "更新日期",
        "最近更新",
    ),
    "issued": (
        "issued",
        "published",
        "created",
        "release_date",
        "发布时间",
        "发布日期",
        "上线时间",
        "创建时间",
    ),
    "rows": ("rows", "records", "record_count", "数据量", "数据条数", "记录数"),
    "format": ("format", "formats", "file_format", "下载格式", "资源格式", "数据格式", "文件格式"),
    "keywords": ("keywords", "keyword", "tags", "tag", "标签", "关键字", "关键词"),
    "contact": ("contact", "email", "contact_email", "phone", "联系方式", "联系电话", "联系邮箱", "联系人"),
    "url": (
        "url",
        "download_url",
        "downloadurl",
        "download",
        "link",
        "path",
        "file",
        "下载地址",
        "下载链接",
        "文件地址",
        "链接",
        "文件",
    ),
    "landing_page": ("landing_page", "landingpage", "page", "详情页网址", "详情页", "网址", "访问地址"),
    "licence": ("licence", "license", "license_url", "许可", "许可协议", "授权协议"),
    "access": ("access", "access_level", "accessrights", "开放条件", "开放类型", "开放状态", "开放属性"),
    "spatial": ("spatial", "coverage", "空间范围", "地域范围"),
    "temporal": ("temporal", "时间范围"),
}
_NORMAL = {alias.lower().replace(" ", "_"): field for field, aliases in ALIASES.items() for alias in aliases}


def field_of(column: str) -> str | None:
    key = re.sub(r"\s+", "_", str(column).strip().lower())
    return _NORMAL.get(key)


def _rows_from_bytes(data: bytes, name: str) -> list[dict[str, Any]]:
    lower = name.lower()
    if (
        data[:4] == b"PK\x03\x04"
        or lower.endswith((".xlsx", ".xls"))
        or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    ):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=True)
        return _grid_to_rows([[("" if c is None else c) for c in row] for row in grid])
    stripped = data.lstrip()
    if stripped[:1] in (b"[", b"{"):
        body = jsontext.loads(data.decode("utf-8-sig"))
        if isinstance(body, dict):
            body = next((v for v in body.values() if isinstance(v, list)), None)
        if not isinstance(body, list):
            raise CatalogError("invalid-catalog", f"{name}: a JSON manifest must be a list of objects")
        return [r for r in body if isinstance(r, dict)]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CatalogError("invalid-catalog", f"{name}: the manifest is neither UTF-8 nor GB18030 text")
    sample = decoded[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return _grid_to_rows(list(csv.reader(io.StringIO(decoded), dialect)))


def _grid_to_rows(grid: list[list[Any]]) -> list[dict[str, Any]]:
    # The header is the first row where at least two cells name a known field (title rows above it are skipped).
    for i, row in enumerate(grid[:20]):
        known = [c for c in row if field_of(str(c))]
        if len(known) >= 2 or (known and len(row) == 1):
            header = [str(c).strip() for c in row]
            out = []
            for values in grid[i + 1 :]:
                if not any(str(v).strip() for v in values):
                    continue
                out.append({h: v for h, v in zip(header, values, strict=False) if h})
            return out
    raise CatalogError("invalid-catalog", "no header row naming known manifest fields (title, url, 标题 …)")


def record_from_row(row: dict[str, Any], position: int, folder: Path | None = None) -> DatasetRecord:
    got: dict[str, Any] = {}
    for column, value in row.items():
        field = field_of(column)
        if field and field not in got and value not in (None, "", [], "[]"):
            got[field] = value
    url = text(got.get("url"))
    if url and folder is not None and not is_url(url) and len(urlsplit(url).scheme) <= 1:
        path = Path(url)  # a path (another scheme, file: included, stays as written: bad-url)
        url = str(path if path.is_absolute() else (folder / path).resolve())
    formats = [f for f in (format_name(x) for x in str_list(got.get("format"))) if f]
    dists: list[Distribution] = []
    if url:
        dists.append(Distribution(url=url, format=formats[0] if formats else None, raw={}))
    else:
        dists.extend(Distribution(url=None, format=f) for f in formats)
    landing = text(got.get("landing_page"))
    raw = dict(row)
    rows = to_int(got.get("rows"))
    if rows is not None:
        raw[DECLARED_ROWS] = rows
    if got.get("access") is not None:
        raw["_odq_access"] = text(got.get("access"))
    return DatasetRecord(
        id=text(got.get("id")) or landing or url or f"row-{position + 1}",
        title=text(got.get("title")),
        description=text(got.get("description")),
        publisher=text(got.get("publisher")),
        licence=text(got.get("licence")),
        modified=iso_date(got.get("modified")),
        issued=iso_date(got.get("issued")),
        frequency=frequency(got.get("frequency")),
        keywords=str_list(got.get("keywords")),
        themes=str_list(got.get("themes")),
        spatial=text(got.get("spatial")),
        temporal=text(got.get("temporal")),
        landing_page=landing,
        contact=text(got.get("contact")),
        distributions=dists,
        source_kind="manifest",
        raw=raw,
    )


def parse_manifest(
    data: bytes, name: str = "manifest.csv", folder: Path | None = None
) -> list[DatasetRecord]:
    rows = _rows_from_bytes(data, name)
    return [record_from_row(r, i, folder) for i, r in enumerate(rows)]


def looks_like_manifest(rows: list[Any]) -> bool:
    first = next((r for r in rows if isinstance(r, dict)), None)
    if first is None:
        return False
    return sum(1 for k in first if field_of(k)) >= 2
