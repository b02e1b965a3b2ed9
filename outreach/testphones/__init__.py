"""Test phones: staff phones for test sends and the phone simulator, and who staff may speak as."""
