"""Rådhus: an open, self-hostable AI platform for Swedish municipalities."""

__version__ = "0.1.0"
