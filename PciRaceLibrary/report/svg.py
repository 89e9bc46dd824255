"""SVG and HTML primitives for the report: escaping, numbers, shapes, text sizes.

Every function returns markup with inline styles only (log.html embeds the
fragments in a table cell) and rounds coordinates the same way, so equal input
gives byte-identical output.
"""

from __future__ import annotations

import html

FONT = "Helvetica,Arial,sans-serif"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def num(value: float) -> str:
    """A coordinate, short and identical for identical input."""
    text = f"{value:.1f}"
    if text == "-0.0":
        return "0"
    return text[:-2] if text.endswith(".0") else text


def points(*xy: tuple[float, float]) -> str:
    """An SVG ``points`` attribute value."""
    return " ".join(f"{num(x)},{num(y)}" for x, y in xy)


def rect(  # noqa: PLR0917 - SVG's own attribute order
    x: float,
    y: float,
    width: float,
    height: float,
    style: str,
    kind: str = "",
    title: str = "",
    rx: float = 0,
) -> str:
    data = f' data-kind="{kind}"' if kind else ""
    corner = f' rx="{num(rx)}"' if rx else ""
    attrs = (
        f'x="{num(x)}" y="{num(y)}" width="{num(width)}" height="{num(height)}"'
        f'{corner} style="{style}"{data}'
    )
    if title:
        return f"<rect {attrs}><title>{esc(title)}</title></rect>"
    return f"<rect {attrs}/>"


def line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" style="{style}"/>'


def circle(x: float, y: float, r: float, style: str) -> str:
    return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" style="{style}"/>'


def text(x: float, y: float, content: str, style: str, anchor: str = "start") -> str:
    """A text at baseline ``y``; never transformed, so its box is known from
    ``x``, ``y``, the anchor and :func:`text_width` (the geometry test relies
    on that)."""
    middle = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{num(x)}" y="{num(y)}"{middle} style="{style}">{esc(content)}</text>'


def svg(width: float, height: float, body: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" '
        f'style="display:block;font-family:{FONT};background:#ffffff" '
        f'role="img" aria-label="{esc(label)}">{body}</svg>'
    )


# Average advance of Liberation Sans / Arial glyphs (what Helvetica resolves to
# on the CI's Linux), in ems, rounded up: an estimate is enough to place and
# cut labels (browsers measure, Python cannot), as long as it never guesses
# short. Arrows and symbols come from a fallback font and are wide.
_NARROW = frozenset("fijlrtI.,:;!|'()[] ")
_WIDE = frozenset("mwMW@%")


def text_width(content: str, size: float, *, bold: bool = False) -> float:
    ems = 0.0
    for char in content:
        if char in _NARROW:
            ems += 0.3
        elif char in _WIDE:
            ems += 0.85
        elif ord(char) >= 0x2000:
            ems += 1.0
        elif char.isupper():
            ems += 0.67
        elif char.isdigit():
            ems += 0.56
        else:
            ems += 0.54
    return ems * size * (1.08 if bold else 1.0)


def fit(content: str, width: float, size: float, *, bold: bool = False) -> str:
    """``content`` cut with an ellipsis to fit ``width`` px (empty if nothing fits)."""
    if text_width(content, size, bold=bold) <= width:
        return content
    while content and text_width(content + "…", size, bold=bold) > width:
        content = content[:-1]
    return content.rstrip() + "…" if content else ""
