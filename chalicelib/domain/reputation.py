"""A provider's reputation score: the Bayesian average of their published ratings (1..5).

score = (C * m + rating_sum) / (C + rating_count), the average of the ratings after C imaginary ones at m:
- m = PRIOR_MEAN = 4.0: about what a typical provider earns (most ratings are 4s and 5s), so a provider's
  first reviews move them from the crowd, not from the bottom or the top;
- C = PRIOR_WEIGHT = 5: the evidence a handful of reviews must outweigh. One 5-star review scores 4.17,
  fifty 4.8s score 4.73: a newcomer with one friend's review cannot outrank a long good record, while
  twenty reviews weigh four times the prior and the score is mostly the provider's own.
Rounded to 2 decimals like `rating_avg` (finer is noise; rounding keeps the score monotone in each rating).
No reviews -> None, not the prior: 4.0 would be a score nobody gave; `rating_count` 0 says "new".
"""
from __future__ import annotations

PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5
SCORE_DECIMALS = 2


def rating_score(rating_sum: int, rating_count: int) -> float | None:
    """The Bayesian average of `rating_count` ratings adding up to `rating_sum`; None with no ratings."""
    if rating_count <= 0:
        return None
    return round((PRIOR_WEIGHT * PRIOR_MEAN + rating_sum) / (PRIOR_WEIGHT + rating_count), SCORE_DECIMALS)
