"""The reputation score: a Bayesian average that a handful of reviews cannot push to the top."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.reputation import PRIOR_MEAN, rating_score

ratings = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=200)


def test_no_reviews_have_no_score() -> None:
    assert rating_score(0, 0) is None


def test_one_five_star_review_does_not_beat_fifty_at_four_point_eight() -> None:
    one_five = rating_score(5, 1)
    fifty_at_four_point_eight = rating_score(240, 50)
    assert one_five is not None and fifty_at_four_point_eight is not None
    assert one_five < fifty_at_four_point_eight


def test_one_review_moves_the_score_only_part_of_the_way() -> None:
    assert rating_score(5, 1) == 4.17
    assert rating_score(1, 1) == 3.5


@given(ratings)
def test_a_review_at_the_prior_mean_never_moves_the_score_away_from_it(given_ratings: list[int]) -> None:
    before = rating_score(sum(given_ratings), len(given_ratings))
    after = rating_score(sum(given_ratings) + int(PRIOR_MEAN), len(given_ratings) + 1)
    assert before is not None and after is not None
    assert abs(after - PRIOR_MEAN) <= abs(before - PRIOR_MEAN)


@given(ratings, st.integers(min_value=1, max_value=5))
def test_a_new_rating_moves_the_score_toward_it(given_ratings: list[int], new: int) -> None:
    before = rating_score(sum(given_ratings), len(given_ratings))
    after = rating_score(sum(given_ratings) + new, len(given_ratings) + 1)
    assert before is not None and after is not None
    assert min(before, new) <= after <= max(before, new)


@given(ratings)
def test_the_score_stays_between_the_prior_and_the_average(given_ratings: list[int]) -> None:
    score = rating_score(sum(given_ratings), len(given_ratings))
    average = round(sum(given_ratings) / len(given_ratings), 2)
    assert score is not None
    assert min(PRIOR_MEAN, average) <= score <= max(PRIOR_MEAN, average)
