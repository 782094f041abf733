"""A single refused offer as the call's status: FAILED_PRECONDITION with the evidence."""

from __future__ import annotations

import json
from dataclasses import asdict

from services.planning.domain import PlanRefusal
from shared.errors import Code, ServiceError


def refusal_error(refusal: PlanRefusal) -> ServiceError:
    """FAILED_PRECONDITION for a single refused offer; ``metadata["evidence"]`` is a JSON
    list of ``{signal, value, weight, note}`` (ErrorInfo metadata holds strings only)."""
    metadata = {"offer_id": refusal.offer_id, **dict(refusal.metadata)}
    if refusal.evidence:
        metadata["evidence"] = json.dumps(
            [asdict(item) for item in refusal.evidence], ensure_ascii=False
        )
    return ServiceError(Code.FAILED_PRECONDITION, refusal.reason, refusal.message, metadata)
