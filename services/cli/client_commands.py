"""``factoryfinder search | verify | plan | batch | quota``: the public API from a terminal.

The target and API key come from ``--target``/``--api-key``, else ``FF_TARGET``/``FF_API_KEY``,
else the file a running ``factoryfinder up`` writes (``services/cli/endpoints.py``).
Exit codes (``services/cli/errors.py``): 0 success, 2 bad input, 3 not authenticated,
4 budget exhausted, 5 unavailable or deadline exceeded, 1 anything else.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import typer
from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2, search_pb2_grpc
from google.protobuf.message import Message
from rich.console import Console
from rich.progress import Progress

from services.cli import endpoints, json_output, render
from services.cli.errors import CliError, bad_value, from_grpc
from shared.grpc_client import open_channel
from shared.money import to_money

T = TypeVar("T")
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]


class Role(StrEnum):
    product = "product"
    detail = "detail"
    scene = "scene"


class Kind(StrEnum):
    source_factory = "source_factory"
    manufacturer = "manufacturer"
    brand = "brand"
    trading_company = "trading_company"


class Locale(StrEnum):
    zh = "zh"
    en = "en"


class Profile(StrEnum):
    default = "default"
    seed = "seed"
    similarity = "similarity"
    price = "price"


class Mode(StrEnum):
    consensus = "consensus"
    strict = "strict"


class Complexity(StrEnum):
    simple = "simple"
    standard = "standard"
    complex = "complex"


Target = Annotated[
    str,
    typer.Option(envvar="FF_TARGET", help="Aggregator host:port (default: the running `up`)."),
]
ApiKey = Annotated[
    str, typer.Option(envvar="FF_API_KEY", help="API key (default: the running `up`'s key).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts (see README).")]
Timeout = Annotated[float, typer.Option(min=0.1, help="Deadline in seconds.")]
LocaleOpt = Annotated[Locale, typer.Option(help="Language of the output.")]
PlanQty = Annotated[
    int,
    typer.Option(
        "--plan", min=0, help="Also plan a custom order of this many pieces (the answer's makers)."
    ),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a self-contained HTML report to this file."),
]


@dataclass(frozen=True)
class RankingFlags:
    """The ranking options ``search``, ``verify`` and ``batch`` share."""

    qty: int = 0
    max_moq: int = 0
    kind: list[Kind] | None = None
    region: list[str] | None = None
    made_to_sample: bool = False
    min_similarity: float = 0.0
    category: str = ""
    price_min: str = ""
    price_max: str = ""
    page_size: int = 20
    enrich: int = 0
    locale: Locale = Locale.zh
    profile: Profile = Profile.default

    def options(self) -> search_pb2.SearchOptions:
        filters = common_pb2.Filters(
            category_id=self.category,
            purchase_quantity=self.qty,
            max_min_order=self.max_moq,
            supplier_kinds=[
                common_pb2.SupplierKind.Value(f"SUPPLIER_KIND_{k.value.upper()}")
                for k in self.kind or []
            ],
            made_to_sample_only=self.made_to_sample,
            regions=_regions(self.region or []),
            min_similarity=self.min_similarity,
        )
        if self.price_min:
            filters.price_min.CopyFrom(to_money(_price("--price-min", self.price_min)))
        if self.price_max:
            filters.price_max.CopyFrom(to_money(_price("--price-max", self.price_max)))
        return search_pb2.SearchOptions(
            filters=filters,
            page_size=self.page_size,
            enrich_top_k=self.enrich,
            locale=self.locale.value,
            profile=self.profile.value,
        )


# Declared once, added to each command that ranks (typer reads parameters from signatures).
_RANKING_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
    for name, annotation, default in [
        ("qty", Annotated[int, typer.Option("--qty", min=0, help="Pieces to buy.")], 0),
        (
            "max_moq",
            Annotated[int, typer.Option(min=0, help="Keep offers whose minimum order ≤ this.")],
            0,
        ),
        ("kind", Annotated[list[Kind] | None, typer.Option(help="Supplier kinds to keep.")], None),
        (
            "region",
            Annotated[
                list[str] | None,
                typer.Option(
                    help="Province, city or belt (广州, 义乌 ...); suppliers 1688 did not place "
                    "are kept, marked region unknown (--enrich places more)."
                ),
            ],
            None,
        ),
        (
            "made_to_sample",
            Annotated[bool, typer.Option(help="Only made-to-sample suppliers.")],
            False,
        ),
        (
            "min_similarity",
            Annotated[float, typer.Option(min=0, max=100, help="Similarity floor 0-100.")],
            0.0,
        ),
        ("category", Annotated[str, typer.Option(help="1688 category id.")], ""),
        ("price_min", Annotated[str, typer.Option(help="Lowest unit price (CNY).")], ""),
        ("price_max", Annotated[str, typer.Option(help="Highest unit price (CNY).")], ""),
        (
            "page_size",
            Annotated[int, typer.Option(min=1, max=50, help="Offers per page.")],
            20,
        ),
        (
            "enrich",
            Annotated[int, typer.Option(min=0, help="Fetch details of the top K offers.")],
            0,
        ),
        ("locale", LocaleOpt, Locale.zh),
        ("profile", Annotated[Profile, typer.Option(help="Scoring profile.")], Profile.default),
    ]
]
_RANKING_NAMES = [p.name for p in _RANKING_PARAMETERS]


def with_ranking_flags(command: Callable[..., None]) -> Callable[..., None]:
    """``command(ranking: RankingFlags, ...)`` as a typer command with every ranking flag."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "ranking"]

    def wrapper(**kwargs: Any) -> None:
        flags = RankingFlags(**{name: kwargs.pop(name) for name in _RANKING_NAMES})
        command(ranking=flags, **kwargs)

    wrapper.__name__ = command.__name__
    wrapper.__doc__ = command.__doc__
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=own + _RANKING_PARAMETERS
    )
    return wrapper


