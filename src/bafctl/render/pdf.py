"""PDF from the HTML report, printed by headless Chromium.

Why Chromium rather than WeasyPrint: the board report is designed, checked and tested
in Chromium (the browser tests print it and measure every table), so the PDF is exactly
what a governance officer gets from "Print" in Edge or Chrome; Chromium implements the
CSS the report uses (page-margin boxes for running headers, ``counter(pages)``, flex,
``print-color-adjust``); and it adds no Python dependency with native libraries (Pango,
cairo, GDK-PixBuf) to bafctl itself. The cost is an external program: ``--format pdf``
needs ``chromium`` (or Chrome) installed, and says so in one line when it is not.

The HTML is printed from a private temporary folder with a throw-away profile; the page
has a CSP that forbids scripts and every network fetch. Chromium stamps the print time
into the PDF's ``/CreationDate`` and ``/ModDate``; those are rewritten, byte for byte in
place, to the report's date, so the same registers at the same revision give the same
PDF (the same registers give the same bytes).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bafctl.errors import BrowserError

#: Names tried on PATH, in order, when ``BAFCTL_CHROMIUM`` is not set.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Seconds Chromium may take to print one report.
PRINT_TIMEOUT = 180

_PDF_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\(D:(\d{14})")


def find_browser(configured: str | None = None) -> str | None:
    """The Chromium to print with: ``configured`` (the CLI's ``$BAFCTL_CHROMIUM``), else the first on PATH."""
    if configured:
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def fix_pdf_dates(pdf: bytes, date: dt.date) -> bytes:
    """Set the PDF's creation and modification dates to ``date`` (midnight UTC).

    Only the 14 digits are replaced, so every byte offset (and the xref table) stays valid.
    """
    stamp = date.strftime("%Y%m%d000000").encode("ascii")
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + stamp, pdf)


def browser_command(browser: str, source: Path, target: Path, profile: Path) -> list[str]:
    """The Chromium command line that prints ``source`` to ``target``."""
    return [
        browser,
        "--headless",
        # The sandbox cannot start as root or in most containers (CI). The page is our
        # own escaped HTML whose CSP forbids scripts and all network access.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={target}",
        source.as_uri(),
    ]


def _run(command: list[str], env: dict[str, str], timeout: float, executable: str) -> tuple[int, bytes]:
    # Chromium starts helper processes: run it in its own session so that, on a
    # timeout, the whole group is ended and nothing is left behind.
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
    except OSError as exc:
        raise BrowserError(f"cannot run {executable!r}: {exc.strerror or exc} (check BAFCTL_CHROMIUM)") from None
    try:
        _out, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
        process.communicate()
        raise BrowserError(f"Chromium did not print the report within {timeout:.0f} seconds") from None
    return process.returncode, stderr


def html_to_pdf(
    html: str,
    *,
    date: dt.date,
    browser: str | None = None,
    environment: Mapping[str, str] | None = None,
    timeout: float = PRINT_TIMEOUT,
) -> bytes:
    """Print an HTML document to PDF with headless Chromium.

    Args:
        html: A complete, self-contained HTML document.
        date: Written as the PDF's creation and modification date.
        browser: The Chromium executable (default: the first on PATH, :func:`find_browser`).
        environment: The environment Chromium starts with (default: this process's),
            its HOME always a scratch folder.
        timeout: Seconds to wait for Chromium.

    Raises:
        BrowserError: Chromium is missing, fails, or times out (exit 2).
    """
    executable = browser or find_browser()
    if executable is None:
        raise BrowserError(
            "--format pdf needs headless Chromium: install it (Debian/Ubuntu: apt-get install chromium) "
            "or set BAFCTL_CHROMIUM to its path; or write --format html and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="bafctl-pdf-") as folder:
        tmp = Path(folder)
        source, target = tmp / "report.html", tmp / "report.pdf"
        source.write_text(html, encoding="utf-8")
        command = browser_command(executable, source, target, tmp / "profile")
        inherited = os.environ if environment is None else environment
        env = {**inherited, "HOME": str(tmp)}  # Chromium writes caches under HOME
        returncode, stderr = _run(command, env, timeout, executable)
        if returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            from bafctl.escaping import one_line, terminal

            lines = [
                line
                for line in stderr.decode("utf-8", errors="replace").splitlines()
                if line.strip() and "dbus" not in line.lower()
            ]
            detail = terminal(one_line(lines[-1]))[:300] if lines else f"exit status {returncode}"
            raise BrowserError(f"Chromium could not print the report: {detail}")
        return fix_pdf_dates(target.read_bytes(), date)
