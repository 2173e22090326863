"""A published report as one self-contained HTML file, built from an executed notebook's outputs.

Only rich outputs (the sections' HTML, images) are kept: code, prompts, parameters, markdown
meant for notebook users, and every stream (printed text, warnings) and error output are left
out, so no warning, traceback or file path reaches a reader. The page needs nothing from the
network (no script, font or style from elsewhere), prints with each section on a new page, and
keeps its headings in order with text alternatives for every figure.
"""

from __future__ import annotations

import html

__all__ = ["notebook_to_html", "REPORT_CSS"]

#: Removed from the published page: cells holding parameters or the worker's namespace reset.
SKIP_TAGS = {"parameters", "injected-parameters", "outputs", "homekit-reset", "homekit-code"}

REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
     color:#212b32;line-height:1.45}
h1{color:#005eb8;font-size:1.9em} h2{color:#005eb8;font-size:1.4em;margin-top:1.6em;border-bottom:2px solid #d8dde0}
p.reading{font-size:1.05em} p.note{color:#425563;font-size:.92em} p.intro{color:#212b32}
figure{margin:1em 0} img{max-width:100%;height:auto}
table.hk-table{border-collapse:collapse;margin:1em 0;font-size:.9em}
table.hk-table th,table.hk-table td{text-align:left;padding:4px 8px;border-bottom:1px solid #d8dde0;vertical-align:top}
table.hk-table th{background:#f0f4f5}
.skip{position:absolute;left:-999px} .skip:focus{left:1em}
@media print{
  body{max-width:none;margin:0;font-size:10.5pt}
  section.hk-level2{break-before:page;page-break-before:always}
  figure,img,tr{break-inside:avoid;page-break-inside:avoid}
  thead{display:table-header-group}
  h2,h3{break-after:avoid;page-break-after:avoid}
  .skip{display:none}
}
"""


def _output_html(output) -> str:
    """One rich output as HTML: a section's own HTML, else an image, else escaped plain text."""
    data = output.get("data", {})
    if "text/html" in data:
        value = data["text/html"]
        return value if isinstance(value, str) else "".join(value)
    if "image/png" in data:
        alt = html.escape("".join(data.get("text/plain", "")) or "figure")
        return f'<figure><img alt="{alt}" src="data:image/png;base64,{data["image/png"].strip()}"/></figure>'
    return ""


def notebook_to_html(nb, title: str) -> str:
    """The published page of an executed notebook (an ``nbformat`` node)."""
    parts = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & SKIP_TAGS:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                parts.append(_output_html(output))
    body = "\n".join(p for p in parts if p)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{REPORT_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the report</a>
<main id="main">
{body}
</main>
</body>
</html>
"""
