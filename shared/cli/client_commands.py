"""``factoryfinder search | verify | plan | batch | quota``: the public API from a terminal.

The target and API key come from ``--target``/``--api-key`` or ``FF_TARGET``/``FF_API_KEY``.
Exit codes: 0 success, 2 bad input, 3 not authenticated, 4 budget exhausted,
5 unavailable or deadline exceeded, 1 anything else.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import typer
from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2, search_pb2_grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console
from rich.progress import Progress

from shared.cli import render
from shared.grpc_client import open_channel
from shared.grpc_errors import from_rpc_error
from shared.money import to_money

T = TypeVar("T")
IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
    ".avif",
}
EXIT_BY_CODE = {
    "INVALID_ARGUMENT": 2,
    "FAILED_PRECONDITION": 2,
    "NOT_FOUND": 2,
    "UNAUTHENTICATED": 3,
    "RESOURCE_EXHAUSTED": 4,
    "UNAVAILABLE": 5,
    "DEADLINE_EXCEEDED": 5,
}

Target = Annotated[str, typer.Option(envvar="FF_TARGET", help="Aggregator host:port.")]
ApiKey = Annotated[str, typer.Option(envvar="FF_API_KEY", help="API key (Bearer).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
Timeout = Annotated[float, typer.Option(help="Deadline in seconds.")]
Qty = Annotated[int, typer.Option("--qty", help="Purchase quantity (pieces).")]
MaxMoq = Annotated[int, typer.Option(help="Keep offers whose minimum order is at most this.")]
Kinds = Annotated[
    list[str] | None,
    typer.Option("--kind", help="source_factory, manufacturer, brand, trading_company."),
]
Regions = Annotated[
    list[str] | None, typer.Option("--region", help="Province, city or belt (广州, 义乌 ...).")
]
Locale = Annotated[str, typer.Option(help="zh or en.")]


def _photo(source: str, role: str) -> common_pb2.Photo:
    role_value = common_pb2.PhotoRole.Value(f"PHOTO_ROLE_{role.upper()}")
    if source.startswith(("http://", "https://")):
        return common_pb2.Photo(image_url=source, role=role_value)
    path = Path(source)
    if not path.is_file():
        raise typer.BadParameter(f"no such photo: {source}")
    return common_pb2.Photo(image_data=path.read_bytes(), role=role_value)


def _options(
    qty: int,
    max_moq: int,
    kinds: list[str] | None,
    regions: list[str] | None,
    made_to_sample: bool,
    min_similarity: float,
    category: str,
    price_min: str,
    price_max: str,
    page_size: int,
    enrich: int,
    locale: str,
    profile: str,
) -> search_pb2.SearchOptions:
    filters = common_pb2.Filters(
        category_id=category,
        purchase_quantity=qty,
        max_min_order=max_moq,
        supplier_kinds=[
            common_pb2.SupplierKind.Value(f"SUPPLIER_KIND_{k.upper()}") for k in kinds or []
        ],
        made_to_sample_only=made_to_sample,
        regions=regions or [],
        min_similarity=min_similarity,
    )
    if price_min:
        filters.price_min.CopyFrom(to_money(Decimal(price_min)))
    if price_max:
        filters.price_max.CopyFrom(to_money(Decimal(price_max)))
    return search_pb2.SearchOptions(
        filters=filters, page_size=page_size, enrich_top_k=enrich, locale=locale, profile=profile
    )


def _fail(console: Console, error: grpc.aio.AioRpcError) -> int:
    problem = from_rpc_error(error, "factoryfinder")
    console.print(f"[red]{problem.code.value} {problem.reason}[/red]: {problem.message}")
    for violation in problem.field_violations:
        console.print(f"  field {violation.field}: {violation.description}")
    for quota in problem.quota_violations:
        console.print(f"  quota {quota.subject}: {quota.description}")
    if problem.retry_after_seconds is not None:
        console.print(f"  retry after {problem.retry_after_seconds:.0f} s")
    return EXIT_BY_CODE.get(problem.code.value, 1)


def _call(
    target: str,
    api_key: str,
    action: Callable[
        [search_pb2_grpc.SearchServiceStub, tuple[tuple[str, str], ...]], Awaitable[T]
    ],
) -> T:
    async def main() -> T:
        async with open_channel(
            [target], "factoryfinder.v1.SearchService", retry_unavailable=False
        ) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            return await action(stub, (("authorization", f"Bearer {api_key}"),))

    try:
        return asyncio.run(main())
    except grpc.aio.AioRpcError as error:
        raise typer.Exit(_fail(render.console(stderr=True), error)) from None


def _emit_json(message: Message) -> None:
    print(
        json.dumps(
            MessageToDict(message, preserving_proto_field_name=True), ensure_ascii=False, indent=2
        )
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def search(
        photo: Annotated[str, typer.Argument(help="Photo file or http(s) URL.")],
        target: Target = "127.0.0.1:50051",
        api_key: ApiKey = "",
        role: Annotated[str, typer.Option(help="product, detail or scene.")] = "product",
        qty: Qty = 0,
        max_moq: MaxMoq = 0,
        kind: Kinds = None,
        region: Regions = None,
        made_to_sample: Annotated[
            bool, typer.Option(help="Only made-to-sample suppliers.")
        ] = False,
        min_similarity: Annotated[float, typer.Option(help="Similarity floor 0-100.")] = 0.0,
        category: Annotated[str, typer.Option(help="1688 category id.")] = "",
        price_min: Annotated[str, typer.Option(help="Lowest unit price (CNY).")] = "",
        price_max: Annotated[str, typer.Option(help="Highest unit price (CNY).")] = "",
        page_size: Annotated[int, typer.Option(help="Offers per page (≤ 50).")] = 20,
        enrich: Annotated[int, typer.Option(help="Fetch details of the top K offers.")] = 0,
        locale: Locale = "zh",
        profile: Annotated[str, typer.Option(help="default, similarity or price.")] = "",
        explain: Annotated[bool, typer.Option(help="Show score breakdown and evidence.")] = False,
        as_json: AsJson = False,
        timeout: Timeout = 60.0,
    ) -> None:
        """Find the source factory for one photo."""
        request = search_pb2.SearchByImageRequest(
            photo=_photo(photo, role),
            options=_options(
                qty,
                max_moq,
                kind,
                region,
                made_to_sample,
                min_similarity,
                category,
                price_min,
                price_max,
                page_size,
                enrich,
                locale,
                profile,
            ),
        )
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.SearchByImage(request, metadata=md, timeout=timeout),
        )
        if as_json:
            _emit_json(response)
        else:
            render.print_search(render.console(), response, explain)

    @app.command()
    def verify(
        photos: Annotated[list[str], typer.Argument(help="2 to 6 photos of one product.")],
        target: Target = "127.0.0.1:50051",
        api_key: ApiKey = "",
        mode: Annotated[str, typer.Option(help="consensus or strict.")] = "consensus",
        k: Annotated[int, typer.Option(help="Consensus: photos that must agree.")] = 0,
        qty: Qty = 0,
        locale: Locale = "zh",
        as_json: AsJson = False,
        timeout: Timeout = 90.0,
    ) -> None:
        """Search several photos of one product concurrently and keep what they agree on."""
        roles = ["product"] + ["detail"] * (len(photos) - 1)
        request = search_pb2.VerifyByImagesRequest(
            photos=[_photo(p, r) for p, r in zip(photos, roles, strict=True)],
            mode=search_pb2.VerifyMode.Value(f"VERIFY_MODE_{mode.upper()}"),
            min_photos=k,
            options=search_pb2.SearchOptions(
                filters=common_pb2.Filters(purchase_quantity=qty), locale=locale
            ),
        )
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.VerifyByImages(request, metadata=md, timeout=timeout),
        )
        if as_json:
            _emit_json(response)
        else:
            render.print_verify(render.console(), response)

    @app.command()
    def plan(
        offer_ids: Annotated[list[str], typer.Argument(help="One or more offer ids.")],
        qty: Annotated[int, typer.Option("--qty", help="Pieces.")],
        complexity: Annotated[str, typer.Option(help="simple, standard or complex.")] = "standard",
        fast_sampling: Annotated[bool, typer.Option(help="Ask for fast sampling.")] = False,
        to: Annotated[str, typer.Option(help="Destination province for freight.")] = "",
        target: Target = "127.0.0.1:50051",
        api_key: ApiKey = "",
        locale: Locale = "zh",
        as_json: AsJson = False,
        timeout: Timeout = 60.0,
    ) -> None:
        """Plan a custom order (several offers are compared side by side)."""
        if complexity.upper() not in {"SIMPLE", "STANDARD", "COMPLEX"}:
            raise typer.BadParameter("complexity must be simple, standard or complex")
        order = planning_pb2.OrderSpec(
            quantity=qty,
            complexity=common_pb2.Complexity.Value(f"COMPLEXITY_{complexity.upper()}"),
            fast_sampling=fast_sampling,
            destination_province=to,
            locale=locale,
        )
        request = search_pb2.PlanCustomOrderRequest(offer_ids=offer_ids, order=order)
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.PlanCustomOrder(request, metadata=md, timeout=timeout),
        )
        if as_json:
            _emit_json(response)
        else:
            render.print_plans(render.console(), response)

    @app.command()
    def quota(
        target: Target = "127.0.0.1:50051", api_key: ApiKey = "", as_json: AsJson = False
    ) -> None:
        """Today's budget for your tenant (resets 00:00 China time)."""
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.GetQuota(search_pb2.GetQuotaRequest(), metadata=md, timeout=10),
        )
        if as_json:
            _emit_json(response)
        else:
            render.print_quota(render.console(), response)

    @app.command()
    def batch(
        source: Annotated[
            Path, typer.Argument(help="A folder of photos, or a CSV with columns id,photo.")
        ],
        out: Annotated[Path, typer.Option(help="Output file (.jsonl or .csv).")] = Path(
            "results.jsonl"
        ),
        target: Target = "127.0.0.1:50051",
        api_key: ApiKey = "",
        qty: Qty = 0,
        locale: Locale = "zh",
        timeout: Timeout = 600.0,
    ) -> None:
        """Search many photos; results are written as each finishes."""
        items = _batch_items(source)
        options = search_pb2.SearchOptions(
            filters=common_pb2.Filters(purchase_quantity=qty), locale=locale
        )
        failed = _call(
            target, api_key, lambda stub, md: _run_batch(stub, md, items, options, out, timeout)
        )
        raise typer.Exit(1 if failed == len(items) and items else 0)


