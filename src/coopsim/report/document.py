"""A report as a list of blocks, rendered to self-contained HTML and to Markdown.

HTML embeds every figure as a base64 PNG (the file opens anywhere, alone); Markdown links the
figure files under ``figures/``. Text is escaped for each format; a ``literal`` paragraph (a
scenario's own text) carries no markup at all (no HTML, no image, no link), and neither format
carries a terminal escape sequence or a control character.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coopsim.io import printable

__all__ = [
    "Document",
    "FigureBlock",
    "Heading",
    "Paragraph",
    "Table",
    "number",
    "render_html",
    "render_markdown",
]


def number(value: Any, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant digits (thousands whole, separated), '—'
    when missing or not finite; text as it is."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—" if value is None else str(value)
    if not math.isfinite(x):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str
    kind: str = ""  # "" | "note" | "warning"
    literal: bool = False  # text from a file the user was given: shown as is, never as markup


@dataclass
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""
    collapsed: bool = False  # HTML: inside <details>; Markdown: as any table
    align: Sequence[str] = ()  # "l" or "r" per column


@dataclass
class FigureBlock:
    name: str
    title: str
    caption: str
    png: bytes
    files: dict[str, str] = field(default_factory=dict)  # format → path relative to the report


@dataclass
class Document:
    title: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks: object) -> None:
        self.blocks.extend(blocks)


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1180px; margin: 2rem auto; padding: 0 1.2rem; color: #1d1d1f; line-height: 1.5; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.08rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d6d6d6; padding: .28rem .6rem; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
caption { caption-side: top; text-align: left; color: #444; padding-bottom: .3rem; }
figure { margin: 1.2rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #333; font-size: .92rem; margin-top: .4rem; }
.note { color: #444; background: #f6f8fa; border-left: 4px solid #56B4E9; padding: .4rem .8rem; }
.warning { background: #fff8e1; border-left: 4px solid #E69F00; padding: .4rem .8rem; }
details { margin: .4rem 0 1rem; }
summary { cursor: pointer; color: #0072B2; }
code { background: #f3f3f3; padding: 0 .25rem; border-radius: 3px; }
nav ul { columns: 2; }
"""


def _anchor(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part) or "section"


def render_html(doc: Document) -> str:
    """A self-contained HTML page: inline CSS, figures embedded as base64 PNG."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(doc.title)}</h1>",
    ]
    sections = [b for b in doc.blocks if isinstance(b, Heading) and b.level == 2]
    if len(sections) > 2:
        items = "".join(f'<li><a href="#{_anchor(h.text)}">{e(h.text)}</a></li>' for h in sections)
        out.append(f"<nav><ul>{items}</ul></nav>")
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 2), 4)
            out.append(f'<h{level} id="{_anchor(block.text)}">{e(block.text)}</h{level}>')
        elif isinstance(block, Paragraph):
            cls = f' class="{block.kind}"' if block.kind else ""
            text = e(block.text) if block.literal else _inline_html(block.text)
            out.append(f"<p{cls}>{text}</p>")
        elif isinstance(block, Table):
            out.append(_table_html(block))
        elif isinstance(block, FigureBlock):
            data = base64.b64encode(block.png).decode("ascii")
            links = " · ".join(
                f'<a href="{e(path)}">{e(fmt.upper())}</a>' for fmt, path in block.files.items()
            )
            files = f" <span>(files: {links})</span>" if links else ""
            out.append(
                f'<figure id="fig-{_anchor(block.name)}">'
                f'<img src="data:image/png;base64,{data}" alt="{e(block.title)}">'
                f"<figcaption><strong>{e(block.title)}.</strong> "
                f"{_inline_html(block.caption)}{files}</figcaption></figure>"
            )
    out += ["</body>", "</html>", ""]
    return printable("\n".join(out))


def _inline_html(text: str) -> str:
    """Escape, then render `code` spans (the only markup the report's texts use)."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _table_html(table: Table) -> str:
    e = html.escape
    align = list(table.align) + ["l"] * (len(table.header) - len(table.align))
    cls = [' class="r"' if a == "r" else "" for a in align]
    head = "".join(f"<th{c}>{e(h)}</th>" for h, c in zip(table.header, cls, strict=True))
    body = "".join(
        "<tr>"
        + "".join(f"<td{c}>{_inline_html(str(v))}</td>" for v, c in zip(row, cls, strict=False))
        + "</tr>"
        for row in table.rows
    )
    caption = (
        f"<caption>{_inline_html(table.caption)}</caption>"
        if table.caption and not table.collapsed
        else ""
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(str(h) for h in table.header) else ""
    text = f"<table>{caption}{thead}<tbody>{body}</tbody></table>"
    if table.collapsed:
        summary = _inline_html(table.caption or "Table")
        return f"<details><summary>{summary}</summary>{text}</details>"
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!&|~#])")


def _literal_md(text: str) -> str:
    """``text`` as Markdown that renders it as written: every markup character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cell_md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    """Markdown (GitHub flavour): pipe tables, figures linked from ``figures/``."""
    out = [f"# {doc.title}", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += ["#" * min(max(block.level, 2), 4) + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            prefix = {"warning": "> **Warning:** ", "note": "> "}.get(block.kind, "")
            text = _literal_md(block.text) if block.literal else block.text
            out += [prefix + text, ""]
        elif isinstance(block, Table):
            if block.caption:
                out += [f"*{block.caption}*", ""]
            align = list(block.align) + ["l"] * (len(block.header) - len(block.align))
            out.append("| " + " | ".join(_cell_md(h) for h in block.header) + " |")
            out.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
            for row in block.rows:
                out.append("| " + " | ".join(_cell_md(v) for v in row) + " |")
            out.append("")
        elif isinstance(block, FigureBlock):
            shown = next((fmt for fmt in ("png", "svg") if fmt in block.files), None)
            if shown:
                out += [f"![{block.title}]({block.files[shown]})", ""]
            others = ", ".join(
                f"[{fmt.upper()}]({p})" for fmt, p in block.files.items() if fmt != shown
            )
            more = f" ({others})" if others else ""
            out += [f"**{block.title}.** {block.caption}{more}", ""]
    return printable("\n".join(out)).rstrip() + "\n"
