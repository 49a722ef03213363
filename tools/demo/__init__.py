"""`make demo`: a whole annual cycle of the district through the bus, and the report for its leadership."""
