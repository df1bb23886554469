"""Models: the registry (``registry``), plug-ins imported from a config's folder
(``plugins``), the shared TF-IDF features (``features``), and the baselines
(``baselines``, ``lexicon``, ``embeddings``, ``per_target``, ``selection``).

Importing this package registers the baselines; scikit-learn is imported only when a model
is built.
"""

from bench.models import baselines as _baselines  # noqa: F401  (registers the baselines)
from bench.models import external as _external  # noqa: F401  (registers predictions)
from bench.models.features import FEATURES, text_model
from bench.models.registry import REGISTRY, ModelSpec, register, resolve

__all__ = ["FEATURES", "REGISTRY", "ModelSpec", "register", "resolve", "text_model"]
