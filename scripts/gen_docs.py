"""Regenerate the README sections that come from code: the checks table (from the registry and
the scoring weights), the settings table (from ``Settings``), the CLI help (from the Typer app)
and the sample report (``odq score`` on a real portal file of the shared corpus).

    python scripts/gen_docs.py          # rewrite README.md
    python scripts/gen_docs.py --check  # exit 1 when README.md is stale (CI)
"""

from __future__ import annotations

import difflib
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SAMPLE = (
    ROOT.parent
    / "shared"
    / "corpus"
    / "portals"
    / "cn-data-stats-gov-cn"
    / "cpi-monthly-by-province_2020Q1_part1.csv"
)
SAMPLE_SHOWN_AS = "../shared/corpus/portals/cn-data-stats-gov-cn/cpi-monthly-by-province_2020Q1_part1.csv"


def _code_rows(codes: list[str]) -> list[str]:
    from profilers.codes import catalogue
    from scoring import load_weights

    weights = load_weights()
    rows = [
        "| code | dimension | severity | level | rubric class | what it finds | cap · saturation |",
        "|---|---|---|---|---|---|---|",
    ]
    for code in codes:
        info = catalogue()[code]
        rule = weights.rule_for(code, info.severity)
        title = f"{info.title} ({info.title_zh})"
        rows.append(
            f"| `{code}` | {info.dimension} | {info.severity} | {info.level} | {info.rubric or '—'} "
            f"| {title} | {rule.cap:g} · {rule.saturation:g} |"
        )
    return rows


def checks_table() -> str:
    from profilers.codes import catalogue

    return "\n".join(_code_rows([code for code, info in catalogue().items() if info.check]))


def codes_table() -> str:
    from profilers.codes import catalogue

    return "\n".join(_code_rows([code for code, info in catalogue().items() if not info.check]))


def settings_table() -> str:
    from app.settings import Settings

    rows = ["| environment variable | default | description |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = str(default)
        if isinstance(default, Path) and not default.is_absolute():
            shown = "./" + default.as_posix()
        rows.append(f"| `ODQ_{name.upper()}` | `{shown}` | {field.description or ''} |")
    return "\n".join(rows)


def cli_help() -> str:
    from app.cli import app

    group = typer.main.get_command(app)
    out: list[str] = []

    def render(cmd: Any, name: str) -> str:
        # Built from the command's parameters, not Typer's rich help: stable plain text. Typer
        # carries its own copy of click, so the objects are inspected by duck typing.
        ctx = cmd.context_class(cmd, info_name=name)
        lines = [f"Usage: {name} {' '.join(cmd.collect_usage_pieces(ctx))}", ""]
        if cmd.help:
            lines += [cmd.help.strip(), ""]
        if hasattr(cmd, "commands"):
            lines.append("Commands:")
            for sub_name in sorted(cmd.commands):
                sub = cmd.commands[sub_name]
                lines.append(f"  {sub_name:<10} {(sub.help or '').strip().splitlines()[0]}")
            return "\n".join(lines)
        options = []
        for param in cmd.params:
            if param.param_type_name == "argument":
                options.append((str(param.name).upper(), getattr(param, "help", "") or ""))
                continue
            record = param.get_help_record(ctx)
            if record:
                options.append(record)
        lines.append("Arguments and options:")
        for opts, text in options:
            lines.append(f"  {opts}")
            if text:
                lines.append(f"      {text}")
        return "\n".join(lines)

    out.append(render(group, "odq"))
    commands: dict[str, Any] = getattr(group, "commands", {})
    for sub in sorted(commands):
        out.append(render(commands[sub], f"odq {sub}"))
    return "```text\n" + "\n\n".join(out) + "\n```"


def sample_report() -> str:
    from app.services.scoring import score_file
    from app.services.text import render_text

    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    report = score_file(SAMPLE, SAMPLE.name, digest)
    return f"```text\n$ odq score {SAMPLE_SHOWN_AS}\n{render_text(report).rstrip()}\n```"


SECTIONS = {
    "checks": checks_table,
    "codes": codes_table,
    "settings": settings_table,
    "cli": cli_help,
    "sample": sample_report,
}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- BEGIN {name} --> … <!-- END {name} --> block")
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main() -> int:
    sys.path.insert(0, str(ROOT))
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            diff = difflib.unified_diff(
                current.splitlines(), fresh.splitlines(), "README.md", "generated", lineterm=""
            )
            print("\n".join(list(diff)[:80]))
            print("README.md is stale: run `make docs` and commit it.", file=sys.stderr)
            return 1
        print("README.md is up to date.")
        return 0
    README.write_text(fresh, encoding="utf-8")
    print("README.md regenerated.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
