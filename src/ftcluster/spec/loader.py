"""Read a spec file into a validated `Spec`, or raise `SpecError` listing every problem with its place."""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import Problem, SpecError
from .checks import cross_field_problems
from .models import NETWORK_VARIANTS, Spec

# Bounds far above any real spec (the examples are 1-3 KiB and about 100 YAML nodes) that stop a
# hostile file early: nodes are counted through aliases and merges, because `*name` repeats a whole
# subtree and "billion laughs" (9 levels of 9 aliases) expands a 1 KiB file to 9^9 values that the
# indexing below and pydantic would each walk.
MAX_SPEC_BYTES = 256 * 1024
MAX_YAML_NODES = 100_000

Path_ = tuple[Any, ...]  # a key path into the document: ("training", "environment", "EPOCHS")


@dataclass
class Document:
    """The parsed YAML plus where each key and value sits in the file."""

    data: Any
    problems: list[Problem] = field(default_factory=list)  # found while parsing (duplicate keys)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def place(self, path: Path_, *, key: bool = False) -> tuple[int, int] | None:
        """(line, column), 1-based, of the key or value at `path`, else of its nearest ancestor."""
        marks = self.key_marks if key else self.value_marks
        while path:
            if path in marks:
                return marks[path]
            path = path[:-1]
        return self.value_marks.get(())


def load_spec(path: str | Path) -> Spec:
    """Load and validate the spec at `path`; raises SpecError (never a parser traceback)."""
    shown = str(path)
    document = parse_document(_read_text(Path(path), shown), shown)
    return validate_document(document, shown)


