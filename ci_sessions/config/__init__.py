"""Configuration: packaged defaults -> ``[tool.ci-sessions]`` -> ``CI_SESSIONS_*``, validated and
frozen; the project's own facts (layout, dependencies, tool pins) and its Pythons."""

from ci_sessions.config.loader import ENV_PREFIX, Config, Section, env_name, load_config
from ci_sessions.config.toml import TOOL_TABLE, load_toml, read_project_table

__all__ = [
    "ENV_PREFIX",
    "TOOL_TABLE",
    "Config",
    "Section",
    "env_name",
    "load_config",
    "load_toml",
    "read_project_table",
]
