"""The pytest plugin of the progress board; its directory goes on PYTHONPATH (see progress.py)."""
