"""HTML assembly: one self-contained page (inline CSS, PNGs as data URIs, no script, no network)."""

import base64
import html
import math

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1280px; padding: 1em 2em 4em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.1em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
nav { background: #f6f6f6; padding: 0.5em 1em; border-radius: 6px; }
nav a { margin-right: 1.2em; }
.verdict { background: #eef6ee; border-left: 5px solid #2e7d32; padding: 0.6em 1em;
           margin: 1em 0; }
.verdict p { margin: 0.3em 0; }
.verdict p:first-child { font-weight: bold; font-size: 1.08em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td { white-space: pre; }
th { background: #f0f0f0; white-space: normal; vertical-align: bottom; }
td.text, th.text { text-align: left; }
tr.best td { font-weight: bold; background: #eef6ee; }
td.good { font-weight: bold; color: #1b5e20; }
figure { margin: 1em 0; }
figcaption { color: #555; font-size: 0.9em; max-width: 62em; }
img { max-width: 100%; height: auto; }
.wide { overflow-x: auto; }
details summary { cursor: pointer; font-weight: bold; margin: 0.5em 0; }
.note { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
code { background: #f3f3f3; padding: 0 3px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; }
dd { margin: 0; }
"""


def esc(value):
    return html.escape(str(value))


def png_data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_html(png, alt, caption):
    """A <figure> with the PNG embedded and a caption (HTML, escaped by the caller)."""
    return (
        f"<figure><img alt='{esc(alt)}' src='{png_data_uri(png)}'>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def number(value, digits=3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def with_interval(value, low, high, digits=3, signed=False, separator=" "):
    """'0.912 [0.901, 0.920]' (or signed '+0.012 [+0.004, +0.020]'); '–' parts when undefined.
    `separator` goes between the value and its interval (a newline stacks them in a table)."""
    sign = "+" if signed else ""
    parts = []
    for item in (value, low, high):
        finite = item is not None and math.isfinite(item)
        parts.append(f"{item:{sign}.{digits}f}" if finite else "–")
    if parts[1] == parts[2] == "–":
        return parts[0]
    return f"{parts[0]}{separator}[{parts[1]}, {parts[2]}]"


def decimals_to_tell_apart(values, fewest=2, most=5):
    """The fewest decimals (fewest..most) at which the distinct finite values stay distinct and
    none but 0 rounds to 0: so an interval never prints as "+0.00 [-0.00, +0.00]"."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    for digits in range(fewest, most + 1):
        rounded = [round(v, digits) for v in finite]
        if len(set(rounded)) == len(set(finite)) and all(
            r != 0 or v == 0 for r, v in zip(rounded, finite, strict=True)
        ):
            return digits
    return most


def difference_points(value, low, high, separator=" ", unit="pp"):
    """A difference of two scores (fractions) and its interval in percentage points, with as
    many decimals as tell them apart: '+0.27 [+0.19, +0.35] pp'."""
    points = [100 * v if v is not None and math.isfinite(v) else v for v in (value, low, high)]
    digits = decimals_to_tell_apart(points)
    return f"{with_interval(*points, digits=digits, signed=True, separator=separator)} {unit}"


def signed_points(value):
    """A difference of two scores (fractions) in percentage points, signed, with the decimals
    that keep it from rounding to 0: '-0.04'; '–' when undefined."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:+.{decimals_to_tell_apart([100 * value])}f}"


def duration(seconds):
    """Seconds as a short human duration: 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.001 else f"{seconds * 1000:.2f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def table(header, rows, text_columns=(0,), row_classes=None, cell_classes=None):
    """An HTML table from already formatted cells (escaped here). row_classes: {row: css};
    cell_classes: {(row, column): css}; text_columns are left-aligned."""
    row_classes = row_classes or {}
    cell_classes = cell_classes or {}

    def cell(tag, value, row, column):
        css = []
        if column in text_columns:
            css.append("text")
        if (row, column) in cell_classes:
            css.append(cell_classes[row, column])
        attribute = f' class="{" ".join(css)}"' if css else ""
        return f"<{tag}{attribute}>{esc(value)}</{tag}>"

    head = "".join(cell("th", name, -1, i) for i, name in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        css = f' class="{row_classes[r]}"' if r in row_classes else ""
        body.append(
            f"<tr{css}>" + "".join(cell("td", v, r, c) for c, v in enumerate(row)) + "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def definition_list(items):
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def section(anchor, title, parts):
    return f"<section id='{esc(anchor)}'><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def page(title, subtitle, verdict_lines, sections):
    """The whole document. sections: [(anchor, title, [html parts])]."""
    nav = "".join(f"<a href='#{esc(a)}'>{esc(t)}</a>" for a, t, _ in sections)
    verdict = "".join(f"<p>{esc(line)}</p>" for line in verdict_lines)
    body = "".join(section(a, t, parts) for a, t, parts in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # An empty icon: a browser opening the file then asks for no favicon.ico.
        "<link rel='icon' href='data:,'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class='note'>{subtitle}</p>"
        f"<div class='verdict'>{verdict}</div><nav>{nav}</nav>{body}</body></html>\n"
    )
