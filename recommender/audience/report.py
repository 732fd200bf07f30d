"""A small, self-contained HTML block for ``recommender report`` (one call from report.py)."""

from __future__ import annotations

import html

from recommender.errors import RecommenderError
from recommender.store import StoreData


def audience_html(data: StoreData, creator: str) -> str:
    """The audience section for ``creator``; a one-line "not enough data" when it cannot be
    computed (the report must never fail because of it)."""
    from recommender.audience.job import creator_report

    e = html.escape
    try:
        result = creator_report(data, creator)
    except RecommenderError as error:
        return f"<h2>Audience</h2><p class=muted>Not enough data: {e(str(error))}</p>"
    score = ("not enough data" if result.quality_score is None
             else f"{result.quality_score:.0f} / 100")
    rows = "".join(
        f"<tr><td>{e(c['name'].replace('_', ' '))}</td><td>"
        f"{'-' if c['score'] is None else c['score']}</td><td>{e(str(c['verdict']))}</td></tr>"
        for c in result.components)
    growth = result.growth
    lines = [*result.vanity_vs_value, growth["snowball"]]
    suspicious = [a for a in result.anomalies if a["suspicious"]]
    if suspicious:
        lines.append(f"{len(suspicious)} day(s) of follower jumps without views: "
                     + ", ".join(a["date"] for a in suspicious[:10]))
    lines += [p["name"] for p in result.follow_for_follow]
    fb = result.follow_back
    if fb and fb["followers_followed_back_share"] is not None:
        lines.append(f"You follow back {100 * fb['followers_followed_back_share']:.1f}% of "
                     f"{fb['listed_followers']:,} listed followers ({fb['mutual']:,} mutual).")
    return (f"<h2>Audience (quality score {e(score)})</h2>"
            "<ul>" + "".join(f"<li>{e(str(line))}</li>" for line in lines) + "</ul>"
            "<table><tr><th>component</th><th>score</th><th>value vs benchmark</th></tr>"
            f"{rows}</table><p class=muted>{e('; '.join(result.notes))}</p>")
