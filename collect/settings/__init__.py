"""Default settings: the embedded, single-machine configuration (see base.py)."""

from collect.settings.base import *  # noqa: F403
