"""Name matching: the folding rules, and the look-alikes they must keep apart."""

from __future__ import annotations

import pytest

from rewind_images.sources.matching import (
    RANK_EXACT,
    RANK_LOOSE,
    album_match_rank,
    artist_match_rank,
    credit_match_rank,
    credit_parts,
    name_tokens,
    search_name,
    strip_edition,
    strip_featuring,
)


def album_matches(requested: str | None, found: str | None) -> bool:
    return album_match_rank(requested, found) is not None


def artist_matches(requested: str | None, found: str | None) -> bool:
    return artist_match_rank(requested, found) is not None


def credit_matches(requested: str | None, credit: str | None) -> bool:
    return credit_match_rank(requested, credit) is not None


def names_match(requested: str | None, found: str | None) -> bool:
    """Same name under the folding rules, editions dropped (the album rule)."""
    return album_match_rank(requested, found) is not None


@pytest.mark.parametrize(
    ("requested", "found"),
    [
        ("Daft Punk", "daft punk"),
        ("Beyoncé", "Beyonce"),
        ("Beyonce", "BEYONCÉ"),
        ("Sigur Rós", "Sigur Ros"),
        ("Mötley Crüe", "Motley Crue"),
        ("Røyksopp", "Royksopp"),
        ("Simon & Garfunkel", "Simon and Garfunkel"),
        ("Earth, Wind & Fire", "Earth Wind and Fire"),
        ("Florence + The Machine", "Florence and the Machine"),
        ("Guns N' Roses", "Guns N\u2019 Roses"),
        ("R.E.M.", "REM"),
        ("The Beatles", "Beatles"),
        ("Beatles", "The Beatles"),
        ("Beatles, The", "The Beatles"),
        ("Jay-Z", "JAY Z"),
        ("Kanye West", "Kanye West feat. Jay-Z"),
        ("Kanye West", "Kanye West ft. Jay-Z"),
        ("Kanye West", "Kanye West featuring Jay-Z"),
        ("Kanye West feat. Jay-Z", "Kanye West"),
        ("The The", "The The"),
        ("!!!", "!!!"),
        ("\uff21\uff29\uff32", "Air"),  # full-width letters
    ],
)
def test_artist_names_that_match(requested: str, found: str) -> None:
    assert artist_matches(requested, found)


@pytest.mark.parametrize(
    ("requested", "found"),
    [
        ("Air", "Airbourne"),  # a prefix is another artist
        ("Airbourne", "Air"),
        ("Air", "Air Supply"),
        ("The The", "The"),  # the optional "The" must not eat the whole name
        ("The", "The The"),
        ("The Band", "The Beatles"),
        ("Simon & Garfunkel", "Simon"),
        ("Kanye West", "JAY-Z & Kanye West"),  # a collaboration is not the solo artist
        ("Beyoncé", "Beyoncé Knowles Tribute Band"),
        ("Prince", "Princess"),
        ("!!!", "???"),
        ("Daft Punk", ""),
        ("Daft Punk", None),
        (None, "Daft Punk"),
    ],
)
def test_artist_names_kept_apart(requested: str | None, found: str | None) -> None:
    assert not artist_matches(requested, found)


@pytest.mark.parametrize(
    ("requested", "found"),
    [
        ("Abbey Road", "Abbey Road (Remastered)"),
        ("Abbey Road", "Abbey Road [Remastered 2011]"),
        ("Abbey Road", "Abbey Road - 2019 Remaster"),
        ("Abbey Road", "Abbey Road (Super Deluxe Edition)"),
        ("Abbey Road (Deluxe Edition)", "Abbey Road"),
        ("Abbey Road (Remastered)", "Abbey Road [Deluxe Edition]"),
        ("Rumours", "Rumours (Expanded & Remastered) [Bonus Tracks]"),
        ("Moon Safari", "Moon Safari (20th Anniversary Edition)"),
        ("Get Lucky", "Get Lucky (feat. Pharrell Williams) - Single"),
        ("Get Lucky - Single", "Get Lucky"),
        ("Random Access Memories", "Random Access Memories - EP"),
        ("Thriller", "Thriller - Remastered"),
        ("Use Your Illusion Pt. 2", "Use Your Illusion Part 2"),
        ("Use Your Illusion Part II", "Use Your Illusion Pt. 2"),
        ("Now That's What I Call Music! Vol. 1", "Now That's What I Call Music! Volume 1"),
        ("Vol.1", "Volume One"),
        ("Vol. 01", "Volume 1"),
        ("The Wall", "Wall"),
        ("÷", "÷ (Deluxe)"),
        ("good kid, m.A.A.d city", "good kid, m.A.A.d city (Deluxe)"),
        ("Deluxe", "Deluxe"),  # a title that is only an edition word stays a title
        # Store descriptors, parenthesised or bracketed alike (real iTunes titles).
        ("En Concert", "En Concert (Bonus Track Version) [Live]"),
        ("A Weekend At the Greek", "A Weekend At the Greek (Live)"),
        ("Brushfire Fairytales", "Brushfire Fairytales (Remastered) [Bonus Version]"),
        ("Come Together", "Come Together - Single"),
        ("Dirty Honey", "Dirty Honey - EP"),
        ("Discovery", "Discovery (Live)"),  # Apple's "(Live)" descriptor
    ],
)
def test_album_titles_that_match(requested: str, found: str) -> None:
    assert album_matches(requested, found)


