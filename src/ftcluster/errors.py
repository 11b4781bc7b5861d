"""The one error hierarchy of ftcluster; the CLI maps each class to an exit code."""

from __future__ import annotations

from dataclasses import dataclass


class FtclusterError(Exception):
    """An expected failure with a message meant for the user (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(FtclusterError):
    """The command line asks for something that cannot be done (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec file, located as precisely as the file allows."""

    path: str  # dotted key path, e.g. "training.capacity.spot_percent"; "" for the whole file
    message: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def render(self, file: str) -> str:
        where = file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(FtclusterError):
    """A spec file that cannot be used (exit code 2); carries every problem found."""

    exit_code = 2

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(
            f"{file}: {count}:\n" + "\n".join(p.render(file) for p in problems)
        )


class Interrupted(FtclusterError):
    """The user pressed Ctrl-C (exit code 130)."""

    exit_code = 130
