"""Answer paths as the API takes them.

``age`` (a unique name), ``g1/age`` (its group path), ``household[2]/age`` and
``household[2]/member[1]/name`` (repeat instances, 1-based as in XPath). A leading
``/data/`` (the XForm root) is accepted and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qi_capture.forms.session.answers import AnswerError

#: Longer indices are refused before int() (which refuses over 4300 digits, untyped).
_MAX_INDEX_DIGITS = 9
_SEGMENT = re.compile(r"^([A-Za-z_][\w.\-]*)(?:\[(\d+)\])?$")


@dataclass(frozen=True, slots=True)
class ParsedPath:
    target: str
    #: 1-based instance of the target when it is a repeat; 0 when not given.
    target_index: int
    #: The segments before the target: (name, 1-based index or 0 when not given).
    ancestors: tuple[tuple[str, int], ...]

    def indices(self) -> dict[str, int]:
        given = {name: index for name, index in self.ancestors if index}
        if self.target_index:
            given[self.target] = self.target_index
        return given


def parse_path(path: str, root_name: str = "data") -> ParsedPath:
    """Split ``path`` into its segments; raises AnswerError naming the bad segment."""
    text = path.strip().strip("/")
    if not text:
        raise AnswerError("an empty path names no question", path=path)
    parsed: list[tuple[str, int]] = []
    for segment in text.split("/"):
        match = _SEGMENT.match(segment.strip())
        if match is None:
            raise AnswerError(
                f"'{segment}' in path '{path}' is not a name or name[index]", path=path)
        if match.group(2) is not None and len(match.group(2)) > _MAX_INDEX_DIGITS:
            raise AnswerError(f"the repeat index in '{segment}' is too large (path '{path}')",
                              path=path)
        index = int(match.group(2)) if match.group(2) else 0
        if match.group(2) is not None and index < 1:
            raise AnswerError(f"repeat indices start at 1 (path '{path}')", path=path)
        parsed.append((match.group(1), index))
    if len(parsed) > 1 and parsed[0] == (root_name, 0):
        parsed = parsed[1:]
    return ParsedPath(parsed[-1][0], parsed[-1][1], tuple(parsed[:-1]))
