"""A risk title that does not state cause and effect (V22).

Good practice is a title that reads as cause, event and effect: "If ... then ...",
"... caused by ... resulting in ...", "... will ...", "... leading to ..." (docs/domain.md
3.2; the Christie and 2018/19 BAFs both use "resulting in" and "caused by"). A bare
noun phrase ("Workforce") tells the board nothing about what could go wrong. This is
advice, reported as info.

PASS:
    title: Lack of on-site capacity resulting in pressure on neighbouring trusts

FAIL:
    title: Nursing workforce
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from bafctl.checks._base import CheckContext, finding_at
from bafctl.findings import Finding, Level

ID = "title-without-cause-and-effect"
DEFAULT_LEVEL = Level.INFO
OPTIONS: Mapping[str, Any] = {}

# The cause-and-effect wordings seen in real NHS BAF titles (docs/domain.md 3.2).
_CAUSE_AND_EFFECT = re.compile(
    r"\bif\b.*\bthen\b|\bif\b.*,|\bresult(?:s|ing)? in\b|\bcaused by\b|\bdue to\b|\bwill\b|\blead(?:s|ing)? to\b"
    r"|\bbecause\b|\bmeans? that\b",
    re.IGNORECASE | re.DOTALL,
)


def check(ctx: CheckContext) -> Iterator[Finding]:
    """Yield a finding for each active risk whose title has no cause-and-effect wording."""
    for _reg, lr in ctx.active_risks():
        if not _CAUSE_AND_EFFECT.search(lr.risk.title):
            yield finding_at(
                lr,
                ("title",),
                ID,
                "the title does not state cause and effect",
                'write it as "If <cause>, then <event>, resulting in <effect>"',
            )