@pytest.mark.parametrize(
    ("requested", "found"),
    [
        ("Red", "Red (Taylor's Version)"),  # re-recording: a different album and cover
        ("Discovery", "Alive 1997"),
        ("Discovery", "Discovery Live"),  # unbracketed "Live" may be part of the title
        ("Discovery", "Rediscovery"),
        ("Blue", "Blue Lines"),
        ("Part 1", "Part 2"),
        ("Vol. 1", "Vol. 2"),
        ("Use Your Illusion I", "Use Your Illusion II"),
        ("Homework", "Homework (Remixes)"),
        ("Deluxe", "Abbey Road (Deluxe)"),
    ],
)
def test_album_titles_kept_apart(requested: str, found: str) -> None:
    assert not album_matches(requested, found)


def test_editions_rank_below_the_exact_title() -> None:
    assert album_match_rank("Abbey Road", "Abbey Road") == RANK_EXACT
    assert album_match_rank("Abbey Road", "ABBEY ROAD!") == RANK_EXACT
    assert album_match_rank("Abbey Road", "Abbey Road (Remastered)") == RANK_LOOSE
    assert album_match_rank("Abbey Road (Remastered)", "Abbey Road (Remastered)") == RANK_EXACT
    assert album_match_rank("Abbey Road", "Let It Be") is None


def test_leading_the_ranks_loose() -> None:
    assert artist_match_rank("The Beatles", "The Beatles") == RANK_EXACT
    assert artist_match_rank("The Beatles", "Beatles") == RANK_LOOSE


def test_artist_names_keep_edition_like_suffixes() -> None:
    # Artists have no editions: "(Deluxe)" on an artist is part of the name.
    assert not artist_matches("Air", "Air (Deluxe)")
    assert names_match("Air", "Air (Deluxe)")  # the generic rule is the album one


def test_strip_featuring_forms() -> None:
    assert strip_featuring("Song (feat. A & B)") == "Song"
    assert strip_featuring("Song [ft. A]") == "Song"
    assert strip_featuring("Song (with A)") == "Song"
    assert strip_featuring("Artist feat. Other") == "Artist"
    assert strip_featuring("Artist featuring Other") == "Artist"
    # Not credits: a title word, and a bare "with".
    assert strip_featuring("A Feat of Strength") == "A Feat of Strength"
    assert strip_featuring("Nick Cave with Friends") == "Nick Cave with Friends"
    assert strip_featuring("feat. Someone") == "feat. Someone"


def test_strip_edition_forms() -> None:
    assert strip_edition("Abbey Road (Remastered) [Deluxe Edition]") == "Abbey Road"
    assert strip_edition("Let It Be - Special Edition") == "Let It Be"
    assert strip_edition("Song - Single") == "Song"
    assert strip_edition("Red (Taylor's Version)") == "Red (Taylor's Version)"
    assert strip_edition("Live at Pompeii (Live)") == "Live at Pompeii"
    assert strip_edition("En Concert (Bonus Track Version) [Live]") == "En Concert"
    assert strip_edition("(Live)") == "(Live)"
    assert strip_edition("Alive - Live") == "Alive - Live"


def test_name_tokens() -> None:
    assert name_tokens("The Beatles", drop_edition=False) == ("the", "beatles")
    assert name_tokens("Pt. II", drop_edition=False) == ("part", "2")
    assert name_tokens("R.E.M.", drop_edition=False) == ("rem",)
    assert name_tokens("A Tribe Called Quest", drop_edition=False) == (
        "a",
        "tribe",
        "called",
        "quest",
    )
    assert name_tokens("   ", drop_edition=False) == ()


