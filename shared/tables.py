"""Plain-text tables for the operators' commands, aligned for Chinese text (a CJK character takes two columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.i18n import N_, _

Align = Literal["left", "right"]


def short_names(names: Mapping[str, str]) -> dict[str, str]:
    """Names without the place they all begin with (成都市武侯区阳光社工中心 -> 阳光社工中心 when every name begins
    with 成都市武侯区): the common beginning, cut after its last 市, 区 or 县, is dropped where something remains."""
    values = list(names.values())
    common = values[0] if len(values) > 1 else ""
    for name in values[1:]:
        while not name.startswith(common):
            common = common[:-1]
    cut = max(common.rfind(mark) for mark in "市区县") + 1
    return {key: name[cut:] if name[cut:] else name for key, name in names.items()}


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int, align: Align = "left") -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if align == "right" else text + fill


@dataclass(frozen=True)
class Table:
    """A titled table; `align` per column (left unless told), an empty table prints `empty` (translated there)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[Align] = field(default=())
    empty: str = N_("(none)")


def render(table: Table) -> str:
    """The table as aligned plain text: title, headers, a rule, then its rows."""
    widths = [display_width(h) for h in table.headers]
    for row in table.rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]
    align = list(table.align) + ["left"] * (len(widths) - len(table.align))
    lines = [table.title, _line(table.headers, widths, align), "  ".join("-" * w for w in widths)]
    lines += [_line(row, widths, align) for row in table.rows] or [_(table.empty)]
    return "\n".join(lines)


def render_all(tables: Sequence[Table]) -> str:
    return "\n\n".join(render(t) for t in tables)


def _line(cells: Sequence[str], widths: Sequence[int], align: Sequence[Align]) -> str:
    return "  ".join(pad(cell, w, a) for cell, w, a in zip(cells, widths, align, strict=True)).rstrip()
