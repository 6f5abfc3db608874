"""Conservative name matching between what was requested and what an upstream returned.

A false match puts the wrong cover on a page, which is worse than no cover at all, so the rules
fold only differences that never change identity: case, accents, punctuation, `&` vs "and",
featured-artist credits, edition/remaster/live suffixes on albums, "Pt."/"Vol." abbreviations
and an optional leading "The". Names are compared as whole word sequences, never as prefixes, so
"Air" does not match "Airbourne". An album's artist credit may list several artists ("Gary
Clark Jr. & Junkie XL"); `credit_match_rank` accepts the requested artist when it is one of
them, still as whole names.
"""

from __future__ import annotations

import re
import unicodedata

# Featured-artist credits. Bracketed credits may say "with" ("(with Zedd)"); bare credits need
# an unambiguous marker ("feat." / "ft." / "featuring") so a title such as "A Feat of Strength"
# or "Nick Cave with ..." is left alone.
_FEAT_BRACKETED_RE = re.compile(
    r"\s*[(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^)\]]*[)\]]", re.IGNORECASE
)
_FEAT_BARE_RE = re.compile(r"\s+(?:feat\.|ft\.|featuring\s)\s*.*$", re.IGNORECASE | re.DOTALL)

# Words that mark a suffix as "another edition of the same album" (same artwork, give or take).
# Deliberately excludes "version" alone ("Red (Taylor's Version)" is a different album with a
# different cover), "remix" and "mix".
_EDITION_WORDS_RE = re.compile(
    r"\b(?:deluxe|remaster(?:ed)?|remasters|edition|expanded|anniversary|bonus|reissue[ds]?|"
    r"explicit|clean|mono|stereo)\b",
    re.IGNORECASE,
)
# Apple and iTunes tag a live album's own title with "(Live)", or "[Live]" when another
# bracket precedes it ("A Weekend At the Greek (Live)", "En Concert (Bonus Track Version)
# [Live]" in one real response), so a bracketed "Live" alone is a store descriptor. "Discovery
# Live" and "Alive - Live" (no brackets) keep the word: there it may be part of the title.
_BRACKETED_ONLY_WORDS_RE = re.compile(r"\s*live\s*", re.IGNORECASE)
# iTunes/Apple name singles and EPs "Title - Single" / "Title - EP"; Deezer just "Title".
_RELEASE_KIND_RE = re.compile(r"(?:single|ep)", re.IGNORECASE)
_TRAILING_GROUP_RE = re.compile(r"\s*(?:\(([^()]*)\)|\[([^\[\]]*)\])\s*$")
_TRAILING_DASH_RE = re.compile(r"\s+[-\u2013\u2014]\s+([^-\u2013\u2014]+)$")
_SORT_NAME_RE = re.compile(r"^(.+?),\s*the$", re.IGNORECASE)
# Separators between the artists of a collaboration credit ("A & B", "A, B & C", "A x B",
# "A with B", "A feat. B"). Words need spaces on both sides, so "Lil Nas X" stays whole.
_CREDIT_SEPARATOR_RE = re.compile(
    r"\s*,\s*|\s+(?:&|\+|and|x|\u00d7|with|vs\.?|feat\.?|ft\.?|featuring)\s+", re.IGNORECASE
)
# After "&", "and" or "+", a part starting with "The" is a backing band that belongs to the
# name before it ("Tom Petty and the Heartbreakers", "Bob Marley & The Wailers"): it is never
# an artist of its own in such a credit.
_BAND_JOINERS = frozenset({"&", "+", "and"})
_MAX_CREDIT_PARTS = 8

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD_TABLE = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
    }
)
_APOSTROPHES_RE = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_SPACED_PLUS_RE = re.compile(r"\s\+\s")
_NON_WORD_RE = re.compile(r"[\W_]+")

