"""Recommendation: candidates -> one scored batch -> ranked, diverse, explained suggestions.

``suggest.suggest`` (one creator), ``score.score_plan`` (an agency's plan),
``report.write_report`` (self-contained HTML). Imports are lazy so the CLI starts fast.
"""
