"""Storage: SQLAlchemy 2.x models, the engine and its migrations, the storage API."""