_ABBREVIATIONS = {"pt": "part", "vol": "volume", "vols": "volumes", "ch": "chapter"}
# After one of these words a number may be spelt as digits, a Roman numeral or a word.
_NUMBERED_WORDS = frozenset({"part", "volume", "volumes", "chapter", "book", "act", "disc"})
_NUMBER_SPELLINGS = {
    "i": "1",
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "v": "5",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "x": "10",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}
_THE = "the"

# Match quality: lower is better. Sources sort matches by it so an exact title beats a
# "same album, other edition" hit.
RANK_EXACT = 0
RANK_LOOSE = 1


def strip_featuring(name: str) -> str:
    """Remove featured-artist credits ("X feat. Y", "Song (ft. Y)", "Song [with Y]")."""
    stripped = _FEAT_BRACKETED_RE.sub("", name)
    stripped = _FEAT_BARE_RE.sub("", stripped).strip()
    # A name that is nothing but a credit is kept as it is rather than emptied.
    return stripped or name.strip()


def strip_edition(name: str) -> str:
    """Remove trailing edition/remaster/live markers and iTunes "- Single"/"- EP" suffixes.

    Only trailing suffixes go, repeatedly: "Abbey Road (Remastered) [Deluxe Edition]" and
    "En Concert (Bonus Track Version) [Live]" lose both groups; parentheses and square
    brackets are treated alike. A title that is only such a word ("Deluxe") is kept.
    """
    current = name.strip()
    while True:
        group = _TRAILING_GROUP_RE.search(current)
        if group:
            inner = group.group(1) if group.group(1) is not None else group.group(2) or ""
            if _EDITION_WORDS_RE.search(inner) or _BRACKETED_ONLY_WORDS_RE.fullmatch(inner):
                candidate = current[: group.start()].rstrip()
                if candidate:
                    current = candidate
                    continue
        dash = _TRAILING_DASH_RE.search(current)
        if dash:
            inner = dash.group(1).strip()
            if _EDITION_WORDS_RE.search(inner) or _RELEASE_KIND_RE.fullmatch(inner):
                candidate = current[: dash.start()].rstrip()
                if candidate:
                    current = candidate
                    continue
        return current


def search_name(name: str, *, album: bool) -> str:
    """The name as it is best sent to a search API: credits (and album editions) removed."""
    cleaned = strip_featuring(" ".join(name.split()))
    return strip_edition(cleaned) if album else cleaned


def _fold(text: str) -> str:
    """Case-fold and remove accents ("Beyoncé" -> "beyonce", "Sigur Rós" -> "sigur ros")."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _collapse_initials(tokens: list[str]) -> list[str]:
    """Join runs of single letters so "R.E.M." equals "REM" (a lone "A" is left alone)."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 2:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return out


def _rewrite_words(tokens: list[str]) -> list[str]:
    """Expand "pt"/"vol" and spell numbers after them as digits ("Pt. II" -> "part 2")."""
    out: list[str] = []
    for token in tokens:
        word = _ABBREVIATIONS.get(token, token)
        if out and out[-1] in _NUMBERED_WORDS:
            word = str(int(word)) if word.isdigit() else _NUMBER_SPELLINGS.get(word, word)
        out.append(word)
    return out


def name_tokens(name: str, *, drop_edition: bool) -> tuple[str, ...]:
    """Normalise a name to the word sequence used for comparison.

    Featured credits always go; album edition suffixes go when `drop_edition` is set.
    """
    text = " ".join(name.split())
    text = strip_featuring(text)
    if drop_edition:
        text = strip_edition(text)
    sort_name = _SORT_NAME_RE.match(text)
    if sort_name:  # "Beatles, The" is a sort name for "The Beatles"
        text = f"{_THE} {sort_name.group(1)}"
    folded = _fold(text)
    folded = folded.replace("&", " and ")
    folded = _SPACED_PLUS_RE.sub(" and ", folded)
    folded = _APOSTROPHES_RE.sub("", folded)
    tokens = _NON_WORD_RE.sub(" ", folded).split()
    tokens = _rewrite_words(_collapse_initials(tokens))
    if not tokens:
        # Names made only of symbols ("÷", "!!!"): compare the folded text itself.
        bare = " ".join(folded.split())
        return (bare,) if bare else ()
    return tuple(tokens)


