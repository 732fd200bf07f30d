"""``write_report``: one self-contained HTML page for a creator (charts as base64 PNGs).

The PNGs are also written beside the HTML file, so they can be reused in a deck. matplotlib
runs on the Agg backend (no display needed). Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.engagement import lift_to_percent, log_engagement
from recommender.recommend.candidates import creator_profile
from recommender.recommend.suggest import SuggestResult, suggest
from recommender.store import StoreData

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TRAILING = 10


@dataclass
class ReportResult:
    html: str
    images: list[str]
    creator: str

    def to_dict(self) -> dict[str, Any]:
        return {"creator": self.creator, "html": self.html, "images": self.images}


def write_report(data: StoreData, model: Any, creator: str, out: str | Path,
                 now: pd.Timestamp | str | None = None,
                 suggested: SuggestResult | None = None) -> ReportResult:
    """``suggested``: the creator's suggestions when the caller already has them."""
    import matplotlib

    from recommender.impact.plots import cadence_chart

    matplotlib.use("Agg")
    result = suggested if suggested is not None else suggest(data, model, creator, now=now)
    target = str(getattr(model, "target", "weighted"))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Labels come from the data (hashtags, sounds, zones): "$a^$" must print as written,
    # not be parsed (and crash) as mathtext.
    with matplotlib.rc_context({"text.parse_math": False, "font.family": _fonts()}):
        charts = {
            "heatmap": _heatmap(result),
            "engagement": _engagement(data.posts, creator, target, result.timezone),
            "content": _content(data.posts, creator, target, result),
            "cadence": cadence_chart(data, creator, result.now, target),  # recommender.impact
        }
    images = []
    for name, png in charts.items():
        if png is None:
            continue
        path = out.with_name(f"{out.stem}-{name}.png")
        path.write_bytes(png)
        images.append(str(path))
    from recommender.audience.report import audience_html  # an additive section
    out.write_text(_page(result, charts, _manifest(model)).replace(
        "</body>", audience_html(data, creator) + "</body>"), encoding="utf-8")
    return ReportResult(html=str(out), images=images, creator=creator)


# Captions, hashtags and handles are often CJK or emoji: each glyph falls back along this
# list (matplotlib >= 3.6), using only the families installed here.
FONT_FALLBACK = ("DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans JP",
                 "WenQuanYi Zen Hei", "Droid Sans Fallback", "Noto Color Emoji", "Noto Emoji",
                 "Symbola")


def _fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in FONT_FALLBACK if name in installed] or ["sans-serif"]


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _heatmap(result: SuggestResult) -> bytes:
    import matplotlib.pyplot as plt

    grid = np.full((7, 24), np.nan)
    for key, value in result.profile.items():
        day, hour = key.split()
        grid[DAYS.index(day), int(hour)] = value
    barely = result.timing.barely_matters
    if barely:  # the same verdict as the notes: every slot counts the same
        grid = np.where(np.isfinite(grid), 0.0, np.nan)
    fig, ax = plt.subplots(figsize=(10, 3.4))
    limit = max(1.0, float(np.nanmax(np.abs(grid)))) if np.isfinite(grid).any() else 1.0
    image = ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_yticks(range(7), DAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(f"local hour ({result.timezone})")
    ax.set_title("Timing barely matters for you: every slot counts the same" if barely else
                 "Your timing profile: lift of a post by slot (% vs your median slot)")
    fig.colorbar(image, ax=ax, label="%")
    return _png(fig)


def _engagement(posts: pd.DataFrame, creator: str, target: str, zone: str) -> bytes | None:
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    own = posts[posts["creator"] == creator].sort_values("posted_at")
    if own.empty:
        return None
    value = pd.Series(np.expm1(log_engagement(own, target)), index=own.index)
    trailing = value.rolling(TRAILING, min_periods=1).median().shift(1)
    when = own["posted_at"].dt.tz_convert(zone).dt.tz_localize(None)
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.scatter(when, value.clip(lower=1), s=10, alpha=0.6, label="posts")
    ax.plot(when, trailing.clip(lower=1), color="black", label=f"trailing median ({TRAILING})")
    ax.set_yscale("log")
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # no overlapping dates
    ax.set_title("Engagement per post over time")
    ax.legend(loc="upper left")
    return _png(fig)


def _content(posts: pd.DataFrame, creator: str, target: str, result: SuggestResult
             ) -> bytes | None:
    import matplotlib.pyplot as plt

    profile = creator_profile(posts, creator, result.timezone, target, result.now)
    sounds = _sound_performance(posts, creator, target)
    if profile.tag_scores.empty and sounds.empty:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    tags = lift_to_percent(profile.tag_scores.head(10)[::-1])
    axes[0].barh([f"#{t}" for t in tags.index], tags.to_numpy(), color="tab:blue")
    axes[0].set_title("Hashtags: each tag's own effect, % (fitted jointly, shrunk)")
    axes[1].bar(sounds.index, sounds.to_numpy(), color="tab:orange")
    axes[1].set_title("Sounds: % vs your median post")
    for ax in axes:
        ax.axvline(0, color="grey", lw=0.8) if ax is axes[0] else ax.axhline(0, color="grey")
    return _png(fig)


def _sound_performance(posts: pd.DataFrame, creator: str, target: str) -> pd.Series:
    own = posts[posts["creator"] == creator]
    if own.empty:
        return pd.Series(dtype=float)
    y = pd.Series(log_engagement(own, target), index=own.index)
    kind = np.where(own["sound_is_original"].fillna(True).astype(bool), "original",
                    "licensed / trending")
    return lift_to_percent((y - y.median()).groupby(kind).median())


def _manifest(model: Any) -> dict[str, Any]:
    manifest = getattr(model, "manifest", None) or getattr(model, "manifest_", None)
    return dict(manifest) if isinstance(manifest, dict) else {}


def _page(result: SuggestResult, charts: dict[str, bytes | None], manifest: dict[str, Any]
          ) -> str:
    e = html.escape
    parts = [f"<h1>Content report: {e(result.creator)}</h1>",
             f"<p class=muted>Engagement = {e(result.target_label)}; predicted "
             f"{result.horizon_days} days after posting. Time zone {e(result.timezone)}.</p>",
             "<ul>" + "".join(f"<li>{e(n)}</li>" for n in result.notes) + "</ul>"]
    titles = {"heatmap": "When to post", "engagement": "Engagement over time",
              "content": "Hashtags and sounds", "cadence": "How many posts a week"}
    for name, png in charts.items():
        if png is not None:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<h2>{titles[name]}</h2><img alt='{name}' "
                         f"src='data:image/png;base64,{data}'>")
    parts.append("<h2>Next suggestions</h2>" + _suggestion_table(result))
    parts.append("<h2>How far to trust this</h2>" + _trust(manifest, result))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:left;vertical-align:top}.muted{color:#666}")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Report "
            f"{e(result.creator)}</title><style>{style}</style></head><body>"
            + "\n".join(parts) + "</body></html>")


