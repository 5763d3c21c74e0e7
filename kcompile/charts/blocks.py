"""``to_yaml_block``: a value's YAML placed at the indentation of where it stands.

Helm's ``{{ toYaml .Values.r | nindent 12 }}`` breaks silently when a template is
re-indented. A template filter cannot know its column, so ``to_yaml_block`` leaves a
placeholder (NUL-delimited: NUL cannot occur in valid YAML text) and, after rendering,
:func:`expand` replaces each one by the value's YAML indented for its line:

* ``key: {{ v | to_yaml_block }}``: ``v`` nested under the key (maps and lists as blocks,
  scalars, ``{}`` and ``[]`` on the line, multi-line strings as ``|`` blocks);
* ``- {{ v | to_yaml_block }}``: ``v`` is the list item;
* ``{{ v | to_yaml_block }}`` alone on a line: ``v`` at that column.

A placeholder must end its line; anything else is an error naming the rendered line.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import KcompileError
from ..yaml.write import dump

_MARK = "\x00kcompile-block:{}\x00"
_LINE = re.compile(r"^(?P<indent> *)(?P<items>(?:- +)*)(?P<before>.*?)\x00kcompile-block:(?P<i>\d+)\x00(?P<after>.*)$")


class Blocks:
    """The values one render placed with ``to_yaml_block``."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def filter(self, value: Any) -> str:
        self.values.append(value)
        return _MARK.format(len(self.values) - 1)

    def expand(self, text: str, template: str) -> str:
        if "\x00kcompile-block:" not in text:
            return text
        lines = text.split("\n")
        out: list[str] = []
        for n, line in enumerate(lines, 1):
            if "\x00kcompile-block:" not in line:
                out.append(line)
                continue
            m = _LINE.match(line)
            if m is None or m.group("after").strip() or "\x00" in m.group("before"):
                # the line is not echoed: what else it holds may be a Secret's value
                raise KcompileError(f"to_yaml_block must be the last thing on its line (rendered line {n})", template)
            value = self.values[int(m.group("i"))]
            head = m.group("indent") + m.group("items")
            before = m.group("before")
            if before.rstrip().endswith(":") or not before:
                column = len(head) + (2 if before else 0)
                out.extend(_place(value, head + before.rstrip(), column, nested=bool(before)))
            else:
                raise KcompileError(
                    f"to_yaml_block must follow 'key:' or '- ', or stand alone (rendered line {n})", template
                )
        return "\n".join(out)


def _place(value: Any, prefix: str, column: int, nested: bool) -> list[str]:
    """Lines for ``value`` after ``prefix`` (a key, list dashes or indentation)."""
    # dump() ends with exactly one newline; more would belong to a '|+' block.
    pad = " " * column
    body = [pad + ln if ln else ln for ln in dump(value)[:-1].split("\n")]
    if nested and isinstance(value, (dict, list)) and value:
        return [prefix] + body  # a block under the key
    # Scalars, {} and [] stay on the line; a list item or a block alone on a line starts
    # where the placeholder stood.
    return [prefix + (" " if nested else "") + body[0][column:]] + body[1:]
