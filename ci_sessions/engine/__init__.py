"""Running checks: environments made and reused (``environments``), the result cache
(``cache``), and the concurrent runner that orders checks by their ``after`` dependencies."""

from ci_sessions.engine.environments import EnvManager, choose_backend
from ci_sessions.engine.runner import Invocation, RunOptions, run_checks

__all__ = ["EnvManager", "Invocation", "RunOptions", "choose_backend", "run_checks"]
