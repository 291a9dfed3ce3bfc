"""What a person reads when an upload fails, and that no token ever reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_sessions.builds.dists import Distributions
from ci_sessions.errors import UsageError
from ci_sessions.release import publish, records
from ci_sessions.release.settings import IndexSettings

INDEX = IndexSettings(
    "production", "http://127.0.0.1:9/", "http://127.0.0.1:9/simple/", "DEMO_TOKEN"
)
DISTS = Distributions("demo", "1.0.0", (Path("demo-1.0.0.tar.gz"),), {}, ("demo",))

PYPISERVER_400 = """\
Uploading demo-1.0.0-py3-none-any.whl
INFO     Response from http://127.0.0.1:9/:
         400 Bad Request
             <pre>Package &#039;demo-1.0.0-py3-none-any.whl&#039;
         already exists!
ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:9/
         Bad Request
"""
PYPI_400 = "ERROR    HTTPError: 400 Bad Request from https://upload.pypi.org/legacy/\n         File already exists ('demo-1.0.0.tar.gz', with blake2_256 hash 'x').\n"
REFUSED = "ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:9/\n         Invalid or non-existent authentication information.\n"
METADATA_400 = "ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:9/\n         Invalid value for classifiers.\n"


@pytest.mark.parametrize("output", [PYPISERVER_400, PYPI_400])
def test_same_version_twice_is_named_as_such(output: str) -> None:
    message = publish._explain(output, INDEX, DISTS)
    assert message.startswith("demo 1.0.0 is already on the production index")
    assert "HTTP 400" in message
    assert publish._fix(output, INDEX).startswith("release a new version")


def test_credentials_and_other_refusals() -> None:
    assert "refused the credentials (HTTP 403)" in publish._explain(REFUSED, INDEX, DISTS)
    assert "$DEMO_TOKEN" in publish._fix(REFUSED, INDEX)
    other = publish._explain(METADATA_400, INDEX, DISTS)
    assert "already" not in other and "Invalid value for classifiers" in other


def test_unreachable_index_shows_no_traceback() -> None:
    output = (
        'Traceback (most recent call last):\n  File "x.py", line 1, in send\n    raise ConnectionError(e)\n'
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries "
        'exceeded (Caused by NewConnectionError("Failed to establish a new connection: [Errno 111] Connection refused"))\n'
    )
    message = publish._explain(output, INDEX, DISTS)
    assert message.startswith("could not reach the production index")
    assert "Traceback" not in message and 'File "x.py"' not in message


def test_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_TOKEN", raising=False)
    with pytest.raises(UsageError, match=r"needs a token in \$DEMO_TOKEN"):
        publish.token_for(INDEX)
    monkeypatch.setenv("DEMO_TOKEN", "pypi-secret")
    assert publish.token_for(INDEX) == "pypi-secret"
    # read once, masked everywhere the release writes from then on
    assert records.SECRETS.mask("said pypi-secret") == "said ****"
