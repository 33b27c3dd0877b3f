"""The catalog: a SQLite database of everything photosift knows. This package is the only
part of photosift that imports peewee; it hands out ``core.models`` dataclasses."""

from core.store.catalog import Catalog, FileState, RootState
from core.store.schema import APPLICATION_ID, SCHEMA_VERSION

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Catalog", "FileState", "RootState"]
