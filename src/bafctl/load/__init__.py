"""The loader's parts, behind the facade :mod:`bafctl.loader` (which every other module imports)."""
