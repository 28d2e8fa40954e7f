"""The interop suite's fixtures and hooks live in quiver_fixtures.py, shared with the command
line's suite; pytest finds them here because they are imported into this module."""

from quiver_fixtures import *  # noqa: F401,F403
from quiver_fixtures import pytest_runtest_makereport, pytest_sessionfinish  # noqa: F401
