"""The nox sessions: the only part of ci-sessions that imports nox.

``register`` defines a session per check, per Python and per tier; ``run`` is what each does;
``posargs`` parses their arguments; ``fix`` is ``nox -s fix``; ``matrix`` turns the noxfile's
sessions into a CI matrix.
"""

from ci_sessions.sessions.register import Registered, register_sessions

__all__ = ["Registered", "register_sessions"]
