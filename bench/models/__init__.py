"""Models: the registry (``registry``), plug-ins imported from a config's folder
(``plugins``), the shared TF-IDF features (``features``), the baselines (``baselines``,
``lexicon``, ``embeddings``, ``per_target``, ``selection``), and the models that answer
item by item (``answering``): a predictions file (``external``) and a chat endpoint
(``chat``).

Importing this package registers the baselines; scikit-learn is imported only when a model
is built.
"""

from bench.models import baselines as _baselines  # noqa: F401  (registers the baselines)
from bench.models import chat as _chat  # noqa: F401  (registers openai_chat)
from bench.models import external as _external  # noqa: F401  (registers predictions)
from bench.models.features import FEATURES, text_model
from bench.models.registry import REGISTRY, ModelSpec, register, resolve

# the models stance-bench registers itself; a plug-in's registrations (its own
# ``@register`` or ``@text_model``) come later and are not among them
BUILTIN = frozenset(REGISTRY)

__all__ = ["BUILTIN", "FEATURES", "REGISTRY", "ModelSpec", "register", "resolve", "text_model"]
