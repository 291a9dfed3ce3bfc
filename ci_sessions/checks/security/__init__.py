"""Security checks (bandit, pip-audit and local advisories, detect-secrets) and what they share:
security levels, allow-lists with reasons and expiry dates, and the one way they are gated."""