def test_search_name_cleans_for_queries() -> None:
    assert search_name("Abbey Road (Remastered)", album=True) == "Abbey Road"
    assert search_name("Abbey Road (Remastered)", album=False) == "Abbey Road (Remastered)"
    assert search_name("  Kanye   West feat. Jay-Z ", album=False) == "Kanye West"


# --- collaboration credits (album artist credits only) ------------------------------------------


@pytest.mark.parametrize(
    ("requested", "credit"),
    [
        # Real credits from iTunes responses (tests/unit/sources/captured/README.md).
        ("Gary Clark Jr.", "Gary Clark Jr. & Junkie XL"),
        ("Junkie XL", "Gary Clark Jr. & Junkie XL"),
        ("Mamonas Assassinas", "Mamonas Assassinas, Alok & Sevenn"),
        ("Alok", "Mamonas Assassinas, Alok & Sevenn"),
        ("Mamonas Assassinas", "Ruy Brissac & Mamonas Assassinas"),
        ("Jack Johnson", "Manuel Garcia, Silvia Tómas, Jack Johnson & Paula Fuga"),
        ("Jack Johnson", "Zach Gill & Jack Johnson"),
        ("Jack Johnson", "Jack Johnson & The Roots"),
        ("Kanye West", "JAY-Z & Kanye West"),
        # The other separators.
        ("Sub Focus", "Sub Focus x Wilkinson"),
        ("Sub Focus", "Sub Focus \u00d7 Wilkinson"),
        ("Pitbull", "Pitbull feat. Ne-Yo"),
        ("Ne-Yo", "Pitbull ft. Ne-Yo"),
        ("Daft Punk", "Daft Punk and Pharrell Williams"),
        ("Nick Cave", "Nick Cave with Warren Ellis"),
        # A name containing a separator is still found inside a bigger credit.
        ("Mumford & Sons", "Mumford & Sons & Baaba Maal"),
        ("Earth, Wind & Fire", "Earth, Wind & Fire, The Emotions"),
        ("Tom Petty", "Tom Petty and the Heartbreakers"),
        ("The Beatles", "Beatles, The"),
    ],
)
def test_credits_that_name_the_artist(requested: str, credit: str) -> None:
    assert credit_matches(requested, credit)


@pytest.mark.parametrize(
    ("requested", "credit"),
    [
        ("The Animals", "Glass Animals"),
        ("Glass Animals", "The Animals"),
        ("Air", "Airbourne"),
        ("Air", "Airbourne & Friends"),
        ("Air", "Air Supply & Friends"),
        ("Jack", "Jack Johnson & Paula Fuga"),  # never a word of an artist's name
        ("Lil Nas", "Lil Nas X"),  # "X" ends a name; it is not a separator there
        ("The Heartbreakers", "Tom Petty and the Heartbreakers"),  # a backing band
        ("The Wailers", "Bob Marley & The Wailers"),
        ("The", "Beatles, The"),
        ("Simon", "Paul Simon & Art Garfunkel"),
        ("Daft Punk", ""),
        ("Daft Punk", None),
        (None, "Daft Punk & Friends"),
    ],
)
def test_credits_that_do_not(requested: str | None, credit: str | None) -> None:
    assert not credit_matches(requested, credit)


def test_credit_ranks() -> None:
    assert credit_match_rank("Gary Clark Jr.", "Gary Clark Jr.") == RANK_EXACT
    assert credit_match_rank("Gary Clark Jr.", "Gary Clark Jr. & Junkie XL") == RANK_LOOSE
    assert credit_match_rank("Beatles", "The Beatles") == RANK_LOOSE
    # Artist entities stay strict: a duo's picture is not a picture of one of them.
    assert not artist_matches("Gary Clark Jr.", "Gary Clark Jr. & Junkie XL")


def test_credit_parts() -> None:
    assert credit_parts("Mamonas Assassinas, Alok & Sevenn") == [
        "Mamonas Assassinas, Alok & Sevenn",
        "Mamonas Assassinas",
        "Mamonas Assassinas, Alok",
        "Alok",
        "Alok & Sevenn",
        "Sevenn",
    ]
    assert credit_parts("Bob Marley & The Wailers") == ["Bob Marley & The Wailers", "Bob Marley"]
    assert credit_parts("Lil Nas X") == ["Lil Nas X"]
    many = " & ".join(f"Artist {n}" for n in range(20))
    assert credit_parts(many) == [many]  # absurd credits are compared whole only