def _price(flag: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"{flag} {text}: not a price; write it like 12.50") from None
    if not value.is_finite() or value < 0:
        raise CliError(f"{flag} {text}: a price is a number ≥ 0, like 12.50")
    return value


def _regions(names: list[str]) -> list[str]:
    """Checked here so a typo costs no upstream call and gets a short list of names.

    ranking's InvalidRequest is a ValueError: catching that keeps the command line's imports
    of ranking to its region table (the import contract in pyproject.toml)."""
    from services.ranking.regions import KNOWN_NAMES, resolve_regions

    try:
        resolve_regions(names)
    except ValueError:
        unknown = [n for n in names if _resolves(n) is None]
        raise bad_value("--region", ", ".join(unknown), KNOWN_NAMES, "unknown region") from None
    return names


def _resolves(name: str) -> Any:
    from services.ranking.regions import resolve_regions

    try:
        return resolve_regions([name])
    except ValueError:
        return None


def provinces() -> list[str]:
    from services.ranking.regions import KNOWN_NAMES

    return [n for n in KNOWN_NAMES if _province(n)]


def _province(name: str) -> str:
    """The province ``name`` is (广东, 广东省, guangdong → 广东), or ""."""
    found = _resolves(name) if name.strip() else None
    if found is None or len(found.places) != 1 or found.places[0].city:
        return ""
    return str(found.places[0].province)


def _photo(source: str, role: Role) -> common_pb2.Photo:
    role_value = common_pb2.PhotoRole.Value(f"PHOTO_ROLE_{role.value.upper()}")
    if source.startswith(("http://", "https://")):
        return common_pb2.Photo(image_url=source, role=role_value)
    path = Path(source)
    if not path.exists():
        raise CliError(f"photo not found: {source}", "NOT_FOUND", "PHOTO_NOT_FOUND")
    if not path.is_file():
        raise CliError(f"not a file: {source}", "INVALID_ARGUMENT", "PHOTO_NOT_FOUND")
    return common_pb2.Photo(image_data=path.read_bytes(), role=role_value)


