"""How a run loads registers, as a value: built once at the CLI and passed down.

The library never reads the process environment for these; :mod:`bafctl.settings`
gathers them from flags and environment variables for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadOptions:
    """The cache and worker settings of one run.

    The defaults are what a library caller gets: the cache on, in the platform's user
    cache folder, bounded at 200 MB, one worker process per core for large cold loads,
    and the caller's garbage collector left exactly as it was.
    """

    use_cache: bool = True
    """False (``--no-cache``): every file is validated afresh; the cache is neither read nor filled."""
    cache_dir: Path | None = None
    """The cache folder; None for the platform's user cache folder."""
    cache_max_bytes: int | None = None
    """Bound on the cache's size; None for the default (200 MB)."""
    workers: int = 0
    """Worker processes for a large cold load: 0 for one per core (at most 8), 1 for none."""
    freeze_loaded: bool = False
    """Move what a load built out of later garbage collections (the CLI, whose process
    ends with the command, sets this; a library caller's collector is left alone)."""

    def with_cache(self, use_cache: bool) -> LoadOptions:
        """These options with the cache switched on or off."""
        return LoadOptions(use_cache, self.cache_dir, self.cache_max_bytes, self.workers, self.freeze_loaded)


#: What a library caller gets when it passes no options.
DEFAULT_LOAD_OPTIONS = LoadOptions()
