"""The input rules of the API, each defined once: patterns and length limits.

The request models (`images.inputs`, `keys.schemas`), the sources and the URL guard
all refer to these names, so validation and the upstream calls can never disagree (a hint the
API accepts is one a source can use).
"""

from __future__ import annotations

import re

MAX_ENTITY_ID_LENGTH = 200
MAX_HINT_LENGTH = 300
MAX_URL_LENGTH = 2048
MAX_KEY_NAME_LENGTH = 100
MAX_RATE_LIMIT_RPM = 1_000_000
MAX_PAGE_LIMIT = 100
MAX_PAGE = 1_000_000
MAX_FILTER_LENGTH = 200  # a list filter's text (a domain, an entity type, a source)
MAX_REANALYZE_BATCH_SIZE = 50
MAX_ATTACHMENT_ITEMS = 100  # a page of entities per POST /v1/images/attachments
MAX_BACKFILL_ITEMS = 1_000  # entities per POST /v1/admin/images/backfill
# Ids and cursors bound to D1 parameters stay 32-bit: larger Python ints cross to JavaScript
# as BigInt near 2**53, which D1 refuses.
MAX_ROW_ID = 2**31 - 1

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
# A value echoed in an answer (an invalid item's fields, an error message) is cut to this many
# characters, so an answer never grows with the junk it was sent.
MAX_ECHO_LENGTH = 64
UUID_RE = re.compile(UUID_PATTERN[1:-1])
TMDB_ID_RE = re.compile(TMDB_ID_PATTERN[1:-1])
