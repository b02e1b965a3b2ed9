"""Campaigns: topic content as data, safe rendering, and the campaign services."""
