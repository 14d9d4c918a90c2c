"""Synthetic text for benchmarks: vocabulary size, Zipf shape, determinism, skewed picks."""

from __future__ import annotations

import re
from collections import Counter

import pycountry
import pytest

from forum.demo.textgen import (
    DOMAIN_WORDS,
    FUNCTION_WORDS,
    SkewedChoice,
    TextGenerator,
    report_country_weights,
    report_target_counts,
)


@pytest.fixture(scope="module")
def sample() -> list[str]:
    return TextGenerator(seed=1).words(200_000)


def test_the_default_vocabulary_has_at_least_100_000_distinct_words() -> None:
    generator = TextGenerator()
    assert generator.vocabulary_size >= 100_000
    assert len(set(generator.vocabulary)) == generator.vocabulary_size


def test_the_vocabulary_starts_with_function_words_then_real_domain_words() -> None:
    vocabulary = TextGenerator().vocabulary
    assert vocabulary[0] == "the"
    head = set(vocabulary[: len(FUNCTION_WORDS) + len(DOMAIN_WORDS)])
    assert {"cluster", "smes", "internationalisation", "export", "tender", "funding"} <= head
    assert len(DOMAIN_WORDS) >= 300


def test_tail_words_are_lower_case_letters_only() -> None:
    vocabulary = TextGenerator().vocabulary
    assert all(re.fullmatch(r"[a-z]+", word) for word in vocabulary[1000:])


def test_a_smaller_vocabulary_can_be_asked_for_but_not_below_the_real_words() -> None:
    assert TextGenerator(vocabulary_size=5_000).vocabulary_size == 5_000
    with pytest.raises(ValueError, match="vocabulary_size"):
        TextGenerator(vocabulary_size=10)


