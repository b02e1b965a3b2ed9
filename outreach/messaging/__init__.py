"""Outbound and inbound messaging: providers, dispatcher, segments, keywords."""
