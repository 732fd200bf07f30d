"""``score`` on a Dask cluster: the plan partitioned by creator, scored by ``map_partitions``.

The client reads and validates the plan (vectorised, as on one machine) and decides the
plan-wide choices (better-slot method, when the usual posts are profiled: ``score.methods``). The
good rows go into a Dask DataFrame whose partitions hold whole creators (the creator's
store bucket, ``store_parts.buckets_of``); each partition is scored by the single-machine
code (``score._score_into``) on a worker. The model directory's files and the store's
tables are one task each in the graph, fetched once by each worker that scores a partition
(a value recomputed if its worker dies, unlike scattered data), and each worker loads the
model once (cached by the bundle's digest).

What is partition-local: everything per creator (history state, ranks within the creator,
the hour-of-week tables, better slots). What is broadcast: the model and the store (the
cross-creator feature parts, tag popularity and trend momentum, read it whole). The
results equal the single-machine path row for row (tested on a LocalCluster).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender import store_parts
from recommender.distributed import cluster
from recommender.recommend import score as single
from recommender.recommend.candidates import QUERY_COLUMNS
from recommender.store import StoreData

ROW = "__plan_row"
NUMBERS = ("predicted", "low", "high", "lift_pct", "level_pct", "rank", "better_slot_gain_pct")
TEXTS = ("reasons", "better_slot")
PARTITIONS_PER_WORKER = 4

_MODELS: dict[str, Any] = {}  # per worker process: bundle digest -> loaded model


class ModelBundle:
    """A model directory's files as bytes: what a worker needs to load the very model."""

    def __init__(self, directory: Path, version: str | None) -> None:
        self.name = directory.name
        self.version = version
        self.files = {p.relative_to(directory).as_posix(): p.read_bytes()
                      for p in sorted(directory.rglob("*")) if p.is_file()}
        digest = hashlib.sha256()
        for name, blob in self.files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(blob).digest())
        self.digest = digest.hexdigest()

    def load(self) -> Any:
        model = _MODELS.get(self.digest)
        if model is None:
            from recommender.model.artifact import load_model

            root = Path(tempfile.mkdtemp(prefix="recommender-model-")) / self.name
            for name, blob in self.files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(blob)
            model = load_model(root)
            model.version = self.version
            _MODELS[self.digest] = model
        return model


class Broadcast:
    """The store's tables, scattered as one object (a dict would be scattered per key)."""

    def __init__(self, data: StoreData) -> None:
        self.data = data


def champion_bundle(models_dir: str | Path) -> ModelBundle:
    from recommender.errors import ModelError
    from recommender.model.registry import champion_info, champion_path, load_champion

    load_champion(models_dir)  # the same one-line errors as on one machine, checked here
    info = champion_info(models_dir)
    if info is None:  # pragma: no cover - load_champion raised already
        raise ModelError(f"{models_dir}: no trained model yet")
    return ModelBundle(champion_path(models_dir, info["version"]), str(info["version"]))