def _call(
    target: str,
    api_key: str,
    action: Callable[
        [search_pb2_grpc.SearchServiceAsyncStub, tuple[tuple[str, str], ...]], Awaitable[T]
    ],
) -> T:
    target, api_key = endpoints.resolve(target, api_key)

    async def main() -> T:
        async with open_channel(
            [target], "factoryfinder.v1.SearchService", retry_unavailable=False
        ) as channel:
            stub = search_pb2_grpc.SearchServiceStub(channel)
            return await action(stub, (("authorization", f"Bearer {api_key}"),))

    try:
        return asyncio.run(main())
    except grpc.aio.AioRpcError as error:
        raise from_grpc(error) from None


def _emit(message: Message, plans: search_pb2.PlanCustomOrderResponse | None = None) -> None:
    """The response; with ``--plan`` an object ``{"search": ..., "plan": ...}``."""
    if plans is None:
        print(json_output.dumps(message))
    else:
        both = {"search": json_output.to_json(message), "plan": json_output.to_json(plans)}
        print(json.dumps(both, ensure_ascii=False, indent=2))


PLANNED_OFFERS = 3


def _plan_for(
    target: str,
    api_key: str,
    answer: common_pb2.Answer,
    offers: Sequence[common_pb2.RankedOffer],
    quantity: int,
    locale: str,
) -> search_pb2.PlanCustomOrderResponse | None:
    """``--plan QTY``: plan the answer's makers (source first), else the top offers."""
    if quantity <= 0:
        return None
    makers = {common_pb2.MATCH_ROLE_SOURCE, common_pb2.MATCH_ROLE_MAKER}
    chosen = [m.offer_id for m in answer.match_set if m.role in makers]
    chosen = (chosen or [r.offer.offer_id for r in offers])[:PLANNED_OFFERS]
    if not chosen:
        return None
    request = search_pb2.PlanCustomOrderRequest(
        offer_ids=chosen,
        order=planning_pb2.OrderSpec(
            quantity=quantity, complexity=common_pb2.COMPLEXITY_STANDARD, locale=locale
        ),
    )
    try:
        plans: search_pb2.PlanCustomOrderResponse = _call(
            target, api_key, lambda stub, md: stub.PlanCustomOrder(request, metadata=md, timeout=60)
        )
    except CliError as refused:
        if refused.code != "FAILED_PRECONDITION" or len(chosen) != 1:
            raise
        # One offer refused comes back as an error; the search stands, the refusal is shown.
        return search_pb2.PlanCustomOrderResponse(refusals=[_refusal(chosen[0], refused)])
    return plans


def _refusal(offer_id: str, refused: CliError) -> planning_pb2.PlanRefusal:
    try:
        said = json.loads(refused.metadata.get("evidence", "[]"))
    except ValueError:
        said = []
    evidence = [
        common_pb2.Evidence(
            signal=str(e.get("signal", "")),
            value=str(e.get("value", "")),
            weight=float(e.get("weight", 0.0)),
            note=str(e.get("note", "")),
        )
        for e in said
        if isinstance(e, dict)
    ]
    return planning_pb2.PlanRefusal(
        offer_id=offer_id, reason=refused.reason, message=refused.message, evidence=evidence
    )


def _print_plans(plans: search_pb2.PlanCustomOrderResponse | None, locale: str) -> None:
    if plans is not None:
        render.print_plans(render.console(), plans, locale)


