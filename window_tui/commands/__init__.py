"""Handlers for the `window-tui` subcommands; each imports what it needs lazily."""
