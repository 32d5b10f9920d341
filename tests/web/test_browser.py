"""The UI in a real browser: Debian's Chromium driven by Playwright against `odq serve` on a free
127.0.0.1 port. Each test saves screenshots of the pages it visits under test-output/web/."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from web_support import ADMIN, CORPUS, CPI_PART1, ODQ, Live, portal_folder, start_server, stop

REPORT_URL = re.compile(r".*/reports/[0-9a-f]{32}$")
PROGRESS_URL = re.compile(r".*/progress/[0-9a-f]{32}$")
GDP = CORPUS / "portals" / "datahub-core" / "gdp" / "gdp.csv"  # 577 KB: over the 256 KiB of the live fixture


@pytest.fixture
def context(browser: Browser, live: Live) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live.base_url, locale="en-GB", viewport={"width": 1200, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(msg.text)

    p.on("console", on_console)
    p.on("pageerror", lambda exc: problems.append(str(exc)))
    yield p
    # No script error and no Content-Security-Policy violation on any page the test visited.
    assert problems == [], problems


def big_csv(path: Path, rows: int) -> Path:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "district", "amount", "date", "remark"])
    for i in range(rows):
        w.writerow(
            [
                i,
                f"district {i % 97}",
                i * 3 % 1000,
                f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                "无" if i % 50 == 0 else "ok",
            ]
        )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_upload_a_corpus_file_and_read_score_band_and_a_finding(page: Page, shots: Path) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Score a data file")
    page.screenshot(path=shots / "home-en.png", full_page=True)
    page.set_input_files("#file", str(CPI_PART1))
    page.click("#submit")
    page.wait_for_url(REPORT_URL)
    expect(page.locator("#score")).to_have_text("58.2")
    expect(page.locator("#band")).to_have_text("Good")
    finding = page.locator("#f-title-rows")
    expect(finding.locator(".f-title")).to_have_text("Title lines above the header")
    expect(finding).to_contain_text("数据库：分省月度数据")
    expect(page.locator("#preview tbody tr").first).to_have_attribute("data-row", "5")
    page.screenshot(path=shots / "report-en.png", full_page=True)


def test_switch_language(page: Page, shots: Path) -> None:
    page.goto("/")
    page.set_input_files("#file", str(CPI_PART1))
    page.click("#submit")
    page.wait_for_url(REPORT_URL)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#band")).to_have_text("良好")
    expect(page.locator("#f-title-rows .f-title")).to_have_text("表头上方有标题行")
    page.screenshot(path=shots / "report-zh.png", full_page=True)
    # the choice sticks (cookie) on the next page, against the browser's English
    page.click("a[href='/methodology']")
    expect(page.locator("h1")).to_have_text("ODQ 评分方法")
    page.screenshot(path=shots / "methodology-zh.png", full_page=True)
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("How ODQ scores")


def test_the_form_works_with_javascript_disabled(
    browser: Browser, live: Live, shots: Path, tmp_path: Path
) -> None:
    ctx = browser.new_context(base_url=live.base_url, locale="en-GB", java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto("/")
        expect(page.locator("#drop-hint")).to_be_hidden()  # the drag-and-drop hint needs the script
        page.set_input_files(
            "#file", str(CORPUS / "portals" / "tw-data-gov-tw" / "office-calendar_ROC107_2018.csv")
        )
        page.click("#submit")
        page.wait_for_url(REPORT_URL)
        expect(page.locator("#score")).to_have_text(re.compile(r"^\d+\.\d$"))
        page.screenshot(path=shots / "report-nojs.png", full_page=True)
        # a large file without JavaScript: the progress page refreshes itself until the report
        page.goto("/")
        page.set_input_files("#file", str(GDP))
        page.click("#submit")
        page.wait_for_url(REPORT_URL, timeout=60_000)
        expect(page.locator("#report-title")).to_have_text("gdp.csv")
    finally:
        ctx.close()


def test_the_progress_page_reaches_the_report(page: Page, shots: Path, tmp_path: Path) -> None:
    data = big_csv(tmp_path / "district-spending.csv", 150_000)
    assert data.stat().st_size > 256 * 1024
    seen: list[str] = []
    page.on("framenavigated", lambda frame: seen.append(frame.url))
    page.goto("/")
    page.set_input_files("#file", str(data))
    page.click("#submit")
    page.wait_for_url(PROGRESS_URL)
    expect(page.locator("h1")).to_have_text("Scoring…")
    page.screenshot(path=shots / "progress.png", full_page=True)
    page.wait_for_url(REPORT_URL, timeout=90_000)
    expect(page.locator("#report-title")).to_have_text("district-spending.csv")
    expect(page.locator("#f-placeholder-value")).to_be_visible()
    assert any(PROGRESS_URL.match(u) for u in seen), seen


def test_drag_and_drop_a_file(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#drop-hint")).to_be_visible()
    transfer = page.evaluate_handle(
        """() => { const dt = new DataTransfer();
                   dt.items.add(new File(["id,name\\n1,a\\n2,b\\n2,b\\n"], "dropped.csv", {type: "text/csv"}));
                   return dt; }"""
    )
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#drop-hint")).to_have_text("dropped.csv")
    assert page.eval_on_selector("#file", "el => el.files.length") == 1
    page.click("#submit")
    page.wait_for_url(REPORT_URL)
    expect(page.locator("#report-title")).to_have_text("dropped.csv")
    expect(page.locator("#f-duplicate-row")).to_be_visible()


def test_readable_on_a_phone(browser: Browser, live: Live, shots: Path) -> None:
    ctx = browser.new_context(
        base_url=live.base_url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    try:
        page = ctx.new_page()
        page.goto("/")
        page.set_input_files("#file", str(CPI_PART1))
        page.click("#submit")
        page.wait_for_url(REPORT_URL)
        expect(page.locator("#band")).to_have_text("良好")
        # nothing wider than the screen: wide tables scroll inside their own box
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
        page.screenshot(path=shots / "report-phone-zh.png", full_page=True)
        page.goto("/methodology")
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 1
    finally:
        ctx.close()


def test_keyboard_reaches_the_form(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.fixture(scope="module")
def portal_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Path]]:
    """A small portal scored by `odq catalog` (the CLI), then `odq serve` on the same data dir."""
    import subprocess

    root = tmp_path_factory.mktemp("web-portal")
    folder = portal_folder(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODQ_")}
    env["ODQ_DATA_DIR"] = str(root / "var")
    done = subprocess.run(
        [str(ODQ), "catalog", str(folder), "--kind", "dir", "--portal", "stats-demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    process, server = start_server(root, ODQ_ADMIN_TOKEN=ADMIN)
    try:
        yield server, folder
    finally:
        stop(process)


def test_leaderboard_and_portal_page(browser: Browser, portal_live: tuple[Live, Path], shots: Path) -> None:
    live, folder = portal_live
    ctx = browser.new_context(base_url=live.base_url, locale="en-GB", viewport={"width": 1200, "height": 900})
    try:
        page = ctx.new_page()
        page.goto("/portals")
        rows = page.locator("#leaderboard tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator("th a")).to_have_text("stats-demo")
        page.screenshot(path=shots / "portals-en.png", full_page=True)
        rows.first.locator("th a").click()
        page.wait_for_url(re.compile(r".*/portals/[0-9a-f]{32}$"))
        expect(page.locator("#portal-title")).to_have_text("stats-demo")
        expect(page.locator("#series > li")).to_have_count(2)
        expect(page.locator("#series")).to_contain_text("into one table of 93 rows")
        expect(page.locator("#clusters > li[data-code='republished-dataset']")).to_have_count(1)
        page.screenshot(path=shots / "portal-en.png", full_page=True)
        # a key holder starts a catalog run; the job page follows it and returns to the portal
        portal_url = page.url
        page.fill("#run-key", ADMIN)
        page.fill("#run-source", str(folder))
        page.click("#run-submit")
        page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]+$"))
        expect(page.locator("h1")).to_have_text("Catalog run")
        page.screenshot(path=shots / "catalog-run.png", full_page=True)
        page.wait_for_url(portal_url, timeout=120_000)
        expect(page.locator("#history li")).to_have_count(2)
        page.click("#lang-switch")
        expect(page.locator("#band")).to_have_text(re.compile("优秀|良好|合格|较差"))
        page.screenshot(path=shots / "portal-zh.png", full_page=True)
    finally:
        ctx.close()


def test_markup_from_a_file_never_runs(page: Page, tmp_path: Path, shots: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    evil = tmp_path / "<img src=x onerror=alert(1)>.csv"
    evil.write_text(
        "id,<script>alert('header')</script>,name\n"
        + "".join(f"{i},v{i},n{i}\n" for i in range(1, 6))
        + '6,"<img src=x onerror=alert(2)>",  <svg onload=alert(3)>  \n' * 2,
        encoding="utf-8",
    )
    page.goto("/")
    page.set_input_files("#file", str(evil))
    page.click("#submit")
    page.wait_for_url(REPORT_URL)
    expect(page.locator("#report-title")).to_have_text("<img src=x onerror=alert(1)>.csv")
    expect(page.locator("#preview thead")).to_contain_text("<script>alert('header')</script>")
    expect(page.locator("#preview tbody")).to_contain_text("<img src=x onerror=alert(2)>")
    assert page.locator("img[onerror], svg[onload]").count() == 0
    page.screenshot(path=shots / "report-xss.png", full_page=True)
    assert dialogs == []