def register(app: typer.Typer) -> None:
    @app.command()
    @with_ranking_flags
    def search(
        ranking: RankingFlags,
        photo: Annotated[str, typer.Argument(help="Photo file or http(s) URL.")],
        target: Target = "",
        api_key: ApiKey = "",
        role: Annotated[Role, typer.Option(help="What the photo shows.")] = Role.product,
        explain: Annotated[
            bool, typer.Option(help="Show each score component's reason and the evidence.")
        ] = False,
        html: HtmlOpt = None,
        plan_qty: PlanQty = 0,
        as_json: AsJson = False,
        timeout: Timeout = 60.0,
    ) -> None:
        """Find the source factory for one photo: the answer first, then other candidates."""
        options = ranking.options()  # bad flags are reported before any file is read
        request = search_pb2.SearchByImageRequest(photo=_photo(photo, role), options=options)
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.SearchByImage(request, metadata=md, timeout=timeout),
        )
        locale = ranking.locale.value
        plans = _plan_for(target, api_key, response.answer, response.offers, plan_qty, locale)
        if html is not None:
            from services.cli import html_report

            html_report.write_search(html, photo, request.photo, response, locale, plans)
        if as_json:
            _emit(response, plans)
        else:
            render.print_search(render.console(), response, explain, locale)
            _print_plans(plans, locale)

    @app.command()
    @with_ranking_flags
    def verify(
        ranking: RankingFlags,
        photos: Annotated[list[str], typer.Argument(help="2 to 6 photos of one product.")],
        target: Target = "",
        api_key: ApiKey = "",
        mode: Annotated[Mode, typer.Option(help="How photos must agree.")] = Mode.consensus,
        k: Annotated[
            int, typer.Option("--k", min=0, help="Consensus: photos that must agree (0 = most).")
        ] = 0,
        explain: Annotated[
            bool, typer.Option(help="Show each score component's reason and the evidence.")
        ] = False,
        html: HtmlOpt = None,
        plan_qty: PlanQty = 0,
        as_json: AsJson = False,
        timeout: Timeout = 90.0,
    ) -> None:
        """Search several photos of one product concurrently and keep what they agree on."""
        if not 2 <= len(photos) <= 6:
            raise CliError(f"verify takes 2 to 6 photos, got {len(photos)}")
        if k > len(photos):
            raise CliError(f"--k {k}: more than the {len(photos)} photos given")
        options = ranking.options()
        roles = [Role.product] + [Role.detail] * (len(photos) - 1)
        request = search_pb2.VerifyByImagesRequest(
            photos=[_photo(p, r) for p, r in zip(photos, roles, strict=True)],
            mode=search_pb2.VerifyMode.Value(f"VERIFY_MODE_{mode.value.upper()}"),
            min_photos=k,
            options=options,
        )
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.VerifyByImages(request, metadata=md, timeout=timeout),
        )
        names = [Path(p).name if not p.startswith("http") else p for p in photos]
        locale = ranking.locale.value
        ranked = [v.ranked for v in response.offers]
        plans = _plan_for(target, api_key, response.answer, ranked, plan_qty, locale)
        if html is not None:
            from services.cli import html_report

            html_report.write_verify(html, names, request.photos, response, locale, plans)
        if as_json:
            _emit(response, plans)
        else:
            render.print_verify(render.console(), response, names, locale, explain)
            _print_plans(plans, locale)

    @app.command()
    def plan(
        offer_ids: Annotated[list[str], typer.Argument(help="One or more offer ids.")],
        qty: Annotated[int, typer.Option("--qty", min=1, help="Pieces.")],
        complexity: Annotated[
            Complexity, typer.Option(help="How much the product is changed.")
        ] = Complexity.standard,
        fast_sampling: Annotated[bool, typer.Option(help="Ask for fast sampling.")] = False,
        to: Annotated[str, typer.Option(help="Destination province for freight (广东 ...).")] = "",
        target: Target = "",
        api_key: ApiKey = "",
        locale: LocaleOpt = Locale.zh,
        as_json: AsJson = False,
        timeout: Timeout = 60.0,
    ) -> None:
        """Plan a custom order; several offers are compared side by side."""
        destination = _province(to) if to else ""
        if to and not destination:
            raise bad_value("--to", to, provinces(), "not a province")
        order = planning_pb2.OrderSpec(
            quantity=qty,
            complexity=common_pb2.Complexity.Value(f"COMPLEXITY_{complexity.value.upper()}"),
            fast_sampling=fast_sampling,
            destination_province=destination,
            locale=locale.value,
        )
        request = search_pb2.PlanCustomOrderRequest(offer_ids=offer_ids, order=order)
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.PlanCustomOrder(request, metadata=md, timeout=timeout),
        )
        if as_json:
            _emit(response)
        else:
            render.print_plans(render.console(), response, locale.value)

    @app.command()
    def quota(
        target: Target = "",
        api_key: ApiKey = "",
        locale: LocaleOpt = Locale.zh,
        as_json: AsJson = False,
    ) -> None:
        """Today's budget for your tenant (resets 00:00 China time)."""
        response = _call(
            target,
            api_key,
            lambda stub, md: stub.GetQuota(search_pb2.GetQuotaRequest(), metadata=md, timeout=10),
        )
        for line in [*response.usage, *response.app_usage]:
            # After a refusal the ledger reports remaining 0; say exhausted as a reader would.
            if line.limit > 0 and line.remaining <= 0:
                line.exhausted = True
        if as_json:
            _emit(response)
        else:
            render.print_quota(render.console(), response, locale.value)

    @app.command()
    @with_ranking_flags
    def batch(
        ranking: RankingFlags,
        source: Annotated[
            Path, typer.Argument(help="A folder of photos, or a CSV with columns id,photo.")
        ],
        out: Annotated[Path, typer.Option(help="Output file (.jsonl or .csv).")] = Path(
            "results.jsonl"
        ),
        recursive: Annotated[bool, typer.Option(help="Include sub-folders.")] = False,
        target: Target = "",
        api_key: ApiKey = "",
        timeout: Timeout = 600.0,
    ) -> None:
        """Search many photos; results are written as each finishes.

        Exit code: 4 when the budget ran out; else 0 when some photo was searched (failed
        ones are rows with ok=false), 2 when every photo was bad input, 1 otherwise."""
        from services.cli import batch_file

        if out.suffix.lower() not in {".csv", ".jsonl"}:
            raise bad_value("--out", out, [".csv", ".jsonl"], "unknown file type")
        items = batch_file.items(source, recursive)
        options = ranking.options()
        words = render.words(ranking.locale.value)
        rows, codes = _call(
            target,
            api_key,
            lambda stub, md: _run_batch(stub, md, items, options, timeout, words),
        )
        batch_file.write_rows(out, rows)
        failed = sum(1 for r in rows if not r["ok"])
        print(words["batch_done"].format(rows=len(rows), failed=failed, out=out), file=sys.stderr)
        raise typer.Exit(batch_file.exit_code(codes, len(rows)))


