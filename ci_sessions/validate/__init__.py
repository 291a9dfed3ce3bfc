"""``ci-sessions validate``: rules a repository's CI set-up should follow, also a repo-review
plugin."""

from ci_sessions.validate.rules import Outcome, Repo, Rule, evaluate

__all__ = ["Outcome", "Repo", "Rule", "evaluate"]
