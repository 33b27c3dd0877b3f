"""Textual CSS of the photosift app (shipped in the wheel)."""