def _batch_items(source: Path) -> list[tuple[str, str]]:
    if source.is_dir():
        return [
            (p.name, str(p)) for p in sorted(source.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES
        ]
    if source.suffix.lower() == ".csv":
        with source.open(encoding="utf-8", newline="") as handle:
            return [(row["id"], row["photo"]) for row in csv.DictReader(handle)]
    raise typer.BadParameter(f"{source} is neither a folder nor a .csv file")


async def _run_batch(
    stub: search_pb2_grpc.SearchServiceStub,
    metadata: tuple[tuple[str, str], ...],
    items: list[tuple[str, str]],
    options: search_pb2.SearchOptions,
    out: Path,
    deadline_s: float,
) -> int:
    async def requests() -> AsyncIterator[search_pb2.BatchSearchRequest]:
        for item_id, photo in items:
            try:
                built = _photo(photo, "product")
            except typer.BadParameter:
                built = common_pb2.Photo(image_data=b"")
            yield search_pb2.BatchSearchRequest(
                item_id=item_id, photo=built, options=options, expected_total=len(items)
            )

    rows: list[dict[str, Any]] = []
    failed = 0
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("searching", total=len(items))
        async for reply in stub.BatchSearch(requests(), metadata=metadata, timeout=deadline_s):
            rows.append(_batch_row(reply))
            failed = reply.progress.failed
            progress.update(
                task,
                completed=reply.progress.done,
                description=f"searching (failed {failed}, quota {reply.progress.quota_spent})",
            )
    _write_rows(out, rows)
    print(f"{len(rows)} results, {failed} failed → {out}", file=sys.stderr)
    return failed


def _batch_row(reply: search_pb2.BatchSearchResponse) -> dict[str, Any]:
    if reply.HasField("error"):
        return {"id": reply.item_id, "ok": False, "error": reply.error.message}
    top = reply.result.offers[0] if reply.result.offers else None
    return {
        "id": reply.item_id,
        "ok": True,
        "offers": len(reply.result.offers),
        "top_offer_id": top.offer.offer_id if top else "",
        "top_supplier": top.offer.supplier.company_name if top else "",
        "top_score": round(top.score.total, 2) if top else 0,
        "source_factories": reply.result.analysis.source_factory_count,
    }


def _write_rows(out: Path, rows: list[dict[str, Any]]) -> None:
    if out.suffix.lower() == ".csv":
        fields = [
            "id",
            "ok",
            "error",
            "offers",
            "top_offer_id",
            "top_supplier",
            "top_score",
            "source_factories",
        ]
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    else:
        out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
