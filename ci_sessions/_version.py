"""The version of ci-sessions, in a module of its own so importing it never imports the rest."""

__version__ = "0.1.0"