def _same_words(requested: tuple[str, ...], found: tuple[str, ...]) -> int | None:
    """Compare token sequences: RANK_EXACT, RANK_LOOSE (leading "The" differs) or None."""
    if not requested or not found:
        return None
    if requested == found:
        return RANK_EXACT
    # "The" is optional, but only in front of a real name: "The The" must not equal "The".
    for longer, shorter in ((requested, found), (found, requested)):
        if len(longer) == len(shorter) + 1 and longer[0] == _THE and longer[1:] == shorter:
            return RANK_LOOSE if shorter != (_THE,) else None
    return None


def _rank(requested: str | None, found: str | None, *, drop_edition: bool) -> int | None:
    if not requested or not found:
        return None
    strict = _same_words(
        name_tokens(requested, drop_edition=False), name_tokens(found, drop_edition=False)
    )
    if strict is not None or not drop_edition:
        return strict
    loose = _same_words(
        name_tokens(requested, drop_edition=True), name_tokens(found, drop_edition=True)
    )
    return None if loose is None else RANK_LOOSE


def credit_parts(credit: str) -> list[str]:
    """Every run of consecutive artists in a credit, the whole credit first.

    "Mumford & Sons & Baaba Maal" gives the whole, "Mumford", "Mumford & Sons", "Sons",
    "Sons & Baaba Maal" and "Baaba Maal", so a name that itself contains a separator is still
    found. A run starting with a backing band ("... & The Wailers") is left out.
    """
    text = " ".join(credit.split())
    pieces: list[tuple[int, int]] = []  # (start, end) of each artist in `text`
    joiners: list[str] = []  # the separator before each artist ("" for the first)
    start = 0
    for match in _CREDIT_SEPARATOR_RE.finditer(text):
        pieces.append((start, match.start()))
        joiners.append(match.group().strip().lower())
        start = match.end()
    pieces.append((start, len(text)))
    joiners.insert(0, "")
    if len(pieces) > _MAX_CREDIT_PARTS:
        return [text]
    runs = [text]
    for i, (first_start, _) in enumerate(pieces):
        first = text[first_start : pieces[i][1]]
        if joiners[i] in _BAND_JOINERS and first.lower().startswith(f"{_THE} "):
            continue
        for j in range(i, len(pieces)):
            run = text[first_start : pieces[j][1]].strip()
            if run and run != text and run.lower() != _THE:
                runs.append(run)
    return runs


def credit_match_rank(requested: str | None, credit: str | None) -> int | None:
    """How well an album's artist credit matches the requested artist.

    The whole credit is compared first (RANK_EXACT or RANK_LOOSE as `artist_match_rank`); else
    the requested artist matching one artist, or a run of them, of a collaboration credit
    ranks RANK_LOOSE. Use it for album credits only: an artist search result called "Simon &
    Garfunkel" is not a picture of Simon.
    """
    whole = artist_match_rank(requested, credit)
    if whole is not None or not requested or not credit:
        return whole
    for part in credit_parts(credit)[1:]:
        if artist_match_rank(requested, part) is not None:
            return RANK_LOOSE
    return None


def album_match_rank(requested: str | None, found: str | None) -> int | None:
    """How well an album title matches: RANK_EXACT, RANK_LOOSE (other edition/"The") or None."""
    return _rank(requested, found, drop_edition=True)


def artist_match_rank(requested: str | None, found: str | None) -> int | None:
    """How well an artist name matches: RANK_EXACT, RANK_LOOSE (leading "The") or None."""
    return _rank(requested, found, drop_edition=False)
