"""Did it work? Strategy impact and posting cadence from the creator's own data.

- ``analysis.impact(data, creator, since, ...)``: before/after a date three ways (naive,
  the model's counterfactual, difference-in-differences), each with an 80% interval, and a
  plain verdict (``estimate.py`` says how).
- ``detect.detect(data, creator)``: the dates where the creator's own behaviour changed
  (cadence, trending sounds, hashtag niche, duration), each analysed as above.
- ``cadence.cadence_advice(data, creator)``: how per-post and weekly engagement respond to
  posts per week, within creator, pooled with shrinkage; the advice ``suggest`` prints.
"""
