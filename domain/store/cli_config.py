"""Config for Tortoise's own CLI (`tortoise -c domain.store.cli_config.TORTOISE_ORM
makemigrations`), used by developers to write new migrations. The app never imports it."""

import os

from domain.store.config import tortoise_config

TORTOISE_ORM = tortoise_config(
    os.environ.get("TRADECOVER_DATABASE_URL", "sqlite://var/makemigrations.sqlite3")
)