def score_plan_dask(plan: str | Path, data: StoreData, bundle: ModelBundle, client: Any,
                    progress: bool = False) -> single.ScoreResult:
    """``score.score_plan`` with the scoring on the cluster ``client`` talks to."""
    import dask
    import dask.dataframe as dd

    model = bundle.load()  # the client's own copy, for the plan-wide parts (notes, names)
    frame, queries, rejected = single.prepare(plan, data)
    good = queries["ok"].to_numpy()
    columns = single.empty_columns(len(frame))
    method = "none"
    if good.any():
        rows = queries.loc[good, [*QUERY_COLUMNS, "zone"]]
        decided = single.methods(rows)
        method = decided[0]
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        creators = rows["creator"].nunique()
        parts = max(1, min(creators, n_workers * PARTITIONS_PER_WORKER))
        keyed = rows.assign(**{ROW: rows.index.to_numpy()})
        keyed.index = pd.Index(store_parts.buckets_of(rows["creator"], parts), name="part")
        # As they are: Dask would turn object columns (captions, sound names) into Arrow
        # strings, and the features read missing values off the pandas dtypes.
        with dask.config.set({"dataframe.convert-string": False}):
            plan_frame = dd.from_pandas(keyed.sort_index(kind="stable"), npartitions=parts,
                                        sort=True)
        # One task each, in the graph (not scattered: scattered data dies with its worker,
        # a task's value is recomputed): each worker fetches them once, whatever the
        # number of its partitions.
        model_task = dask.delayed(bundle, name=f"model-{bundle.digest[:16]}")
        data_task = dask.delayed(Broadcast(data), name=f"store-{tokenize_store(data)}")
        scored = plan_frame.map_partitions(_score_partition, model_task, data_task,
                                           decided, meta=_meta(), align_dataframes=False)
        result = cluster.compute(client, scored, f"score {plan}", progress)
        at = result[ROW].to_numpy(dtype=np.int64)
        for name in NUMBERS:
            columns[name][at] = result[name].to_numpy(dtype="float64")
        for name in TEXTS:
            filled = result[name].to_numpy(dtype=object)
            keep = filled != ""
            if keep.any():
                texts, codes = np.unique(filled[keep].astype(str), return_inverse=True)
                columns[name].put(at[keep], codes, texts)
    return single.finish(plan, frame, queries, rejected, columns, method, model)


def tokenize_store(data: StoreData) -> str:
    from recommender.store import fingerprint_posts

    return f"{fingerprint_posts(data.posts)}-{len(data.trends)}-{len(data.creators)}"


def _meta() -> pd.DataFrame:
    meta = {ROW: pd.Series(dtype="int64")}
    meta.update({name: pd.Series(dtype="float64") for name in NUMBERS})
    meta.update({name: pd.Series(dtype=object) for name in TEXTS})
    return pd.DataFrame(meta)


def _score_partition(part: pd.DataFrame, bundle: ModelBundle, store: Broadcast,
                     decided: tuple[str, pd.Timestamp]) -> pd.DataFrame:
    """One partition (whole creators) scored by the single-machine code, on a worker."""
    if part.empty:
        return _meta()
    queries = part.drop(columns=[ROW]).reset_index(drop=True)
    columns = single.empty_columns(len(queries))
    single._score_into(columns, queries, store.data, bundle.load(), decided)
    out = {ROW: part[ROW].to_numpy(dtype=np.int64)}
    out.update({name: columns[name] for name in NUMBERS})
    for name in TEXTS:
        out[name] = np.asarray(columns[name].column(), dtype=object)
    return pd.DataFrame(out)


def score_job(plan: str | Path, data_dir: str | Path, models_dir: str | Path, address: str,
              out: Path | None = None, progress: bool = False) -> single.ScoreResult:
    """The job behind ``score --scheduler``: connect, score, and write ``out`` (a file as on
    one machine, or a directory without a suffix: a Parquet dataset written by the workers,
    one file per partition, in plan order)."""
    from recommender.store import Store

    data = Store(data_dir).load()
    bundle = champion_bundle(models_dir)
    with cluster.connect(address) as client:
        result = score_plan_dask(plan, data, bundle, client, progress)
        if out is not None and out.suffix == "":
            write_dataset(client, result.rows, out, progress)
        elif out is not None:
            from recommender.recommend.plan_io import write_plan

            write_plan(result.rows, out)
    return result


def write_dataset(client: Any, rows: pd.DataFrame, out: Path, progress: bool = False) -> None:
    import dask
    import dask.dataframe as dd
    import pyarrow as pa

    from recommender.errors import InputError

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out}: exists and is not an empty folder; choose a new "
                         "folder for the Parquet dataset (or a .csv file)")
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    parts = max(1, min(len(rows) // 50_000 + 1, n_workers * PARTITIONS_PER_WORKER))
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_pandas(rows.reset_index(drop=True), npartitions=parts, sort=True)
    # The schema from the rows themselves: Dask's own guess reads its placeholder values,
    # which older releases fill object columns with (pyarrow cannot type those).
    schema = pa.Schema.from_pandas(rows.head(10_000), preserve_index=False)
    cluster.compute(client, frame.to_parquet(str(out), write_index=False, compute=False,
                                             schema=schema),
                    f"write {out}", progress)
