"""Configs: the schema (``schema``), reading and validating TOML (``load``), writing it
back (``dump``). Validation happens once, here; the rest of the package trusts a Config."""

from bench.config.dump import as_dict, to_toml
from bench.config.load import discover, load_config, load_configs
from bench.config.schema import (
    Config,
    DatasetConfig,
    MetricsConfig,
    ModelConfig,
    ProtocolConfig,
    ViewsConfig,
)

__all__ = [
    "Config",
    "DatasetConfig",
    "MetricsConfig",
    "ModelConfig",
    "ProtocolConfig",
    "ViewsConfig",
    "as_dict",
    "discover",
    "load_config",
    "load_configs",
    "to_toml",
]
