"""The export document: validated registers with every derived value filled in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bafctl.loader import LoadedRegister, LoadedRisk, Workspace
from bafctl.models import Assessment, TargetAssessment
from bafctl.scoring import appetite_status, band_for

EXPORT_VERSION = 1


def _assessment(assessment: Assessment, reg: LoadedRegister) -> dict[str, Any]:
    score = assessment.computed_score
    data: dict[str, Any] = {
        "consequence": assessment.consequence,
        "likelihood": assessment.likelihood,
        "score": score,
        "band": band_for(score, reg.settings.matrix.bands).name,
    }
    if isinstance(assessment, TargetAssessment):
        data["date"] = assessment.date
    return data


def export_risk(reg: LoadedRegister, lr: LoadedRisk, today: dt.date) -> dict[str, Any]:
    """One risk as exported: the file's data plus scores, bands, section and appetite."""
    risk = lr.risk
    settings = reg.settings
    status = appetite_status(risk, settings, today)
    level = settings.appetite_level(risk.appetite.level)
    section = settings.section_for_theme(risk.strategic_link)
    data = risk.model_dump(mode="json", exclude={"assessments", "appetite"}, by_alias=True)
    data.update(
        {
            "register": reg.id,
            "path": lr.path,
            "section": None if section is None else {"number": section.number, "title": section.title},
            "scores": {
                name: _assessment(getattr(risk.assessments, name), reg) for name in ("initial", "current", "target")
            },
            "appetite": {
                "level": risk.appetite.level,
                "name": None if level is None else level.name,
                "tolerance": status.tolerance,
                "override_reason": risk.appetite.reason,
                "flags": sorted(f.value for f in status.flags),
                "over_by": status.over_by,
            },
        }
    )
    return data


def export_document(workspace: Workspace, today: dt.date) -> dict[str, Any]:
    """Every register and risk as one JSON-ready document (README "export")."""
    return {
        "version": EXPORT_VERSION,
        "as_of": today.isoformat(),
        "registers": [
            {
                "id": reg.id,
                "name": reg.settings.info.name,
                "organisation": reg.settings.info.organisation,
                "path": reg.root,
                "risks": [export_risk(reg, lr, today) for lr in reg.risks],
            }
            for reg in workspace.registers
        ],
    }
