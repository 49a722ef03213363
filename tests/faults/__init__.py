"""Fault tests: hostile input, least privilege on the broker, personal data, crashes and outages."""
