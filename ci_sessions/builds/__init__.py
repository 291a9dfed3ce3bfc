"""Building a project's distributions, and the double build that shows they are reproducible.

One build (``builder``: sdist then wheel, ``uv build`` or ``python -m build``, with
``SOURCE_DATE_EPOCH`` at the commit time), the double build (``double_build``: two clean copies,
two builds, sha256 compared, every differing archive member named by ``archdiff``), and what a
build needs to know of the project: where its version lives (``sources``), its version tags
(``tags``), its ``pyproject.toml`` (``pyproject``). The reproducible check (checks/) and the
release (release/) both call them in-process: this package sits below both, above the config.
"""
