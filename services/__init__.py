"""The five bounded contexts, one service each."""
