"""The code that reads pip-audit's JSON, on JSON from a real pip-audit run: a local OSV service
(the network's is unreachable here) answers for six, so the report holds a vulnerability with its
fix version and aliases; a URL requirement is skipped by pip-audit with its reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from ci_sessions.checks.security.audit import Audit, read_pip_audit_report
from ci_sessions.checks.security.levels import AuditPolicy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SIX_VULN = {
    "id": "GHSA-test-six0-0001",
    "aliases": ["CVE-2099-1234", "PYSEC-2099-99"],
    "summary": "test vulnerability of six",
    "modified": "2026-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "six"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.17.0"}]}],
        }
    ],
}


class _OSV(BaseHTTPRequestHandler):
    """POST /v1/query: six has one vulnerability, everything else none."""

    def do_POST(self) -> None:
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        vulns = [SIX_VULN] if asked.get("package", {}).get("name") == "six" else []
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OSV)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


def _pip_audit_pin() -> str:
    tools = yaml.safe_load((ROOT / "configs" / "quality-tiers.yaml").read_text())["tools"]
    return str(tools["pip-audit"])


def test_vulnerabilities_fix_versions_aliases_and_skips_from_real_pip_audit_json(
    tmp_path: Path, osv_url: str
) -> None:
    uvx = shutil.which("uvx") or str(Path(shutil.which("uv") or "uv").with_name("uvx"))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "six==1.16.0\nidna==3.10\nlocal-thing @ file:///nonexistent/local_thing-1.0.tar.gz\n"
    )
    done = subprocess.run(
        [uvx, "--from", _pip_audit_pin(), "pip-audit", "-r", str(requirements), "--no-deps",
         "--disable-pip", "-f", "json", "--progress-spinner", "off", "--desc", "off",
         "--aliases", "on", "-s", "osv", "--osv-url", osv_url,
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = [\n  "six==1.16.0",\n]\n'
    )
    audit = Audit()
    policy = AuditPolicy(severity="MEDIUM", unfixed=False, unknown_severity="HIGH")
    read_pip_audit_report(tmp_path, report, {"six": "1.16.0", "idna": "3.10"}, policy, audit)

    assert len(audit.findings) == 1, report
    finding = audit.findings[0]
    # pip-audit names a PYSEC id first when the record has one; the others become aliases
    assert finding.rule == "PYSEC-2099-99"
    assert finding.message == (
        "six 1.16.0: PYSEC-2099-99 [aliases: CVE-2099-1234, GHSA-test-six0-0001] fixed in 1.17.0"
    )
    assert (finding.path, finding.line) == ("pyproject.toml", 5)  # where six is declared
    assert finding.severity == "error"  # unknown severity counts as HIGH, and a fix exists
    assert set(audit.unreachable) == {"local-thing"}, report
    assert "URL requirements" in audit.unreachable["local-thing"]  # pip-audit's own reason
