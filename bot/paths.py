"""Filesystem locations of the project's inputs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    """Return the knowledge-base folder (``$CARREFOUR_KNOWLEDGE_DIR`` or ``knowledge/``)."""
    override = os.environ.get("CARREFOUR_KNOWLEDGE_DIR")
    return Path(override) if override else REPO_ROOT / "knowledge"


WEB_DIR = REPO_ROOT / "web"
