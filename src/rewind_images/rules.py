"""The input rules of the API, each defined once: the patterns (their length limits are in
`config`, with every other limit).

The request models (`images.inputs`, `keys.schemas`), the sources and the URL guard
all refer to these names, so validation and the upstream calls can never disagree (a hint the
API accepts is one a source can use).
"""

from __future__ import annotations

import re

# Patterns as they appear in the OpenAPI document (ECMA-compatible). pydantic 1 matches them
# with `re.match`, whose `$` also matches before a final newline, so `CONTROL_CHARACTERS` is
# checked separately by the models.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# TMDB ids are positive integers; ten digits bound them well above TMDB's largest ids.
TMDB_ID_PATTERN = r"^[1-9][0-9]{0,9}$"
# No control characters.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
URL_PATTERN = r"^https?://[^\x00-\x1f\x7f]*$"
# For ids also no '/' or '\\' (they would add key segments).
ENTITY_ID_PATTERN = r"^[^/\\\x00-\x1f\x7f]+$"

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Lone surrogates: a JSON string may carry them ("\\udfff"), but they are not text (UTF-8 cannot
# encode them, so neither can D1, R2 keys or an answer).
SURROGATES = re.compile("[\ud800-\udfff]")
UUID_RE = re.compile(UUID_PATTERN[1:-1])
TMDB_ID_RE = re.compile(TMDB_ID_PATTERN[1:-1])
