"""Masking: known secrets, and the credentials of any URL."""

from __future__ import annotations

import threading

from ci_sessions._secrets import Secrets, mask, split_credentials


def test_mask_hides_tokens_and_url_credentials() -> None:
    text = "token pypi-AgEIcHlwaS5vcmc and https://__token__:hunter22@example.test/simple/"
    masked = mask(text, ["pypi-AgEIcHlwaS5vcmc", ""])
    assert "pypi-AgEIcHlwaS5vcmc" not in masked and "hunter22" not in masked
    assert masked == "token **** and https://__token__:****@example.test/simple/"
    assert mask("git clone https://ghp_abcdef123456@github.com/o/r") == (
        "git clone https://****@github.com/o/r"
    )
    assert mask("a 1 b", ["1"]) == "a 1 b"  # too short to be a secret worth garbling output


def test_split_credentials_takes_them_out_of_the_url() -> None:
    assert split_credentials("https://__token__:pypi-x@idx.test:8080/legacy/") == (
        "https://idx.test:8080/legacy/",
        "__token__",
        "pypi-x",
    )
    assert split_credentials("http://127.0.0.1/") == ("http://127.0.0.1/", "", "")


def test_secrets_added_while_running_are_masked_line_by_line() -> None:
    secrets = Secrets(["first-secret"])
    threads = [
        threading.Thread(target=secrets.add, args=(f"value-{n}\nline-{n}",)) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert secrets.mask("first-secret line-3 value-7") == "**** **** ****"
    assert secrets.longest == len("value-0\nline-0")
