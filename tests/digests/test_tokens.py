"""The digest's signed tokens: written without itsdangerous's layers, read by it."""

from __future__ import annotations

import datetime as dt
import random

from itsdangerous import URLSafeSerializer

from forum.digests import tokens

SALTS = (tokens.UNSUBSCRIBE, tokens.BROWSER, tokens.INTEREST, tokens.EMAILS_OFF, tokens.INTERESTS)


def test_tokens_are_the_characters_itsdangerous_writes() -> None:
    """Short payloads (left as they are) and repetitive ones (compressed), text beyond
    ASCII, every salt, two keys: the same token as URLSafeSerializer.dumps."""
    rng = random.Random(26)
    targets = ["JP", "food", "é", "Zürich · 東京", "x" * 90]
    for secret in ("bench", "a longer secret key, with ü"):
        for _ in range(400):
            salt = rng.choice(SALTS)
            payload: object = {
                "u": rng.randint(1, 10**7),
                "a": rng.choice(("mute", "follow")),
                "t": rng.choice(("country", "sector")),
                "v": rng.choice(targets),
            }
            if rng.random() < 0.4:  # a section's choices: repetitive, so compressed
                choice = ["mute", "country", rng.choice(targets)]
                payload = {"u": rng.randint(1, 10**7), "c": [choice] * rng.randint(1, 8)}
            expected = URLSafeSerializer(secret, salt=salt).dumps(payload)
            assert tokens._dumps(secret, salt, payload) == expected, payload


def test_each_token_reads_back() -> None:
    day = dt.date(2026, 12, 7)
    assert tokens.read_unsubscribe_token("k", tokens.unsubscribe_token("k", 7)) == 7
    assert tokens.read_browser_token("k", tokens.browser_token("k", 7, day)) == (7, day)
    token = tokens.interest_token("k", 7, "mute", "country", "JP")
    assert tokens.read_interest_token("k", token) == (7, "mute", "country", "JP")
    choices = [("mute", "country", "JP")] * 5 + [("follow", "sector", "food")]
    token = tokens.interests_token("k", 7, choices)
    assert token.startswith(".")  # compressed
    assert tokens.read_interests_token("k", token) == (7, choices)
    assert tokens.read_emails_off_token("k", tokens.emails_off_token("k", 7, "reply")) == (
        7,
        "reply",
    )
    assert tokens.read_unsubscribe_token("other key", tokens.unsubscribe_token("k", 7)) is None