async def _run_batch(
    stub: search_pb2_grpc.SearchServiceAsyncStub,
    metadata: tuple[tuple[str, str], ...],
    items: list[tuple[str, str]],
    options: search_pb2.SearchOptions,
    deadline_s: float,
    words: dict[str, str],
) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows in the order results arrive, and the status code of every failed item."""
    from services.cli import batch_file

    rows: list[dict[str, Any]] = []
    codes: list[int] = []
    sendable: list[tuple[str, common_pb2.Photo]] = []
    for item_id, photo in items:
        try:
            sendable.append((item_id, _photo(photo, Role.product)))
        except CliError as error:  # a missing file is named as missing, not sent
            rows.append(batch_file.error_row(item_id, error.message))
            codes.append(INVALID_ARGUMENT)

    async def requests() -> AsyncIterator[search_pb2.BatchSearchRequest]:
        for item_id, built in sendable:
            yield search_pb2.BatchSearchRequest(
                item_id=item_id, photo=built, options=options, expected_total=len(sendable)
            )

    if not sendable:
        return rows, codes
    with Progress(console=Console(stderr=True), transient=True) as progress:
        searching = words["searching"]
        task = progress.add_task(searching.format(failed=0, spent=0), total=len(sendable))
        async for reply in stub.BatchSearch(requests(), metadata=metadata, timeout=deadline_s):
            rows.append(batch_file.row(reply))
            if reply.HasField("error"):
                codes.append(reply.error.code)
            progress.update(
                task,
                completed=reply.progress.done,
                description=searching.format(
                    failed=reply.progress.failed, spent=reply.progress.quota_spent
                ),
            )
    return rows, codes
