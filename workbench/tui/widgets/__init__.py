"""Widgets the screens share (screen tabs, the profile list, chat messages, exchange views)."""
