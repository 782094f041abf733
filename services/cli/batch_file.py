"""``factoryfinder batch``: which photos to send, what each result row says, and the exit code.

Rows carry the answer's columns (source offer, supplier, confidence, similarity). A ``.csv``
is UTF-8 with a byte-order mark so Excel shows Chinese names; ``.jsonl`` is one object a line.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from factoryfinder.v1 import common_pb2, search_pb2

from services.cli.errors import CliError

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif"}
)
FIELDS = [
    "id",
    "ok",
    "error",
    "found",
    "source_offer_id",
    "source_supplier",
    "confidence",
    "similarity",
    "offers",
    "top_offer_id",
    "top_supplier",
]
_RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
_BAD_INPUT = {grpc.StatusCode.INVALID_ARGUMENT.value[0], grpc.StatusCode.NOT_FOUND.value[0]}


def items(source: Path, recursive: bool) -> list[tuple[str, str]]:
    """``(id, photo)`` pairs; an input with none is an error, not "0 results"."""
    if not source.exists():
        raise CliError(f"not found: {source}", "NOT_FOUND", "PHOTO_NOT_FOUND")
    if source.is_dir():
        found = _folder(source, recursive)
    elif source.suffix.lower() == ".csv":
        found = _csv(source)
    else:
        raise CliError(f"{source}: give a folder of photos or a .csv with columns id,photo")
    if not found:
        raise CliError(f"{source}: no photos to search", reason="EMPTY_INPUT")
    return found


def _folder(folder: Path, recursive: bool) -> list[tuple[str, str]]:
    paths = sorted(folder.rglob("*") if recursive else folder.iterdir())
    if not recursive:
        skipped = [p.name for p in paths if p.is_dir()]
        if skipped:
            print(
                f"factoryfinder: warning: skipped {len(skipped)} sub-folder(s) "
                f"({', '.join(skipped[:5])}{' …' if len(skipped) > 5 else ''}); "
                "add --recursive to include them",
                file=sys.stderr,
            )
    return [
        (str(p.relative_to(folder)), str(p))
        for p in paths
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    ]


def _csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "photo"} - set(reader.fieldnames or [])
        if missing:
            raise CliError(f"{path}: the CSV needs columns id,photo (missing {', '.join(missing)})")
        rows = [(row["id"], row["photo"]) for row in reader if row.get("photo")]
    # Relative photo paths are read from the CSV's folder, as a spreadsheet user expects.
    return [
        (
            item,
            photo
            if photo.startswith(("http://", "https://")) or Path(photo).is_absolute()
            else str(path.parent / photo),
        )
        for item, photo in rows
    ]


def error_row(item_id: str, message: str) -> dict[str, Any]:
    # null (an empty cell in CSV) where there is no result, never a misleading 0
    return dict.fromkeys(FIELDS) | {"id": item_id, "ok": False, "error": message}


def row(reply: search_pb2.BatchSearchResponse) -> dict[str, Any]:
    if reply.HasField("error"):
        return error_row(reply.item_id, reply.error.message)
    result = reply.result
    answer = result.answer
    top = result.offers[0] if result.offers else None
    return {
        "id": reply.item_id,
        "ok": True,
        "error": "",
        "found": answer.found,
        "source_offer_id": answer.source_offer_id,
        "source_supplier": answer.source_supplier.company_name,
        "confidence": round(answer.confidence, 3),
        "similarity": _source_similarity(answer),
        "offers": len(result.offers),
        "top_offer_id": top.offer.offer_id if top else "",
        "top_supplier": top.offer.supplier.company_name if top else "",
    }


def _source_similarity(answer: common_pb2.Answer) -> float:
    for member in answer.match_set:
        if member.offer_id == answer.source_offer_id:
            return round(member.similarity, 1)
    return 0.0


def write_rows(out: Path, rows: Sequence[dict[str, Any]]) -> None:
    if out.suffix.lower() == ".csv":
        # The BOM tells Excel the file is UTF-8 (without it Chinese names garble).
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    else:
        out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )


def exit_code(failed_codes: Sequence[int], total: int) -> int:
    """4 when the budget ran out (the rest can be searched tomorrow); else 0 when some photo
    was searched (failures are in their rows); 2 when every photo was bad input; 1 otherwise."""
    if _RESOURCE_EXHAUSTED in failed_codes:
        return 4
    if len(failed_codes) < total:
        return 0
    if all(c in _BAD_INPUT for c in failed_codes):
        return 2
    return 1