def test_the_top_word_is_far_more_frequent_than_a_median_rank_word(sample: list[str]) -> None:
    counts = Counter(sample)
    vocabulary = TextGenerator(seed=1).vocabulary
    median_word = vocabulary[len(vocabulary) // 2]
    assert counts[vocabulary[0]] > 1_000 * max(1, counts[median_word])


def test_the_top_100_ranks_cover_more_than_40_percent_of_tokens(sample: list[str]) -> None:
    top = set(TextGenerator(seed=1).vocabulary[:100])
    covered = sum(1 for word in sample if word in top)
    assert covered / len(sample) > 0.40


def test_the_sample_uses_many_distinct_words_as_a_long_tail_should(sample: list[str]) -> None:
    assert len(set(sample)) > 20_000


def test_the_same_seed_gives_the_same_text() -> None:
    first, second = TextGenerator(seed=7), TextGenerator(seed=7)
    assert first.title() == second.title()
    assert first.paragraph() == second.paragraph()
    assert first.markdown_body() == second.markdown_body()
    assert first.words(50) == second.words(50)


def test_different_seeds_give_different_text() -> None:
    assert TextGenerator(seed=1).paragraph() != TextGenerator(seed=2).paragraph()


def test_a_sentence_is_capitalised_ends_with_a_period_and_respects_its_length() -> None:
    generator = TextGenerator(seed=3)
    for _ in range(200):
        sentence = generator.sentence(min_words=6, max_words=20)
        assert sentence[0].isupper()
        assert sentence.endswith(".")
        assert 6 <= len(sentence.split()) <= 20


def test_a_paragraph_has_the_asked_number_of_sentences() -> None:
    generator = TextGenerator(seed=4)
    for _ in range(100):
        paragraph = generator.paragraph(sentences=(3, 3))
        assert paragraph.count(".") == 3
        assert paragraph.endswith(".")


def test_a_title_has_no_period_and_its_word_count_is_within_bounds() -> None:
    generator = TextGenerator(seed=5)
    for _ in range(100):
        title = generator.title(min_words=4, max_words=10)
        assert title[0].isupper()
        assert not title.endswith(".")
        assert 4 <= len(title.split()) <= 10


def test_markdown_bodies_are_paragraphs_and_sometimes_a_bullet_list() -> None:
    generator = TextGenerator(seed=6)
    bodies = [generator.markdown_body(paragraphs=(1, 4)) for _ in range(200)]
    with_list = [b for b in bodies if "\n- " in b or b.startswith("- ")]
    assert 10 < len(with_list) < 100
    for body in bodies:
        prose = [block for block in body.split("\n\n") if not block.startswith("- ")]
        assert 1 <= len(prose) <= 4


def test_impossible_length_bounds_are_refused() -> None:
    generator = TextGenerator()
    with pytest.raises(ValueError, match="min_words"):
        generator.sentence(min_words=5, max_words=4)
    with pytest.raises(ValueError, match="min_words"):
        generator.title(min_words=0, max_words=3)
    with pytest.raises(ValueError, match="sentences"):
        generator.paragraph(sentences=(0, 2))
    with pytest.raises(ValueError, match="paragraphs"):
        generator.markdown_body(paragraphs=(3, 1))


def test_skewed_choice_returns_distinct_items_within_the_asked_count() -> None:
    chooser = SkewedChoice({"a": 10.0, "b": 1.0, "c": 1.0, "d": 0.5}, seed=1)
    for _ in range(500):
        picked = chooser.pick(1, 3)
        assert 1 <= len(picked) <= 3
        assert len(set(picked)) == len(picked)


def test_skewed_choice_favours_heavy_items() -> None:
    chooser = SkewedChoice({"heavy": 20.0, **{f"light{i}": 1.0 for i in range(20)}}, seed=2)
    counts = Counter(key for _ in range(2_000) for key in chooser.pick(1, 1))
    assert counts["heavy"] > 800
    assert counts["heavy"] > 10 * counts["light0"]


def test_skewed_choice_gives_at_most_the_items_with_positive_weight() -> None:
    chooser = SkewedChoice({"only": 1.0, "never": 0.0}, seed=3)
    assert chooser.pick(3, 5) == ["only"]


def test_skewed_choice_survives_one_item_carrying_almost_all_the_weight() -> None:
    chooser = SkewedChoice({"giant": 1e12, "a": 1.0, "b": 1.0}, seed=4)
    assert sorted(chooser.pick(3, 3)) == ["a", "b", "giant"]


def test_skewed_choice_is_deterministic_for_a_seed() -> None:
    weights = report_country_weights()
    first, second = SkewedChoice(weights, seed=9), SkewedChoice(weights, seed=9)
    assert [first.pick(1, 4) for _ in range(50)] == [second.pick(1, 4) for _ in range(50)]


def test_skewed_choice_refuses_bad_weights_and_bounds() -> None:
    with pytest.raises(ValueError, match="positive"):
        SkewedChoice({"a": 0.0})
    with pytest.raises(ValueError, match="non-negative"):
        SkewedChoice({"a": -1.0})
    with pytest.raises(ValueError, match="k_min"):
        SkewedChoice({"a": 1.0}).pick(3, 1)


def test_report_counts_match_table_1_of_the_report() -> None:
    counts = report_target_counts()
    expected = {"US": 8, "CA": 7, "JP": 6, "CN": 5, "IL": 4, "ZA": 4, "IN": 3, "KR": 3}
    assert {code: counts[code] for code in expected} == expected


def test_report_weights_cover_every_iso_country_and_give_the_us_the_maximum() -> None:
    weights = report_country_weights()
    assert set(weights) == {c.alpha_2 for c in pycountry.countries}
    top = max(weights.values())
    assert weights["US"] == top
    assert [code for code, w in weights.items() if w == top] == ["US"]
    assert weights["FR"] == pytest.approx(0.05)


def test_countries_picked_with_report_weights_are_skewed_like_the_report() -> None:
    chooser = SkewedChoice(report_country_weights(), seed=5)
    counts = Counter(code for _ in range(10_000) for code in chooser.pick(1, 1))
    assert counts.most_common(1)[0][0] == "US"
    assert counts["US"] > counts["JP"] > counts["FR"]
