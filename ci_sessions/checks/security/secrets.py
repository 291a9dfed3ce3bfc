"""``secrets``: detect-secrets over the git-tracked files; secrets in the baseline are accepted.

A secret is reported by file, line and detector, never by value: detect-secrets' own output
carries only a hash, and nothing here copies a line of the scanned files anywhere. The baseline is
read, never rewritten (``detect-secrets scan --baseline`` would update it in place).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, TypedDict

from ci_sessions._git import is_work_tree, tracked_files
from ci_sessions.checks import tooljson
from ci_sessions.checks.base import (
    CheckBase,
    CheckContext,
    Environment,
    EnvSpec,
    error_result,
    pending_result,
    relative,
    skip_result,
)
from ci_sessions.checks.security import gate as secgate
from ci_sessions.checks.tooling import tool_env
from ci_sessions.results import Checked, CheckResult, Finding

#: detect-secrets' secret types -> the plugin (rule) that finds them
PLUGINS = {
    "AWS Access Key": "AWSKeyDetector",
    "Artifactory Credentials": "ArtifactoryDetector",
    "Azure Storage Account access key": "AzureStorageKeyDetector",
    "Base64 High Entropy String": "Base64HighEntropyString",
    "Basic Auth Credentials": "BasicAuthDetector",
    "Cloudant Credentials": "CloudantDetector",
    "Discord Bot Token": "DiscordBotTokenDetector",
    "GitHub Token": "GitHubTokenDetector",
    "GitLab Token": "GitLabTokenDetector",
    "Hex High Entropy String": "HexHighEntropyString",
    "IBM COS HMAC Credentials": "IbmCosHmacDetector",
    "IBM Cloud IAM Key": "IbmCloudIamDetector",
    "JSON Web Token": "JwtTokenDetector",
    "Mailchimp Access Key": "MailchimpDetector",
    "NPM tokens": "NpmDetector",
    "OpenAI Token": "OpenAIDetector",
    "Private Key": "PrivateKeyDetector",
    "Public IP (ipv4)": "IPPublicDetector",
    "PyPI Token": "PypiTokenDetector",
    "Secret Keyword": "KeywordDetector",
    "SendGrid API Key": "SendGridDetector",
    "Slack Token": "SlackDetector",
    "SoftLayer Credentials": "SoftlayerDetector",
    "Square OAuth Secret": "SquareOAuthDetector",  # pragma: allowlist secret
    "Stripe Access Key": "StripeDetector",
    "Telegram Bot Token": "TelegramBotTokenDetector",
    "Twilio API Key": "TwilioKeyDetector",
}
#: never scanned: machine output, environments (they hold other people's test keys) and the
#: folders of tools and environments, never the project's text: without git (``--all-files``)
#: detect-secrets would read them, and pytest's CACHEDIR.TAG holds a hex signature that reads as a
#: high-entropy string
ALWAYS_EXCLUDED = (
    r"^\.ci-sessions/", r"^\.nox/", r"^\.venv/", r"^\.tox/", r"(^|/)node_modules/",
    r"(^|/)\.pytest_cache/", r"(^|/)\.ruff_cache/", r"(^|/)\.mypy_cache/", r"(^|/)__pycache__/",
    r"(^|/)\.hypothesis/",
)  # fmt: skip


class SecretsCheck(CheckBase):
    """detect-secrets: any secret not in the baseline or the allow-list fails the gate."""

    name: ClassVar[str] = "secrets"
    tools: ClassVar[tuple[str, ...]] = ("detect-secrets",)
    #: a secret already committed on adoption day is accepted by the baseline (by its hash,
    #: never its value); a new one fails
    baselined: ClassVar[bool] = True

    def environments(self, ctx: CheckContext) -> dict[str, EnvSpec]:
        return {"detect-secrets": tool_env(ctx, "detect-secrets")}

    def run(self, ctx: CheckContext, envs: Mapping[str, Environment]) -> CheckResult:
        settings = ctx.settings("secrets")
        baseline_name = settings.str("baseline")
        excludes = [*ALWAYS_EXCLUDED, *settings.str_list("exclude")]
        if baseline_name:
            excludes.append("^" + _regex_escape(baseline_name) + "$")
        # ci-sessions' own findings baseline: its fingerprints are hex digests, which
        # detect-secrets takes for high-entropy strings; it holds no value of any secret
        findings_baseline = ctx.config.top.str("baseline")
        if findings_baseline:
            excludes.append("^" + _regex_escape(findings_baseline.removeprefix("./")) + "$")
        # -v logs every file it reads ("Checking file: ..."): what the check can show it checked
        argv = [str(envs["detect-secrets"].bin_dir / "detect-secrets"), "-v", "scan"]
        tracked = _in_git(ctx)
        if not tracked:
            argv.append("--all-files")  # without git, detect-secrets would scan nothing at all
        for pattern in excludes:
            argv += ["--exclude-files", pattern]
        argv += settings.str_list("args")
        run = ctx.exec(argv, envs["detect-secrets"])
        report = _json(run.stdout) if run.returncode == 0 else None
        if report is None:
            return error_result(
                ctx, self.name, f"detect-secrets failed (exit {run.returncode})", run.tail()
            )
        scanned = scanned_files(run.stderr)
        if scanned == 0:
            return _nothing_scanned(ctx, self.name, tracked, run.tail())
        accepted: set[tuple[str, str, str]] = set()
        baseline_path = ctx.root / baseline_name if baseline_name else None
        if baseline_path is not None and baseline_path.is_file():
            baseline = _json(baseline_path.read_text(encoding="utf-8", errors="replace"))
            if baseline is None:
                return error_result(
                    ctx,
                    self.name,
                    f"{baseline_name} is not a detect-secrets baseline (invalid JSON)",
                )
            accepted = {_key(s) for s in _secrets(baseline)}
        findings: list[Finding] = []
        in_baseline = 0
        for secret in _secrets(report):
            if _key(secret) in accepted:
                in_baseline += 1
                continue
            findings.append(to_finding(ctx.root, secret))
        findings.sort(key=lambda f: (f.path, f.line, f.rule))
        scope = "git-tracked files" if tracked else "all files (not a git repository)"
        lines = [f"{f.location()}: {f.rule}: {f.message}" for f in findings]
        lines.append(
            f"detect-secrets: {len(findings)} new secret(s) in {scope}; {in_baseline} in the baseline"
        )
        return pending_result(
            ctx,
            self.name,
            findings=findings,
            command=argv,
            output="\n".join(lines),
            metrics={"in_baseline": in_baseline, "files": scanned},
            checked=Checked("files", scanned),
        )

    def evaluate(self, ctx: CheckContext, result: CheckResult) -> CheckResult:
        return secgate.evaluate(ctx, result, check="secrets", noun="secrets")

    def cache_salt(self, ctx: CheckContext) -> str:
        """What else a cached PASS depends on (see secgate.cache_salt)."""
        return secgate.cache_salt(ctx, "secrets")


_CHECKING = re.compile(r"Checking file: (.+?)\s*$")


def scanned_files(log: str) -> int:
    """Distinct files detect-secrets read, from its ``-v`` log (``Checking file: x.py``)."""
    return len({m.group(1) for line in log.splitlines() if (m := _CHECKING.search(line))})


def _nothing_scanned(ctx: CheckContext, check: str, tracked: bool, tail: str) -> CheckResult:
    """detect-secrets read no file: SKIP when git tracks none yet, else ERROR (secrets.exclude
    or its arguments leave nothing to scan)."""
    if tracked and not tracked_files(ctx.root):
        return skip_result(
            ctx, check, "git tracks no files yet: detect-secrets scans tracked files only",
            checked=Checked("files", 0),
        )  # fmt: skip
    result = error_result(
        ctx, check, "detect-secrets scanned 0 files: secrets.exclude or secrets.args leave none",
        tail,
    )  # fmt: skip
    result.checked = Checked("files", 0)
    return result


def to_finding(root: Path, secret: DetectedSecret) -> Finding:
    """A finding that says where and what kind, never the value (or its hash)."""
    kind = secret["type"]
    path = relative(root, secret["filename"])
    line = secret["line_number"]
    digest = hashlib.sha256(f"{path}\0{kind}\0{secret['hashed_secret']}".encode()).hexdigest()
    return Finding(
        tool="detect-secrets",
        rule=PLUGINS.get(kind, kind.replace(" ", "")),
        message=f"{kind} found (value not shown)",
        path=path,
        line=line,
        severity="error",
        fingerprint=digest[:16],
    )


def _key(secret: DetectedSecret) -> tuple[str, str, str]:
    return (secret["filename"], secret["type"], secret["hashed_secret"])


class DetectedSecret(TypedDict):
    """One secret of a detect-secrets report or baseline (``results``: file -> list)."""

    filename: str
    type: str
    hashed_secret: str
    line_number: int


def _secrets(report: tooljson.JsonObject) -> list[DetectedSecret]:
    found: list[DetectedSecret] = []
    for filename, items in tooljson.member(report, "results").items():
        for item in tooljson.objects(items):
            found.append(
                DetectedSecret(
                    filename=tooljson.text(item, "filename", filename),
                    type=tooljson.text(item, "type", "secret"),
                    hashed_secret=tooljson.text(item, "hashed_secret"),
                    line_number=tooljson.integer(item, "line_number"),
                )
            )
    return found


def _in_git(ctx: CheckContext) -> bool:
    return is_work_tree(ctx.root)


def _json(text: str) -> tooljson.JsonObject | None:
    try:
        data: object = json.loads(text)
    except ValueError:
        return None
    return data if tooljson.is_object(data) else None


def _regex_escape(text: str) -> str:
    return re.escape(text)
