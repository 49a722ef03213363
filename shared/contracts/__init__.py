"""The public event contract (CONTRACT.md) as pydantic models, one module per context."""
