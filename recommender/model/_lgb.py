"""LightGBM without its import cost where we only predict.

``import lightgbm`` pulls in scikit-learn (for its ``LGBMRegressor`` wrappers) and
scipy.sparse (for sparse inputs we never pass): ~1.8 s and ~0.2 s of a `recommender
suggest` that has 2 s in all. Two remedies:

- ``lightgbm()``: the package for training, imported with scikit-learn hidden from its
  optional-import check (we use ``lightgbm.train`` and ``Booster`` only); scikit-learn
  stays importable for everything else.
- ``load_booster()``: a trained model for prediction, through LightGBM's own C API in the
  package's shared library (``LGBM_BoosterCreateFromModelfile``, ``...PredictForMat``): the
  same library and calls ``lightgbm.Booster`` makes, without importing the Python package.
  Where the library cannot be found it falls back to ``lightgbm.Booster``.

Every training and prediction goes through ``train`` and ``predict`` here, which hold
``THREAD_COUNT`` (see ``ThreadCountGate``): LightGBM keeps one thread count for the whole
process, and two calls at once with different counts corrupt memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import importlib.util
import os
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

_PREDICT_NORMAL, _PREDICT_CONTRIB = 0, 3
_FLOAT64 = 1
_IMPORTANCE = {"split": 0, "gain": 1}


def lightgbm() -> ModuleType:
    module = sys.modules.get("lightgbm")
    if module is not None:
        return module
    if "sklearn" in sys.modules:  # already paid for: a plain import costs nothing more
        import lightgbm as plain

        return plain
    sys.modules["sklearn"] = None  # type: ignore[assignment]  # makes `import sklearn` fail
    try:
        import lightgbm as lean
    finally:
        del sys.modules["sklearn"]
    return lean


def version() -> str:
    """The installed LightGBM version, without importing it."""
    module = sys.modules.get("lightgbm")
    if module is not None:
        return str(module.__version__)
    return importlib.metadata.version("lightgbm")


class BoosterError(ValueError):
    """LightGBM refused a model file or an input (its own message)."""


def load_booster(path: str | Path) -> Any:
    """A booster for ``path`` with ``predict``, ``feature_name``, ``feature_importance``,
    ``num_feature`` and ``save_model``; raises BoosterError for an unreadable file."""
    library = _library()
    if library is None:
        lgb = lightgbm()
        try:
            return lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise BoosterError(str(exc)) from exc
    return NativeBooster(library, Path(path))


def clone(booster: Any) -> Any:
    """An independent copy of ``booster`` (its own LightGBM handle): concurrent predictions
    on one handle are not documented as safe, so each thread predicts with its own."""
    if isinstance(booster, NativeBooster):
        return NativeBooster(booster._lib, None, booster.model_to_string().encode())
    return lightgbm().Booster(model_str=booster.model_to_string())


class ThreadCountGate:
    """Lets LightGBM calls overlap only when they use the same thread count.

    LightGBM (4.x) keeps the count in one process-wide variable that each call sets from
    its ``num_threads`` (<= 0: OpenMP's default, every core). A call sizes its per-thread
    buffers from it when it starts and reads it again in each parallel loop, so a call
    that started with one thread runs two once another thread's call sets "every core",
    writes past its buffers and kills the process. That is what crashed a CI run (a
    backtest fold predicting on every core while the other fold trained on one): two
    threads, one training at 1 and one predicting at 0, segfault within seconds.

    A call with another count than those running waits until none runs. Calls with the
    running count are let in unless a call with another count waits; when the last
    running call ends, the waiting count goes next (its turn), so no count is starved by
    a thread that calls again at once. A thread already inside may call again with the
    same count."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._count: int | None = None  # the running calls' count
        self._running = 0
        self._waiting: Counter[int] = Counter()
        self._turn: int | None = None  # the count that goes next
        self._mine = threading.local()

    @staticmethod
    def key(num_threads: int) -> int:
        """The count LightGBM records for ``num_threads`` (every value <= 0 is one)."""
        return max(int(num_threads), 0)

    def held_by_me(self) -> int | None:
        """The count this thread holds the gate with, None outside it."""
        return getattr(self._mine, "count", None)

    def waiting(self) -> int:
        with self._condition:
            return sum(self._waiting.values())

    def _other_waiting(self, count: int | None) -> int | None:
        return next((k for k, n in self._waiting.items() if n and k != count), None)

    def _may_enter(self, count: int) -> bool:
        if self._turn is not None:
            return self._turn == count
        if self._running == 0:
            return True
        return self._count == count and self._other_waiting(count) is None

    @contextlib.contextmanager
    def held(self, num_threads: int) -> Iterator[None]:
        count = self.key(num_threads)
        mine = self.held_by_me()
        if mine is not None:
            if mine != count:  # it would wait for itself
                raise RuntimeError(f"a LightGBM call with {count} threads inside one with "
                                   f"{mine}")
            yield
            return
        with self._condition:
            self._waiting[count] += 1
            try:
                self._condition.wait_for(lambda: self._may_enter(count))
            except BaseException:  # interrupted while waiting: the others re-check
                self._condition.notify_all()
                raise
            finally:
                self._waiting[count] -= 1
                if self._turn == count and not self._waiting[count]:
                    self._turn = None  # this count's turn is taken (or given up)
            self._count, self._running = count, self._running + 1
        self._mine.count = count
        try:
            yield
        finally:
            self._mine.count = None
            with self._condition:
                self._running -= 1
                if not self._running:
                    self._turn = self._other_waiting(self._count)
                self._condition.notify_all()


THREAD_COUNT = ThreadCountGate()


def train(params: dict[str, Any], dataset: Any, **kwargs: Any) -> Any:
    """``lightgbm.train`` holding THREAD_COUNT at ``params["num_threads"]``."""
    with THREAD_COUNT.held(int(params.get("num_threads", 0))):
        return lightgbm().train(params, dataset, **kwargs)


def predict(booster: Any, data: Any, num_threads: int = 0, pred_contrib: bool = False
            ) -> np.ndarray:
    """``booster.predict`` (either kind) holding THREAD_COUNT at ``num_threads``."""
    with THREAD_COUNT.held(num_threads):
        return booster.predict(data, pred_contrib=pred_contrib, num_threads=num_threads)


_LIB: ctypes.CDLL | None = None


def _library() -> ctypes.CDLL | None:
    global _LIB
    if _LIB is not None:
        return _LIB
    spec = importlib.util.find_spec("lightgbm")
    if spec is None or not spec.submodule_search_locations:
        return None
    name = {"win32": "lib_lightgbm.dll", "darwin": "lib_lightgbm.dylib"}.get(
        sys.platform, "lib_lightgbm.so")
    for base in map(Path, spec.submodule_search_locations):  # as lightgbm/libpath.py looks
        for candidate in (base.parent / name, base / "bin" / name, base / "lib" / name):
            if candidate.is_file():
                library = ctypes.cdll.LoadLibrary(str(candidate))
                library.LGBM_GetLastError.restype = ctypes.c_char_p
                _LIB = library
                return library
    return None


@contextlib.contextmanager
def _c_stderr_silenced() -> Iterator[None]:
    """Discard what C code writes to file descriptor 2 meanwhile (LightGBM prints fatal
    errors there itself before returning them; we report them in one line instead)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class NativeBooster:
    """A LightGBM model loaded through the C API (see the module docstring)."""

    def __init__(self, library: ctypes.CDLL, path: Path | None, text: bytes = b"") -> None:
        """From the model file ``path``, or (``path=None``) from the model ``text``."""
        self._lib = library
        self._handle = ctypes.c_void_p()
        iterations = ctypes.c_int()
        with _c_stderr_silenced():  # its "[LightGBM] [Fatal] ..." line; the message is raised
            if path is None:
                self._call("LGBM_BoosterLoadModelFromString", ctypes.c_char_p(text),
                           ctypes.byref(iterations), ctypes.byref(self._handle))
            else:
                self._call("LGBM_BoosterCreateFromModelfile", str(path).encode(),
                           ctypes.byref(iterations), ctypes.byref(self._handle))
        count = ctypes.c_int()
        self._call("LGBM_BoosterGetNumFeature", self._handle, ctypes.byref(count))
        self._n_features = count.value

    def __del__(self) -> None:
        if getattr(self, "_handle", None) and self._handle.value:
            self._lib.LGBM_BoosterFree(self._handle)

    def _call(self, name: str, *args: Any) -> None:
        if getattr(self._lib, name)(*args) != 0:
            raise BoosterError(self._lib.LGBM_GetLastError().decode(errors="replace"))

    def num_feature(self) -> int:
        return self._n_features

    def feature_name(self) -> list[str]:
        size = 256
        while True:
            buffers = [ctypes.create_string_buffer(size) for _ in range(self._n_features)]
            pointers = (ctypes.c_char_p * self._n_features)(
                *[ctypes.addressof(b) for b in buffers])
            count, needed = ctypes.c_int(), ctypes.c_size_t()
            self._call("LGBM_BoosterGetFeatureNames", self._handle,
                       ctypes.c_int(self._n_features), ctypes.byref(count),
                       ctypes.c_size_t(size), ctypes.byref(needed), pointers)
            if needed.value <= size:
                return [b.value.decode() for b in buffers[: count.value]]
            size = needed.value

    def feature_importance(self, importance_type: str = "split") -> np.ndarray:
        out = np.zeros(self._n_features, dtype=np.float64)
        self._call("LGBM_BoosterFeatureImportance", self._handle, ctypes.c_int(-1),
                   ctypes.c_int(_IMPORTANCE[importance_type]),
                   out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        return out if importance_type == "gain" else out.astype(np.int32)

    def predict(self, data: Any, pred_contrib: bool = False, num_threads: int = 0
                ) -> np.ndarray:
        """As ``lightgbm.Booster.predict``; ``num_threads`` 0: OpenMP's default."""
        matrix = np.ascontiguousarray(np.asarray(data, dtype=np.float64))
        if matrix.ndim != 2 or matrix.shape[1] != self._n_features:
            raise BoosterError(f"the model expects {self._n_features} features, the data has "
                               f"{matrix.shape[1] if matrix.ndim == 2 else matrix.shape}")
        rows = matrix.shape[0]
        width = self._n_features + 1 if pred_contrib else 1
        out = np.empty(rows * width, dtype=np.float64)
        if rows:
            length = ctypes.c_int64()
            self._call("LGBM_BoosterPredictForMat", self._handle,
                       matrix.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(_FLOAT64),
                       ctypes.c_int32(rows), ctypes.c_int32(self._n_features),
                       ctypes.c_int(1), ctypes.c_int(_PREDICT_CONTRIB if pred_contrib
                                                     else _PREDICT_NORMAL),
                       ctypes.c_int(0), ctypes.c_int(-1),
                       ctypes.c_char_p(f"num_threads={num_threads}".encode()),
                       ctypes.byref(length), out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        return out.reshape(rows, width) if pred_contrib else out

    def model_to_string(self) -> str:
        size = ctypes.c_int64(1 << 20)
        while True:
            buffer = ctypes.create_string_buffer(size.value)
            needed = ctypes.c_int64()
            self._call("LGBM_BoosterSaveModelToString", self._handle, ctypes.c_int(0),
                       ctypes.c_int(-1), ctypes.c_int(0), size, ctypes.byref(needed), buffer)
            if needed.value <= size.value:
                return buffer.value.decode()
            size = needed

    def save_model(self, filename: str) -> None:
        self._call("LGBM_BoosterSaveModel", self._handle, ctypes.c_int(0), ctypes.c_int(-1),
                   ctypes.c_int(0), str(filename).encode())
