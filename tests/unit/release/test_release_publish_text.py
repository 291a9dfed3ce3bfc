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


def test_the_index_answer_is_quoted_from_its_first_line() -> None:
    output = "INFO     Response from http://127.0.0.1:9/:\n         400 Bad Request\nERROR    HTTPError: 400 Bad Request from http://127.0.0.1:9/\n"  # fmt: skip
    assert publish._telling(output).splitlines() == [
        "Response from http://127.0.0.1:9/:",
        "400 Bad Request",
        "HTTPError: 400 Bad Request from http://127.0.0.1:9/",
    ]


def test_without_the_index_answer_the_error_lines_and_their_continuations_are_quoted() -> None:
    output = "\n".join([
        "  Uploading distributions",  # indented, but no error before it
        "HTTPError: 400 Bad Request from http://127.0.0.1:9/",
        "         Invalid value for classifiers.",
        "Some plain line",
        "         not a continuation",
        "File already exists.",
        "  ERROR    upload failed",
    ])  # fmt: skip
    assert publish._telling(output).splitlines() == [
        "HTTPError: 400 Bad Request from http://127.0.0.1:9/",
        "Invalid value for classifiers.",
        "File already exists.",
        "upload failed",
    ]


def test_otherwise_the_last_lines_without_the_traceback_at_most_12_of_300_characters() -> None:
    traceback = (
        'Traceback (most recent call last):\n  File "x.py", line 1\n    raise X\nRuntimeError: boom'
    )
    assert publish._telling(traceback) == "RuntimeError: boom"
    many = "\n".join(f"line {n} " + "x" * 400 for n in range(13))
    quoted = publish._telling(many).split("\n")
    assert len(quoted) == 12 and quoted[0].startswith("line 1 ")
    assert {len(line) for line in quoted} == {300}


@pytest.mark.parametrize(
    "output",
    [
        "ERROR    HTTPError: 409 Conflict from http://127.0.0.1:9/\n",
        "ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:9/\n  cannot re-use a filename\n",
        "ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:9/\n  filename reuse is refused\n",
    ],
)
def test_a_conflict_or_a_refused_reuse_is_the_version_already_there(output: str) -> None:
    assert publish._already_there(output)
    assert publish._fix(output, INDEX).startswith("release a new version")


def test_401_is_a_credentials_refusal_too() -> None:
    output = "ERROR    HTTPError: 401 Unauthorized from http://127.0.0.1:9/\n"
    assert "refused the credentials (HTTP 401)" in publish._explain(output, INDEX, DISTS)
    assert publish._fix(output, INDEX).startswith("check the token in $DEMO_TOKEN")


def test_the_status_is_named_only_when_the_output_has_one() -> None:
    without = publish._explain("ERROR    something broke\n", INDEX, DISTS)
    assert without.splitlines()[0] == "twine could not upload to the production index (http://127.0.0.1:9/)"  # fmt: skip
    with_status = publish._explain("ERROR    HTTPError: 500 Server Error from http://127.0.0.1:9/\n", INDEX, DISTS)  # fmt: skip
    assert with_status.splitlines()[0].endswith("(http://127.0.0.1:9/) (HTTP 500)")


def test_the_token_and_the_url_passwords_are_masked_once_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = IndexSettings("staging", "https://me:pw-only-in-this-test@up.example/", "https://simple.example/", "ONE_TEST_TOKEN")  # fmt: skip
    monkeypatch.setenv("ONE_TEST_TOKEN", "token-only-in-this-test")
    assert publish.token_for(index) == "token-only-in-this-test"
    shown = records.SECRETS.mask("token-only-in-this-test and pw-only-in-this-test")
    assert "only-in-this-test" not in shown


def test_an_index_without_a_token_variable_needs_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_TOKEN", "unused")
    assert publish.token_for(IndexSettings("local", "http://127.0.0.1:9/", "http://127.0.0.1:9/simple/", "")) == ""  # fmt: skip


def test_a_missing_token_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_TOKEN", raising=False)
    with pytest.raises(UsageError) as caught:
        publish.token_for(INDEX)
    assert caught.value.fix.startswith("export DEMO_TOKEN=")


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (
            "Failed to establish a new connection: [Errno -2] Name or service not known",
            "the host name is not known",
        ),
        ("Max retries exceeded with url", "no connection"),
    ],
)
def test_the_reason_an_index_could_not_be_reached(output: str, reason: str) -> None:
    assert publish.unreachable_reason(output) == reason
