"""Audience health: growth, genuineness signals, follow-back (``recommender audience``).

``creator_report(data, creator)`` -> ``AudienceResult`` (the JSON document of
docs/json-output.md); ``audience_table(data)`` -> one row per creator (``audience --all``);
``html_section(result)`` -> a small HTML block for the report. Modules: ``daily`` (the
daily panel), ``signals`` (unexplained jumps, follow-for-follow periods), ``metrics``
(per-creator measures), ``components`` (scores and verdicts), ``benchmarks`` (tier numbers
and their sources), ``follow_back`` (reciprocity from the personal export's lists).
"""

from recommender.audience.job import (
    AudienceResult,
    analyse,
    audience_table,
    creator_report,
    write_table,
)

__all__ = ["AudienceResult", "analyse", "audience_table", "creator_report", "write_table"]
