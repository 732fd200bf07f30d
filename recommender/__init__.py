"""Content strategy recommender for TikTok creators and agencies.

Kept import-light on purpose: ``recommender suggest`` must start fast, so heavy
libraries (pandas, lightgbm, matplotlib) are imported inside the modules that need them.
"""

__version__ = "0.1.0"
