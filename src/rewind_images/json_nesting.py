"""How deeply a JSON text nests, found without parsing it. Pure.

Python's JSON parser recurses once per array or object; inside the Worker that recursion runs
on the WebAssembly stack, and a few thousand nested brackets overflow it ("Maximum call stack
size exceeded") before Python's own recursion limit can raise, which ends the isolate. So every
JSON text from outside (request bodies, upstream answers, JSON-LD in pages) is measured first.
Strings are skipped, so brackets inside them do not count.
"""

from __future__ import annotations

import re

# A JSON string (escapes included); DOTALL so an escaped newline cannot end the match early.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Every byte but the four brackets, for `bytes.translate` to delete.
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_OPENERS = frozenset(b"[{")


def nesting_exceeds(text: bytes | str, limit: int) -> bool:
    """Whether `text` opens more than `limit` arrays or objects inside one another (openers
    never closed count too: the parser recurses into them before it finds the text cut off)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # cannot be deeper than the number of openers
    depth = 0
    for byte in _STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False
