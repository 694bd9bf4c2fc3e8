"""What each command does, as typed functions: no Typer, no printing, no environment.

A command parses its options, calls one function here with plain values (paths, the
as-of date, :class:`bafctl.options.LoadOptions`), renders what it returns and picks the
exit code. Problems a command reports on stderr come back as values (skipped files,
revisions that did not load); refusals are exceptions from :mod:`bafctl.errors`.

One module a command: ``check``, ``summary``, ``breaches``, ``export``, ``report``,
``diff``, ``history``, ``rescore``; ``registers`` holds what they share (loading the
registers a command reads, the registers at an earlier revision).
"""
