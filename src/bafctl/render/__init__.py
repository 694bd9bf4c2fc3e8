"""Renderers: pure functions from core results to text in one output format each."""
