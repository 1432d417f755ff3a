"""Settings mypy's Django plugin loads: the real settings with the local defaults
(DEBUG on, so no production secret is needed just to type-check the code)."""

import os

os.environ["DEBUG"] = "true"  # type-checking never serves a request

from foodxchange.settings import *  # noqa: F403
