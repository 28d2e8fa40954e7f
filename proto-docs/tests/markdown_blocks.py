"""Reads the fenced code blocks of the reference pages, with the directive comment before each.

A directive is an HTML comment on the line(s) just before a block, e.g. `<!-- schema: ticket -->`
(the JSON block below is an instance of proto-docs/schemas/ticket.schema.json). A page-level
directive `<!-- example-server: auth -->` anywhere on a page asks for the server its examples need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*([a-z-]+):\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page.name}:{self.line}:{self.lang}"


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def page_directives(page: Path) -> dict[str, str]:
    found = {}
    for line in page.read_text().splitlines():
        match = DIRECTIVE.match(line.strip())
        if match and match.group(1) == "example-server":
            found[match.group(1)] = match.group(2)
    return found


def blocks(page: Path) -> list[Block]:
    lines = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening or not opening.group(1):
            i += 1
            continue
        directives = {}
        j = i - 1
        while j >= 0 and (not lines[j].strip() or DIRECTIVE.match(lines[j].strip())):
            match = DIRECTIVE.match(lines[j].strip())
            if match:
                directives.setdefault(match.group(1), match.group(2))
            j -= 1
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{page.name}:{i + 1}: code block is never closed")
        found.append(Block(page, i + 1, opening.group(1), "\n".join(lines[i + 1:end]) + "\n", directives))
        i = end + 1
    return found


def all_blocks(*langs: str) -> list[Block]:
    return [b for page in pages() for b in blocks(page) if b.lang in langs]
