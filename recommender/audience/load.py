"""Read just what the audience job needs from a store.

``Store.load()`` rebuilds every canonical column, including each post's hashtag list (about
6 s per million posts on 2 cores); audience reads neither hashtags nor captions, so posts
are read with only the columns below (other tables whole, through ``Store.read``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender import schema, store_parts
from recommender.errors import StoreError, UsageError
from recommender.store import Store, StoreData

POST_COLUMNS = ("creator", "post_id", "posted_at", "views", "likes", "comments", "shares",
                "followers_at_post", "following_at_post")


def load_for_audience(root: str | Path) -> StoreData:
    store = Store(root)
    if not store.root.is_dir():
        raise UsageError(f"--data {root}: no such store directory; run `recommender ingest "
                         "EXPORT --data DIR` first")
    posts = _posts(store)
    return StoreData(posts=posts, account_daily=store.read("account_daily"),
                     follower_activity=store.read("follower_activity"),
                     creators=store.read("creators"))


def _posts(store: Store) -> pd.DataFrame:
    paths = store.files("posts")  # one file, or the buckets of a partitioned store
    if not paths:
        return schema.empty("posts")[list(POST_COLUMNS)]
    path = paths[0] if len(paths) == 1 else store.path("posts")
    try:
        frame = store_parts.read_files(paths, columns=list(POST_COLUMNS))
    except Exception as exc:  # pyarrow raises several types for damaged or foreign files
        raise StoreError(f"{path}: cannot read the posts table ({type(exc).__name__}); "
                         "re-run `recommender ingest` into a fresh --data directory") from exc
    for col in POST_COLUMNS:
        dtype = schema.POST_SCHEMA[col]
        if dtype.startswith("datetime64"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        elif dtype == "Int64":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
        else:
            frame[col] = frame[col].astype(dtype)
    return frame
