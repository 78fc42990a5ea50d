"""docs/losses.md is generated from the registry; it must be regenerated whenever an entry changes."""
from __future__ import annotations

from pathlib import Path

from losslab.losses.cards import DOCS_COMMAND, generate_docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "losses.md"


def test_docs_losses_md_is_current():
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "(missing)"
    assert current == generate_docs(), f"docs/losses.md is out of date: run `{DOCS_COMMAND}`"
