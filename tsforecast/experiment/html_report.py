"""``report.html``: the experiment report as one self-contained page.

Rendered from the same blocks as ``report.md`` (see :mod:`.report`), with the
figures embedded as base64 PNG and tables sortable by a click on a header
(a few lines of inline JavaScript). Nothing is loaded from elsewhere, so the
file works alone: mailed, archived or opened offline.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from .report import FormattedTable

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1250px; margin: 2em auto; padding: 0 1em; color: #222;
       line-height: 1.45; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.92em; }
pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; }
.table-wrap { overflow-x: auto; }
th { background: #eee; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #555; }
"""

# Click a header: sort the rows by that column (numbers numerically, text alphabetically, blanks last);
# click again to reverse. Cells carry their exact value in data-value.
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (row) { return row.cells[col].getAttribute("data-value"); };
    var numeric = rows.every(function (r) { return key(r) === "" || !isNaN(Number(key(r))); });
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      var d = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return asc ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def inline(text: str) -> str:
    """Markdown inline text (``**bold**``, `` `code` ``, line breaks) as escaped HTML."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]*)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return out.replace("\n", "<br>\n")


NUM = ' class="num"'


def html_table(table: FormattedTable) -> str:
    """A sortable ``<table>``: header row, one row per record, each cell's exact value in ``data-value``."""
    # Long names (dm_pvalue_holm) may break after an underscore, so wide tables fit the page.
    head = "".join(f"<th>{html.escape(h).replace('_', '_<wbr>')}</th>" for h in table.header)
    rows = []
    for cells, raw in zip(table.cells, table.raw):
        tds = "".join(f'<td{NUM if num else ""} data-value="{html.escape(r)}">{html.escape(c)}</td>'
                      for c, r, num in zip(cells, raw, table.numeric))
        rows.append(f"<tr>{tds}</tr>")
    return (f'<div class="table-wrap"><table class="sortable">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows)
            + "\n</tbody>\n</table></div>")


def png_data_uri(path) -> str:
    """The PNG file ``path`` as a ``data:`` URI, so the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _figure(path, caption: str) -> str:
    alt = html.escape(Path(path).name)
    return (f'<figure><img src="{png_data_uri(path)}" alt="{alt}">'
            f"<figcaption>{inline(caption)}</figcaption></figure>")


def render_html(blocks, title: str) -> str:
    """``report.html`` from the report's blocks (the same ones ``report.md`` is written from)."""
    body = []
    for kind, *args in blocks:
        if kind == "heading":
            body.append(f"<h{args[0]}>{inline(args[1])}</h{args[0]}>")
        elif kind == "text":
            body += [f"<p>{inline(line)}</p>" for line in args[0]]
        elif kind == "list":
            body.append("<ul>\n" + "\n".join(f"<li>{inline(item)}</li>" for item in args[0]) + "\n</ul>")
        elif kind == "code":
            body.append(f"<pre><code>{html.escape(args[0])}</code></pre>")
        elif kind == "table":
            body.append(html_table(args[0]))
        elif kind == "figure":
            body.append(_figure(*args))
        else:
            raise ValueError(f"unknown report block {kind!r}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
