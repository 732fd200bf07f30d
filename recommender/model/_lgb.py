"""Import LightGBM without its optional scikit-learn integration.

``import lightgbm`` also imports scikit-learn (and through it scipy.stats) to offer its
``LGBMRegressor`` wrappers: ~1.8 s of a ~2.3 s import on our 2-core machines. We use only
``lightgbm.train`` and ``Booster``, which do not need it, and ``recommender suggest`` must
answer in about 2 s as a whole process. So the first import hides scikit-learn from
LightGBM's optional-import check; scikit-learn stays importable for everything else.
"""

from __future__ import annotations

import sys
from types import ModuleType


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
