"""window-tui: the counter console for comprehensive windows of government service halls."""

__version__ = "0.1.0"