def _read_text(path: Path, shown: str) -> str:
    def refuse(message: str) -> SpecError:
        return SpecError(shown, [Problem("", message)])

    try:
        # O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer (fifo(7)); the
        # descriptor's own type decides then, so nothing can swap the file between a check and the read
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse("no such file; create one with `ftcluster init`") from None
    except IsADirectoryError:
        raise refuse("is a directory; give the path of a YAML spec file") from None
    except OSError as err:
        raise refuse(f"cannot read the file: {err.strerror}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        what = "a directory" if stat.S_ISDIR(mode) else f"{_file_kind(mode)}, not a file"
        raise refuse(f"is {what}; give the path of a YAML spec file")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            raw = handle.read(MAX_SPEC_BYTES + 1)  # never more: a regular file may still be huge
        except OSError as err:
            raise refuse(f"cannot read the file: {err.strerror}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(
            shown, [Problem("", f"is larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a few KiB of YAML")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise SpecError(
            shown,
            [Problem("", f"is not UTF-8 text (byte 0x{raw[err.start]:02x}); save it as UTF-8", line, column)],
        ) from None
    return text


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def parse_document(text: str, shown: str) -> Document:
    """Parse one YAML document, recording positions and rejecting duplicate keys."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # checks for characters YAML forbids right away
        node = loader.get_single_node()
        if node is None:
            raise SpecError(shown, [Problem("", "is empty; start from `ftcluster init`")])
        document = Document(data=None)
        _Indexer(loader, document, shown).index(node, ())
        document.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = " ".join(part for part in (err.context, err.problem) if part) or "invalid YAML"
        kind = "unsupported YAML value" if isinstance(err, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise SpecError(
            shown,
            [Problem("", f"{kind}: {what}", mark.line + 1 if mark else None, mark.column + 1 if mark else None)],
        ) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        raise SpecError(
            shown, [Problem("", f"control character U+{err.character:04X} is not allowed in YAML", line, column)]
        ) from None
    except yaml.YAMLError as err:
        raise SpecError(shown, [Problem("", f"YAML error: {err}")]) from None
    except RecursionError:
        raise SpecError(shown, [Problem("", "YAML is nested too deeply")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(document.data, dict):
        kind = _yaml_kind(document.data)
        raise SpecError(
            shown,
            [Problem("", f"the top level must be a mapping of keys (name, region, training, ...), not {kind}", 1, 1)],
        )
    return document


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Indexer:
    """Records where each key and value sits and finds duplicate keys, counting every node it visits
    (through aliases and merges too) so that an alias bomb stops at MAX_YAML_NODES."""

    def __init__(self, loader: yaml.SafeLoader, doc: Document, shown: str) -> None:
        self.loader, self.doc, self.shown = loader, doc, shown
        self.visited = 0

    def visit(self) -> None:
        self.visited += 1
        if self.visited > MAX_YAML_NODES:
            raise SpecError(
                self.shown,
                [
                    Problem(
                        "",
                        f"expands to more than {MAX_YAML_NODES:,} YAML nodes through aliases (`*name`) and merges (`<<:`); "
                        "a spec has a few hundred, so this looks like an alias bomb: write the values out instead",
                    )
                ],
            )

    def index(self, node: yaml.Node, path: Path_) -> None:
        self.visit()
        doc = self.doc
        doc.value_marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[Any, tuple[int, int]] = {}
            for key_node, value_node in node.value:
                self.visit()
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.count(value_node)  # `<<: *anchor` merges are resolved by the constructor
                    continue
                key = self.loader.construct_object(key_node, deep=True)
                if not _hashable(key):
                    doc.problems.append(
                        Problem(_dotted(path), "a key must be a plain value, not a list or mapping", *_mark(key_node))
                    )
                    continue
                if key in first_seen:
                    line, _ = first_seen[key]
                    doc.problems.append(
                        Problem(
                            _dotted((*path, key)),
                            f"duplicate key (first given on line {line}); keep only one",
                            *_mark(key_node),
                        )
                    )
                    continue
                first_seen[key] = _mark(key_node)
                key_path = (*path, key)
                doc.key_marks[key_path] = _mark(key_node)
                self.index(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.index(item, (*path, index))

    def count(self, node: yaml.Node) -> None:
        """Visit a merged subtree only to count it (its places are those of the anchor)."""
        self.visit()
        if isinstance(node, yaml.MappingNode):
            for _key_node, value_node in node.value:
                self.visit()
                self.count(value_node)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.count(item)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _yaml_kind(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"true/false ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({str(value)[:40]!r})"


# --- validation -----------------------------------------------------------------------------------


def validate_document(document: Document, shown: str) -> Spec:
    """Shapes and types first; the cross-field rules only once every field is well-formed."""
    problems = list(document.problems)
    try:
        spec = Spec.model_validate(document.data)
    except ValidationError as err:
        problems += [_problem_from_pydantic(e, document) for e in err.errors(include_url=False)]
        raise SpecError(shown, _dedupe(problems)) from None
    if problems:  # duplicate keys: which value counts is unclear, so cross-field rules would mislead
        raise SpecError(shown, problems)
    for dotted, message in cross_field_problems(spec):
        problems.append(Problem(dotted, message, *(document.place(tuple(dotted.split("."))) or (None, None))))
    if problems:
        raise SpecError(shown, _dedupe(problems))
    return spec


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            unique.append(problem)
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0))


def _data_path(loc: tuple[Any, ...], data: Any, *, missing: bool = False) -> tuple[Path_, bool]:
    """Map a pydantic error location onto the document; returns (path, points_at_a_key).

    pydantic adds entries that are not keys (union tags, "[key]" for dict keys); they are dropped.
    """
    path: list[Any] = []
    current = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if part == "[key]":
            return tuple(path), True
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif part in NETWORK_VARIANTS:
            continue
        elif last and missing:
            path.append(part)
        else:
            # pydantic names validator steps such as "function-after[...]" in some locations
            continue
    return tuple(path), False


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _problem_from_pydantic(error: ErrorDetails, document: Document) -> Problem:
    kind = error["type"]
    path, at_key = _data_path(tuple(error["loc"]), document.data, missing=kind == "missing")
    dotted = _dotted(path)
    value = error.get("input")
    if kind == "missing":
        parent = path[:-1]
        return Problem(
            dotted, f"missing required key `{path[-1]}`", *(document.place(parent, key=bool(parent)) or (1, 1))
        )
    if kind == "extra_forbidden":
        place = document.place(path, key=True)
        return Problem(dotted, _unknown_key_message(tuple(error["loc"])), *(place or (None, None)))
    line_col = document.place(path, key=at_key) or (None, None)
    if kind in _TYPE_WORDS:
        message = f"expected {_TYPE_WORDS[kind]}, got {_yaml_kind(value)}"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
    elif kind == "literal_error":
        message = f"expected one of {error['ctx']['expected']}; got {_yaml_kind(value)}"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        symbol = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(error["ctx"].values()))
        message = f"must be {symbol} {bound}; got {value!r}"
    elif kind == "too_short":
        message = f"needs at least {error['ctx']['min_length']} item(s); got {error['ctx']['actual_length']}"
    elif kind == "too_long":
        message = f"takes at most {error['ctx']['max_length']} items; got {error['ctx']['actual_length']}"
    elif kind == "string_too_short":
        message = "must not be empty" if error["ctx"]["min_length"] == 1 else error["msg"]
    elif kind == "string_too_long":
        message = f"must be at most {error['ctx']['max_length']} characters; got {len(str(value))}"
    else:
        message = f"{error['msg']}; got {_yaml_kind(value)}"
    return Problem(dotted, message, *line_col)


# Keys that an earlier ftcluster took: say what they became rather than "unknown".
RENAMED_KEYS = {
    ("spot_fleet",): "`spot_fleet:` is now `fleet:`; add `type: spot_fleet` to keep a Spot Fleet (the new default "
    "is an Auto Scaling group capacity provider), and `target_capacity` is now `instances`",
    ("fleet", "target_capacity"): "`target_capacity` is now `instances`",
}


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    renamed = RENAMED_KEYS.get(tuple(str(part) for part in loc if isinstance(part, str)))
    if renamed:
        return renamed
    variant, valid = _keys_at(loc[:-1])
    if variant and any(key in model.model_fields for model in NETWORK_VARIANTS.values()):
        article = "an" if variant[0] in "aeiou" else "a"
        return (
            f"unknown key `{key}`: it does not apply to {article} {variant} (`vpc_id` decides which); "
            f"the keys here are: {', '.join(valid)}"
        )
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown key `{key}`; did you mean `{close[0]}`?"
    return f"unknown key `{key}`; expected one of: {', '.join(valid)}"


def _keys_at(loc: tuple[Any, ...]) -> tuple[str | None, list[str]]:
    """(union variant chosen on the way, if any; the valid keys of the mapping at `loc`)."""
    models: list[type[BaseModel]] = [Spec]
    variant = None
    for part in loc:
        if part in NETWORK_VARIANTS:
            models, variant = [NETWORK_VARIANTS[part]], part
            continue
        next_models: list[type[BaseModel]] = []
        for current in models:
            info = current.model_fields.get(str(part))
            if info is not None:
                next_models.extend(_models_in(info.annotation))
        models = next_models
    keys: list[str] = []
    for current in models:
        keys.extend(name for name in current.model_fields if name not in keys)
    return variant, keys


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            found.extend(_models_in(arg))
    return found
