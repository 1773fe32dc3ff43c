"""Production settings plus one URL that fails on purpose, for the production-stack test only
(``test_production_stack.py`` starts the real servers with this module)."""

from lotse.settings import *  # noqa: F403

ROOT_URLCONF = "lotse.core.tests.stack_urls"
