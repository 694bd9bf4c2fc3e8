"""A configuration file that is not a regular file is refused, never read (no hang)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bafctl.config import _read_toml, load_config
from bafctl.errors import ConfigError


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_as_the_config_file_is_refused_without_blocking(tmp_path: Path) -> None:
    """issue 11 #8 (config): `open()` on a FIFO named bafctl.toml would wait for a writer for ever."""
    fifo = tmp_path / "bafctl.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"bafctl\.toml"):
        load_config(explicit=fifo, rules={})
    # Past the look-up too (a FIFO swapped in after it): the read itself refuses it.
    with pytest.raises(ConfigError, match="not a regular file"):
        _read_toml(fifo)