def _suggestion_table(result: SuggestResult) -> str:
    e = html.escape
    rows = ["<tr><th>when</th><th>hashtags</th><th>sound</th><th>length</th>"
            "<th>predicted (80%)</th><th>lift</th><th>why</th></tr>"]
    for s in result.suggestions:
        rows.append(
            f"<tr><td>{s.post_at:%a %d %b %H:%M}</td><td>{e(' '.join('#' + t for t in s.hashtags))}"
            f"</td><td>{e(s.sound.name)}</td><td>{s.duration_s:.0f} s</td>"
            f"<td>{s.predicted:,.0f} ({s.low:,.0f}-{s.high:,.0f})</td><td>{s.lift:+.0f}%</td>"
            f"<td>{'<br>'.join(e(r) for r in s.reasons)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _trust(manifest: dict[str, Any], result: SuggestResult) -> str:
    """The backtest beside the baselines, in words (the raw manifest stays in the model
    directory's manifest.json and in `train --json`)."""
    e = html.escape
    backtest = manifest.get("backtest") or {}
    methods = {m.get("method"): m for m in backtest.get("methods", []) if isinstance(m, dict)}
    model, median = methods.get("model"), methods.get("creator_median")
    lines = [f"Model {e(str(result.model))}, trained on posts up to "
             f"{e(str((manifest.get('training_window') or {}).get('last_post', '?'))[:10])}."]
    if model and median and model.get("mae") is not None and median.get("mae") is not None:
        gain = 1 - float(model["mae"]) / float(median["mae"])
        verb = "better" if gain >= 0 else "worse"
        lines.append(
            f"Checked by time ({backtest.get('folds', '?')} folds, {int(model.get('n') or 0):,} "
            f"posts each predicted only from earlier data): its typical error is "
            f"{float(model['mae']):.2f} on the log scale (a factor of about "
            f"{np.exp(float(model['mae'])):.1f}), {abs(gain):.0%} {verb} than simply "
            f"expecting each creator's own trailing median.")
        if model.get("coverage") is not None:
            lines.append(f"Its {_interval_label(manifest)} intervals held "
                         f"{float(model['coverage']):.0%} of the outcomes.")
        within = model.get("within_creator_spearman")
        if within is not None:
            lines.append(f"Ranking one creator's posts against each other: Spearman "
                         f"{float(within):+.2f} (0 = no better than chance), the trailing "
                         f"median {float(median.get('within_creator_spearman') or 0):+.2f}.")
    else:
        lines.append("No backtest is recorded with this model: retrain it with "
                     "`recommender train` to see how far its figures hold.")
    lines.append(e(result.timing.note()))
    return "".join(f"<p>{line}</p>" for line in lines)


def _interval_label(manifest: dict[str, Any]) -> str:
    level = manifest.get("interval")
    return f"{float(level):.0%}" if isinstance(level, (int, float)) else "prediction"
