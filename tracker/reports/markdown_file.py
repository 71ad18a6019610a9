"""The report as Markdown: a zip of the `.md` file and its charts as PNG files in `images/`,
which the text links to, so the file stays small and readable in any editor and the images
can be placed in a document one by one."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

from flask_babel import force_locale

from ..counts.model import Report
from .charts import CHARTS, chart_for, chart_title
from .outline import build_outline, file_stem, front_matter
from .scores import Score

IMAGES = "images"

# Inline Markdown and HTML syntax; what opens a list, quote or heading at the start of a paragraph.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
_MD_BLOCK_START = re.compile(r"^([#+-])")


def _md_text(text: str) -> str:
    """Outline text (which holds region names, places and victims' names) as Markdown that
    shows it as written: `[x](javascript:…)`, `<script>` or `**` stay characters, never a
    link, HTML or emphasis, and a line break cannot start a heading or leave a table row."""
    return _MD_INLINE.sub(r"\\\1", " ".join(text.splitlines()))


def _md_paragraph(text: str) -> str:
    return _MD_BLOCK_START.sub(r"\\\1", _md_text(text))


def markdown_zip(report: Report, user, locale: str, score: Score | None) -> bytes:
    """The zip: report-<from>-<to>.md and the PNG charts it links to (`user` is not needed:
    the report was built for them)."""
    images: dict[str, bytes] = {}
    front = front_matter(report, locale)
    lines = [f"# {_md_text(front.title)}", "", _md_paragraph(front.subtitle), ""]
    lines += [line for text in front.lines for line in (_md_paragraph(text), "")]
    with force_locale(locale):
        for block in build_outline(report, locale, score, charts=CHARTS):
            if block.kind == "heading":
                lines += ["#" * block.level + " " + _md_text(block.text), ""]
            elif block.kind == "paragraph":
                lines += [_md_paragraph(block.text), ""]
            elif block.kind == "table":
                lines.append("| " + " | ".join(map(_md_text, block.headers)) + " |")
                lines.append("|" + "|".join("---" for _ in block.headers) + "|")
                lines += ["| " + " | ".join(map(_md_text, row)) + " |" for row in block.rows]
                lines.append("")
            elif image := chart_for(report, *block.chart):
                path = f"{IMAGES}/{'-'.join(block.chart)}.png"
                images[path] = image
                lines += [f"![{_md_text(chart_title(report, *block.chart))}]({path})", ""]
    out = BytesIO()
    stamp = report.generated_on.timetuple()[:6]
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo(f"{file_stem(report)}.md", stamp), "\n".join(lines), zipfile.ZIP_DEFLATED)
        for path, image in images.items():
            archive.writestr(zipfile.ZipInfo(path, stamp), image)  # PNG is compressed already
    return out.getvalue()


def write_unpacked(data: bytes, markdown: Path) -> None:
    """A zip made by `markdown_zip` as files: the text at `markdown`, the images in images/
    beside it (where its links point)."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".md"):
                markdown.write_bytes(archive.read(name))
            else:
                (markdown.parent / IMAGES).mkdir(exist_ok=True)
                (markdown.parent / IMAGES / Path(name).name).write_bytes(archive.read(name))
