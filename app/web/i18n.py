"""Labels of the web pages in Chinese and English, and the choice of language per request.

The language comes from, in order: a ``?lang=zh|en`` query parameter (the switch; it is also kept
in the ``odq_lang`` cookie), the cookie, the ``Accept-Language`` header (by q-value), else Chinese.
Every label has both languages; a test fails when one is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
COOKIE = "odq_lang"

# key → (English, Chinese)
LABELS: Mapping[str, tuple[str, str]] = {
    "app.name": ("ODQ — open data quality", "ODQ 开放数据质量"),
    "app.short": ("ODQ", "ODQ"),
    "app.tagline": (
        "Scores published open data files for the faults evaluations find: fragmented, duplicated and invalid data.",
        "为已发布的开放数据文件打分，找出评估中常见的问题：碎片化、重复化和无效数据。",
    ),
    "nav.home": ("Score a file", "文件评分"),
    "nav.portals": ("Portals", "门户排行"),
    "nav.methodology": ("Methodology", "评分方法"),
    "nav.api": ("API", "接口文档"),
    "nav.main": ("Main navigation", "主导航"),
    "lang.switch": ("Language", "语言"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "skip": ("Skip to content", "跳到正文"),
    # home
    "home.title": ("Score a data file", "为数据文件评分"),
    "home.file": ("Data file", "数据文件"),
    "home.file.help": (
        "CSV, TSV, TXT, XLSX, XLS, JSON, JSONL, GeoJSON, Parquet or a zip holding a table.",
        "支持 CSV、TSV、TXT、XLSX、XLS、JSON、JSONL、GeoJSON、Parquet 或包含表格的 zip。",
    ),
    "home.limit": ("Largest file accepted: {mb} MiB.", "文件大小上限：{mb} MiB。"),
    "home.drop": ("Drop a file here or choose one", "将文件拖到此处，或点击选择"),
    "home.or": ("or", "或"),
    "home.url": ("Address (URL) of a published file", "已发布文件的网址（URL）"),
    "home.portal": ("Portal (optional)", "所属门户（可选）"),
    "home.portal.name": ("Portal name", "门户名称"),
    "home.portal.help": (
        "To count the file in a portal's score, give the portal and its API key.",
        "如需计入某门户的得分，请填写门户名称及其 API 密钥。",
    ),
    "home.submit": ("Score it", "开始评分"),
    "home.recent": ("Recent reports", "最近的报告"),
    "home.none": ("No reports yet.", "暂无报告。"),
    "home.choose": ("Choose a file or give a URL.", "请选择文件或填写网址。"),
    # report
    "report.title": ("Quality report", "质量报告"),
    "report.score": ("Score", "得分"),
    "report.band": ("Band", "等级"),
    "report.of100": ("out of 100", "满分 100"),
    "report.dimensions": ("Dimensions", "维度得分"),
    "report.dimension": ("Dimension", "维度"),
    "report.weight": ("Weight", "权重"),
    "report.source": ("The file as read", "文件识别结果"),
    "report.name": ("File", "文件"),
    "report.url": ("Address", "网址"),
    "report.format": ("Format", "格式"),
    "report.encoding": ("Encoding", "编码"),
    "report.header_row": ("Header row", "表头所在行"),
    "report.size": ("Rows × columns", "行 × 列"),
    "report.bytes": ("Bytes", "字节数"),
    "report.sha256": ("SHA-256", "SHA-256"),
    "report.created": ("Scored at", "评分时间"),
    "report.version": ("Scoring version", "评分版本"),
    "report.fatal": (
        "Fatal: {code} — the content dimensions score 0.",
        "致命问题：{code}——内容维度均为 0 分。",
    ),
    "report.findings": ("Findings, most costly first", "发现的问题（按扣分从多到少）"),
    "report.nofindings": ("No findings: nothing was found wrong.", "未发现问题。"),
    "report.count": ("Count", "数量"),
    "report.share": ("Share", "占比"),
    "report.points": ("Points lost", "扣分"),
    "report.severity": ("Severity", "严重程度"),
    "report.level": ("Level", "层级"),
    "report.examples": ("Examples", "示例"),
    "report.more_examples": (
        "{shown} of {count} shown; the count is exact.",
        "显示 {shown} 个，共 {count} 个（计数准确）。",
    ),
    "report.row": ("Row", "行"),
    "report.field": ("Field", "列号"),
    "report.column": ("Column", "列名"),
    "report.value": ("Value", "值"),
    "report.fix": ("Fix", "修改建议"),
    "report.why": ("Why it costs this", "扣分原因"),
    "rubric.blemish": (
        "moves the file down inside Excellent: a small blemish that needs no work before use",
        "在“优秀”档内略微降分：小瑕疵，使用前无需处理",
    ),
    "rubric.routine": (
        "keeps the file out of Excellent: a default reader does not give the right table at once, "
        "but a skilled user fixes it in minutes with standard options",
        "使文件达不到“优秀”：默认读取得不到正确的表，但熟练用户用常规选项几分钟即可修好",
    ),
    "rubric.substantial": (
        "keeps the file out of Good: correct use needs substantial work or outside knowledge",
        "使文件达不到“良好”：正确使用需要大量工作或外部知识",
    ),
    "rubric.fatal": (
        "makes the file Bad: it cannot be used as published",
        "使文件评为“较差”：按发布的样子无法使用",
    ),
    "report.fixes": ("Fix these {n} to gain about {gain} points", "修复以下 {n} 项，约可提高 {gain} 分"),
    "report.gain": ("+{gain} points", "+{gain} 分"),
    "report.preview": ("First rows", "前几行数据"),
    "report.preview.help": (
        "Row numbers are those a spreadsheet shows (title and header rows count). Marked cells have a finding.",
        "行号与电子表格中显示的一致（标题行和表头行也计数）。标记的单元格存在问题。",
    ),
    "report.example_rows": ("Rows of the examples", "示例所在的行"),
    "report.nopreview": ("The rows of this file are not kept.", "未保存此文件的数据行。"),
    "report.downloads": ("Downloads", "下载"),
    "report.dl.json": ("Report (JSON)", "报告（JSON）"),
    "report.dl.dqv": ("Quality measurements (DQV JSON-LD)", "质量度量（DQV JSON-LD）"),
    "report.dl.csv": ("Findings (CSV)", "问题清单（CSV）"),
    "report.dl.gx": ("Great Expectations suite", "Great Expectations 规则集"),
    "report.badge": ("Badge to embed", "可嵌入的徽章"),
    "report.yours": ("Your upload", "您的上传"),
    "report.private": (
        "This report is not listed anywhere: only people with its link can open it.",
        "此报告不在任何列表中：只有持有链接的人才能打开。",
    ),
    "report.delete": ("Delete this report and the uploaded file", "删除此报告和上传的文件"),
    "report.columns": ("Columns", "字段"),
    "report.col.type": ("Type", "类型"),
    "report.col.nulls": ("Empty", "空值"),
    "report.col.distinct": ("Distinct", "不同值"),
    "report.notes": ("Notes", "说明"),
    "report.sheets": ("Other sheets, each scored on its own", "其他工作表（逐表评分）"),
    "report.sheet": ("Sheet", "工作表"),
    "report.sheet.size": ("Rows × columns", "行 × 列"),
    "report.sheet.costly": ("Most costly", "扣分最多"),
    "report.marked": ("has a finding", "存在问题"),
    # progress
    "progress.title": ("Scoring…", "正在评分…"),
    "progress.body": (
        "The file is being scored; this page moves on to the report by itself.",
        "正在为文件评分，完成后本页会自动跳转到报告。",
    ),
    "progress.state": ("State", "状态"),
    "progress.elapsed": ("Elapsed", "已用时间"),
    "progress.failed": ("Scoring failed", "评分失败"),
    "progress.open": ("Open the report", "打开报告"),
    "state.queued": ("queued", "排队中"),
    "state.running": ("running", "进行中"),
    "state.done": ("done", "已完成"),
    "state.failed": ("failed", "失败"),
    # portals
    "portals.title": ("Portal leaderboard", "门户排行榜"),
    "portals.rank": ("Rank", "排名"),
    "portals.portal": ("Portal", "门户"),
    "portals.score": ("Score", "得分"),
    "portals.band": ("Band", "等级"),
    "portals.datasets": ("Datasets", "数据集"),
    "portals.change": ("Change", "变化"),
    "portals.history": ("History", "历史"),
    "portals.depth": ("Depth", "评估深度"),
    "portals.depth.all": ("All depths", "全部深度"),
    "portals.depth.content": ("Content", "内容"),
    "portals.depth.links-checked": ("Links checked", "已检查链接"),
    "portals.depth.metadata-only": ("Metadata only", "仅元数据"),
    "portals.depth.note": (
        "Portals are ranked among those assessed at the same depth.",
        "门户仅与相同评估深度的门户比较排名。",
    ),
    "portals.none": ("No portal has been scored yet.", "尚无门户评分。"),
    "portals.unavailable": (
        "Portal scoring is not available in this installation.",
        "此安装未启用门户评分。",
    ),
    "portal.title": ("Portal", "门户"),
    "portal.bands": ("Datasets by band", "数据集等级分布"),
    "portal.dimensions": ("Dimension scores", "维度得分"),
    "portal.worst": ("Worst datasets", "得分最低的数据集"),
    "portal.dataset": ("Dataset", "数据集"),
    "portal.duplicates": ("Duplicate and republished datasets", "重复与重复发布的数据集"),
    "portal.split": ("Split series", "被拆分的系列数据"),
    "portal.merge": ("Suggested merge", "建议合并"),
    "portal.links": ("Broken links", "失效链接"),
    "portal.trend": ("Trend over runs", "历次评分趋势"),
    "portal.findings": ("Portal findings", "门户层面的问题"),
    "portal.none": ("None found.", "未发现。"),
    "portal.run": ("Start a catalog run", "开始目录评分"),
    "portal.run.help": (
        "For key holders: scores every dataset of the portal's catalog again.",
        "仅限持有密钥者：重新为该门户目录中的所有数据集评分。",
    ),
    "portal.run.key": ("API key", "API 密钥"),
    "portal.run.source": ("Catalog address (optional)", "目录地址（可选）"),
    "portal.run.submit": ("Start", "开始"),
    "portal.rank": ("Rank {rank}", "第 {rank} 名"),
    "portal.depth.read": (
        "content of {read} of {total} datasets read",
        "已读取 {total} 个数据集中 {read} 个的内容",
    ),
    "portal.depth.unassessed": ("content dimensions not assessed", "未评估内容维度"),
    "portal.low_capacity": (
        "low-capacity datasets {share} % ({measured} measured, {declared} declared)",
        "低容量数据集 {share} %（实测 {measured} 个，申报 {declared} 个）",
    ),
    "portal.involved": ("Datasets involved", "涉及的数据集"),
    "portal.merge.text": (
        "Merge these {n} datasets into one table of {rows} rows and {columns} columns, with a column for the {by}.",
        "将这 {n} 个数据集合并为一张表：{rows} 行、{columns} 列，并增加一列表示{by}。",
    ),
    "portal.drift": ("The header differs between the parts.", "各部分的表头不一致。"),
    "portal.varying": ("What varies in the names", "文件名中变化的部分"),
    "portal.similarity": ("Row similarity (Jaccard)", "行相似度（Jaccard）"),
    "portal.size": ("Datasets", "数据集数"),
    "portal.mean": ("Mean of the datasets", "数据集平均分"),
    "job.title": ("Catalog run", "目录评分任务"),
    "job.body": (
        "Every dataset of the catalog is being scored; this page moves on to the portal when the run ends.",
        "正在为目录中的每个数据集评分，完成后本页会自动跳转到门户页面。",
    ),
    "job.done": ("Datasets scored", "已评分数据集"),
    "job.open": ("Open the portal", "打开门户页面"),
    "portal.downloads": ("Downloads", "下载"),
    "portal.dl.json": ("Portal report (JSON)", "门户报告（JSON）"),
    "portal.dl.dqv": ("Quality measurements (DQV JSON-LD)", "质量度量（DQV JSON-LD）"),
    # methodology
    "method.title": ("How ODQ scores", "ODQ 评分方法"),
    "method.intro": (
        "Generated from the weights the scoring code uses (version {version}). "
        "Each dimension scores 0–100, where 100 means the fault is absent; the overall score is the weighted mean of the dimensions that apply.",
        "本页由评分代码所用的权重数据（版本 {version}）生成。每个维度 0–100 分，100 分表示没有该类问题；总分是适用维度的加权平均。",
    ),
    "method.rule": (
        "A finding costs its dimension cap × min(1, share ÷ saturation) points, at least {floor}, never more than its cap.",
        "每个问题从所属维度扣除 上限 × min(1, 占比 ÷ 饱和度) 分，至少 {floor} 分，不超过上限。",
    ),
    "method.custom": (
        "These weights come from the file {file} set by ODQ_WEIGHTS_FILE, for calibration; reports are scored with the packaged weights.",
        "本页显示的是 ODQ_WEIGHTS_FILE 指定的文件 {file} 中的权重（用于校准）；报告仍按内置权重评分。",
    ),
    "method.portal": ("Cross-dataset thresholds (portal pass)", "跨数据集比对阈值（门户评分）"),
    "method.t.near_duplicate": (
        "Row-set Jaccard from which two datasets are near-duplicates",
        "两个数据集的行集合 Jaccard 相似度达到此值即视为近似重复",
    ),
    "method.t.contained": (
        "Share of the smaller dataset's rows found in the larger one for a contained dataset",
        "较小数据集的行出现在较大数据集中的比例达到此值即视为被包含",
    ),
    "method.t.key_overlap": (
        "Key-set Jaccard a revision (republished dataset) keeps",
        "修订版（重复发布的数据集）需保留的主键集合 Jaccard 相似度",
    ),
    "method.t.header_jaccard": (
        "Header label Jaccard from which two schemas are compatible",
        "表头字段集合 Jaccard 相似度达到此值即视为结构兼容",
    ),
    "method.t.header_overlap": (
        "Or: share of the smaller header found in the larger one",
        "或：较小表头的字段出现在较大表头中的比例",
    ),
    "method.value": ("Value", "取值"),
    "method.dimensions": ("Dimensions", "维度"),
    "method.bands": ("Bands", "等级"),
    "method.band.min": ("From score", "最低分"),
    "method.band.mqa": ("MQA points (of {total})", "MQA 分值（满分 {total}）"),
    "method.checks": ("Checks and their weights", "检查项及其权重"),
    "method.code": ("Code", "代码"),
    "method.cap": ("Cap", "上限"),
    "method.saturation": ("Saturation", "饱和度"),
    "method.reason": ("Why", "理由"),
    "method.what": ("What it finds", "检查内容"),
    "method.fatal": ("Fatal findings", "致命问题"),
    "method.fatal.body": (
        "These findings make every content dimension score 0: {codes}.",
        "以下问题会使所有内容维度得 0 分：{codes}。",
    ),
    "method.defaults": ("Codes without their own entry", "未单独列出的代码"),
    "method.severity": ("Severity", "严重程度"),
    "method.references": ("References", "参考标准"),
    "method.gbt": ("GB/T 36344-2018 dimension", "GB/T 36344-2018 维度"),
    "method.frictionless": ("Frictionless error", "Frictionless 错误名"),
    "method.content": ("Content dimension", "内容维度"),
    "method.yes": ("yes", "是"),
    "method.no": ("no", "否"),
    "method.measured": ("measured by a check", "有检查项"),
    "method.planned": ("weight only (no check yet)", "仅有权重（暂无检查项）"),
    # errors
    "error.title": ("Something is wrong", "出错了"),
    "error.back": ("Back to the start page", "返回首页"),
    # badge
    "badge.label": ("data quality", "数据质量"),
    "badge.unscored": ("not scored", "未评分"),
    # misc
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "none": ("—", "—"),
}

DIMENSIONS: Mapping[str, tuple[str, str]] = {
    "validity": ("Validity", "有效性"),
    "uniqueness": ("Uniqueness", "唯一性"),
    "consolidation": ("Consolidation", "整合度"),
    "completeness": ("Completeness", "完整性"),
    "metadata": ("Metadata", "规范性"),
    "openness": ("Openness", "开放性"),
    "accessibility": ("Accessibility", "可访问性"),
    "timeliness": ("Timeliness", "时效性"),
    "consistency": ("Consistency", "一致性"),
}

DIMENSION_FAULTS: Mapping[str, tuple[str, str]] = {
    "validity": ("invalid data", "无效性"),
    "uniqueness": ("duplicated data", "重复化"),
    "consolidation": ("fragmented data", "碎片化"),
    "completeness": ("missing values", "缺失"),
    "metadata": ("metadata gaps (MQA)", "元数据缺失"),
    "openness": ("closed formats or licences", "开放程度不足"),
    "accessibility": ("broken links", "链接失效"),
    "timeliness": ("stale data", "更新不及时"),
    "consistency": ("disagreeing distributions", "不一致"),
}

SEVERITIES: Mapping[str, tuple[str, str]] = {
    "error": ("error", "错误"),
    "warning": ("warning", "警告"),
    "info": ("info", "提示"),
}

LEVELS: Mapping[str, tuple[str, str]] = {
    "file": ("file", "文件"),
    "table": ("table", "表"),
    "column": ("column", "列"),
    "row": ("row", "行"),
    "cell": ("cell", "单元格"),
    "portal": ("portal", "门户"),
}


SPLIT_BY: Mapping[str, tuple[str, str]] = {
    "year": ("year", "年份"),
    "period": ("period", "时期"),
    "month": ("month", "月份"),
    "page": ("page", "页码"),
    "part": ("part", "分部"),
    "number": ("number", "编号"),
    "name": ("name", "名称"),
    "region": ("region", "地区"),
}


def _index(lang: Lang) -> int:
    return 0 if lang == "en" else 1


@dataclass(frozen=True, slots=True)
class Translator:
    """``t("key", n=3)`` → the label in ``lang`` with ``{n}`` filled in."""

    lang: Lang

    def __call__(self, key: str, **values: object) -> str:
        pair = LABELS.get(key)
        text = key if pair is None else pair[_index(self.lang)]
        return text.format(**values) if values else text

    def dimension(self, key: str) -> str:
        pair = DIMENSIONS.get(key)
        return key if pair is None else pair[_index(self.lang)]

    def fault(self, key: str) -> str:
        pair = DIMENSION_FAULTS.get(key)
        return "" if pair is None else pair[_index(self.lang)]

    def severity(self, key: str) -> str:
        pair = SEVERITIES.get(key)
        return key if pair is None else pair[_index(self.lang)]

    def level(self, key: str) -> str:
        pair = LEVELS.get(key)
        return key if pair is None else pair[_index(self.lang)]

    def split_by(self, key: str) -> str:
        pair = SPLIT_BY.get(key)
        return key if pair is None else pair[_index(self.lang)]

    @property
    def other(self) -> Lang:
        return "en" if self.lang == "zh" else "zh"

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.lang == "zh" else "en"


def parse_accept_language(header: str | None) -> Lang | None:
    """The best of zh/en in an ``Accept-Language`` header by q-value, or None when neither appears."""
    if not header:
        return None
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS or quality <= 0:
            continue
        lang: Lang = "zh" if primary == "zh" else "en"
        candidate = (quality, -position, lang)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return None if best is None else best[2]


def choose_lang(request: Request) -> tuple[Lang, bool]:
    """The language of this request, and whether it came from the switch (so the cookie is set)."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return ("zh" if asked == "zh" else "en"), True
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGS:
        return ("zh" if cookie == "zh" else "en"), False
    return parse_accept_language(request.headers.get("accept-language")) or DEFAULT_LANG, False
