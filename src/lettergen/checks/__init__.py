"""Proofreading: letters in, findings out. Never prints, never changes a letter."""
