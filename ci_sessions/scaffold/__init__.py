"""Adopting ci-sessions: ``init`` (detect the project, render the templates, never clobber),
``update`` (a 3-way merge of template changes) and ``migrate`` (tox, Makefile, workflows)."""
