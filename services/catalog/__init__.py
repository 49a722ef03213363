"""Catalog: the purchasable projects a district publishes, and each project's lifecycle."""
