"""The one table class the CLI renders with: no value vanishes, in a narrow terminal or piped."""

from __future__ import annotations

from typing import Any

from rich import table


class Table(table.Table):
    """A rich Table whose values never end in `…`: a word longer than its column folds onto the next line
    (rich's default overflow, "ellipsis", cuts it); titles are not padded with spaces out to the table's width.
    Piped output is wide enough never to fold (see output.py)."""

    def __init__(self, *headers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("title_justify", "default")  # "left" pads the title line with spaces
        super().__init__(*headers, **kwargs)

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)
