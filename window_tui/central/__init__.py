"""The reference central platform: queue, shared-data registries, catalog and
case intake over HTTP on SQLite. Never imports Textual."""
