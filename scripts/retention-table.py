#!/usr/bin/env python3
"""Render docs/retention-policy.json as Markdown tables into docs/privacy.md.

The tables go between the markers ``<!-- retention-table:start -->`` and
``<!-- retention-table:end -->``. ``--check`` only reports whether the document is up to date
(exit status 1 if not); the test suite runs it so the readable version never drifts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "docs" / "retention-policy.json"
DOC = ROOT / "docs" / "privacy.md"
START, END = "<!-- retention-table:start -->", "<!-- retention-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(policy: dict) -> str:
    lines: list[str] = []
    for label, entry in policy.items():
        lines += [
            f"#### `{label}`",
            "",
            f"- **Purpose:** {entry['purpose']}",
            f"- **Legal basis:** {entry['legal_basis']}",
            f"- **Retention:** {entry['retention']}",
            f"- **Applied by:** {entry['job']}",
            "",
            "| field | purpose | differs from the model |",
            "|---|---|---|",
        ]
        for name, spec in entry["fields"].items():
            if isinstance(spec, str):
                purpose, extra = spec, ""
            else:
                purpose = spec["purpose"]
                extra = "; ".join(
                    f"{key.replace('_', ' ')}: {spec[key]}"
                    for key in ("legal_basis", "retention")
                    if key in spec
                )
            lines.append(f"| `{name}` | {_cell(purpose)} | {_cell(extra)} |")
        lines.append("")
    return "\n".join(lines)


def updated(document: str, table: str) -> str:
    before, rest = document.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table}\n{END}{after}"


def main(argv: list[str]) -> int:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    document = DOC.read_text(encoding="utf-8")
    new = updated(document, render(policy))
    if "--check" in argv:
        if new != document:
            print("docs/privacy.md is out of date: run scripts/retention-table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
