"""What people and scripts read, from constructed responses (the answer is rendered even
before the services that compute it are merged)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import grpc
from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2
from rich.console import Console

from services.cli import batch_file, endpoints, json_output, render
from services.cli.errors import from_grpc
from shared.errors import Code, FieldViolation, QuotaViolation, ServiceError
from shared.grpc_errors import to_status_proto
from shared.money import to_money


def _offer(
    offer_id: str,
    company: str,
    kind: common_pb2.SupplierKind.ValueType,
    price: str,
    similarity: float,
) -> common_pb2.Offer:
    return common_pb2.Offer(
        offer_id=offer_id,
        title="纯棉T恤 定制",
        title_translated="Cotton T-shirt, custom",
        price=to_money(Decimal(price)),
        min_order=0,
        similarity=similarity,
        visual_match=common_pb2.VisualMatch(compared=True, similarity=similarity),
        has_image_phash=True,
        image_phash=12345,
        supplier=common_pb2.Supplier(
            company_name=company, kind=kind, kind_confidence=0.61, province="广东", city="东莞"
        ),
    )


def _response() -> search_pb2.SearchByImageResponse:
    source = _offer(
        "111", "东莞市晨通服饰加工厂", common_pb2.SUPPLIER_KIND_SOURCE_FACTORY, "14.16", 91
    )
    reseller = _offer(
        "222", "广州市创富进出口有限公司", common_pb2.SUPPLIER_KIND_TRADING_COMPANY, "15.51", 77
    )
    stranger = _offer("333", "", common_pb2.SUPPLIER_KIND_UNKNOWN, "9.00", 30)
    answer = common_pb2.Answer(
        found=True,
        source_offer_id="111",
        source_supplier=source.supplier,
        confidence=0.82,
        summary="东莞市晨通服饰加工厂 is the source",
        match_set=[
            common_pb2.MatchMember(
                offer_id="111", role=common_pb2.MATCH_ROLE_SOURCE, similarity=91
            ),
            common_pb2.MatchMember(
                offer_id="222",
                role=common_pb2.MATCH_ROLE_RESELLER,
                similarity=77,
                markup_over_source=0.095,
            ),
        ],
        source_evidence=[common_pb2.Evidence(signal="company_name", value="厂", weight=2)],
    )
    ranked = [
        common_pb2.RankedOffer(offer=o, rank=i + 1)
        for i, o in enumerate((source, reseller, stranger))
    ]
    return search_pb2.SearchByImageResponse(offers=ranked, answer=answer, request_id="r1")


def _printed(draw: Callable[[Console], None]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    draw(console)
    return console.export_text()


def test_search_shows_the_answer_first_then_the_other_candidates() -> None:
    text = _printed(lambda c: render.print_search(c, _response(), False, "en"))
    assert text.index("Answer") < text.index("Match set") < text.index("Other candidates")
    assert "source factory (61 % sure)" in text
    assert "confidence 82 %" in text
    assert "+9.5 %" in text  # the reseller's mark-up
    others = text[text.index("Other candidates") :]
    assert "333" in others and "111" not in others
    assert "(company name not provided)" in others
    assert "Cotton T-shirt, custom" in text and "纯棉T恤" not in text  # en shows translations


def test_zh_output_has_no_english_headers() -> None:
    text = _printed(lambda c: render.print_search(c, _response(), False, "zh"))
    for english in ("Answer", "Match set", "Other candidates", "supplier", "similarity", "sure"):
        assert english not in text
    assert "结论" in text and "源头工厂 (61 % 把握)" in text


def test_without_an_answer_the_ranked_offers_are_shown_without_fake_similarity() -> None:
    response = _response()
    response.ClearField("answer")
    for ranked in response.offers:
        ranked.offer.similarity = 0
        ranked.offer.visual_match.compared = False
    text = _printed(lambda c: render.print_search(c, response, False, "en"))
    assert "Ranked offers" in text and "Answer" not in text
    assert "similarity" not in text


def test_plans_are_side_by_side_with_every_line_and_the_cheapest_named() -> None:
    def plan(offer_id: str, total: str) -> planning_pb2.CustomOrderPlan:
        money = to_money(Decimal(total))
        return planning_pb2.CustomOrderPlan(
            offer_id=offer_id,
            company_name=f"厂{offer_id}",
            markup_rate="0.35",
            deposit_rate="0.30",
            grand_total=money,
            sample_shipping=to_money(Decimal("10")),
        )

    response = search_pb2.PlanCustomOrderResponse(plans=[plan("1", "100.50"), plan("2", "130")])
    text = _printed(lambda c: render.print_plans(c, response, "en"))
    for line in ("sample fee", "sample shipping", "batch", "freight", "deposit", "balance"):
        assert line in text
    assert "+35 %" in text and "(30 %)" in text and "¥10.00" in text
    assert "cheapest: 1 (厂1), ¥29.50 less than the next (2)" in text
    # one table, a column per offer: both suppliers head the same row
    assert any("厂1" in line and "厂2" in line for line in text.splitlines())


def test_json_has_every_field_money_as_decimal_strings_and_no_internals() -> None:
    data = json.loads(json_output.dumps(_response()))
    offer = data["offers"][0]["offer"]
    assert offer["price"] == {"amount": "14.16", "currency": "CNY"}
    assert offer["min_order"] == 0 and isinstance(offer["min_order"], int)
    assert "has_image_phash" not in offer and "image_phash" not in offer
    assert offer["detail"] is None  # an unset message is null, present
    assert data["total_results"] == 0 and data["from_cache"] is False
    assert data["answer"]["match_set"][1]["role"] == "MATCH_ROLE_RESELLER"


def test_quota_json_keeps_zeros() -> None:
    usage = common_pb2.QuotaUsage(api="product.search.imageQuery", used=0, limit=0, remaining=0)
    data = json.loads(json_output.dumps(search_pb2.GetQuotaResponse(usage=[usage])))
    assert (data["usage"][0]["used"], data["usage"][0]["remaining"]) == (0, 0)
    assert data["usage"][0]["exhausted"] is False


def test_batch_csv_has_a_bom_and_the_answer_columns(tmp_path: Path) -> None:
    reply = search_pb2.BatchSearchResponse(item_id="a.jpg", result=_response())
    out = tmp_path / "results.csv"
    batch_file.write_rows(
        out, [batch_file.row(reply), batch_file.error_row("b.jpg", "photo not found: b.jpg")]
    )
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0]["source_offer_id"] == "111"
    assert rows[0]["source_supplier"] == "东莞市晨通服饰加工厂"
    assert rows[0]["confidence"] == "0.82" and rows[0]["similarity"] == "91.0"
    assert rows[1]["ok"] == "False" and rows[1]["error"] == "photo not found: b.jpg"


def test_batch_exit_codes() -> None:
    assert batch_file.exit_code([], 3) == 0
    assert batch_file.exit_code([8], 3) == 4  # RESOURCE_EXHAUSTED
    assert batch_file.exit_code([3], 3) == 0  # some searched
    assert batch_file.exit_code([3, 3], 2) == 2  # every photo bad input
    assert batch_file.exit_code([14, 14], 2) == 1


def test_batch_skips_sub_folders_with_a_warning_unless_recursive(
    tmp_path: Path, capsys: object
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "sub" / "b.png").write_bytes(b"x")
    assert [i for i, _ in batch_file.items(tmp_path, recursive=False)] == ["a.jpg"]
    assert "--recursive" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert [i for i, _ in batch_file.items(tmp_path, recursive=True)] == ["a.jpg", "sub/b.png"]


def test_the_cli_finds_a_running_set_without_exports(tmp_path: Path, monkeypatch: object) -> None:
    path = tmp_path / "state" / "endpoints.json"
    monkeypatch.setenv("FF_ENDPOINTS_FILE", str(path))  # type: ignore[attr-defined]
    assert endpoints.resolve("", "") == ("127.0.0.1:50051", "")
    endpoints.write(path, {"aggregator": "127.0.0.1:6000", "api_key": "k1"})
    assert path.stat().st_mode & 0o777 == 0o600
    assert endpoints.resolve("", "") == ("127.0.0.1:6000", "k1")
    assert endpoints.resolve("", "mine") == ("127.0.0.1:6000", "mine")
    assert endpoints.resolve("10.0.0.1:1", "") == ("10.0.0.1:1", "")  # not that set's key
    endpoints.remove_if_ours(path, "other")
    assert path.exists()
    endpoints.remove_if_ours(path, "k1")
    assert not path.exists()


def test_the_html_page_puts_the_buyers_photo_beside_the_answers_offers() -> None:
    from services.cli import html_report

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    page = html_report.render_page(
        [("front.jpg", html_report._data_uri(png))], _response().answer, _response().offers, "en"
    )
    assert page.index("front.jpg") < page.index("data-offer-id='111'")
    assert "data-offer-id='222'" in page and "+9.5 %" in page
    assert "id='source'>111<" in page
    assert "data:image/png;base64," in page
    assert "Other candidates" in page and "333" in page


def test_at_100_columns_the_supplier_name_is_whole_and_the_title_gives_way() -> None:
    response = _response()
    response.ClearField("answer")
    name = "东莞市大朗镇晨通服饰加工厂有限责任公司分公司"
    response.offers[0].offer.supplier.company_name = name
    response.offers[
        0
    ].offer.title = "厂家直销2024新款莫代尔重磅纯棉圆领短袖T恤男女同款宽松打底衫批发定制"
    console = Console(width=100, record=True, file=io.StringIO())
    render.print_search(console, response, False, "zh")
    lines = console.export_text().splitlines()
    header = next(line for line in lines if line.startswith("┏"))
    assert header.endswith("┓")  # the table fits: no column cropped
    supplier_cells = "".join(
        line.split("│")[2].strip() for line in lines if line.startswith("│") and line.count("│") > 3
    )
    assert name in supplier_cells
    assert "…" in "".join(lines)  # the title is what was shortened


def test_brackets_in_titles_and_names_are_text_not_markup() -> None:
    response = _response()
    response.offers[2].offer.title = "[包邮] 纯棉 [/b] T恤"
    response.offers[2].offer.supplier.company_name = "[义乌] 商行"
    text = _printed(lambda c: render.print_search(c, response, False, "zh"))
    assert "[包邮] 纯棉 [/b] T恤" in text and "[义乌] 商行" in text


def _rpc_error(problem: ServiceError) -> grpc.aio.AioRpcError:
    status = to_status_proto(problem)
    trailing = grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString()))
    code = next(c for c in grpc.StatusCode if c.value[0] == status.code)
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, status.message)


def test_an_unknown_region_from_the_server_lists_the_names_once_briefly() -> None:
    known = [f"place{i}" for i in range(130)]
    problem = ServiceError(
        Code.INVALID_ARGUMENT,
        "UNKNOWN_REGION",
        f"unknown region Mars; known: {'、'.join(known)}",
        metadata={"unknown": "Mars", "known": ",".join(known)},
        field_violations=[FieldViolation("filters.regions", f"known: {'、'.join(known)}")],
    )
    error = from_grpc(_rpc_error(problem))
    assert error.exit_code == 2 and error.reason == "UNKNOWN_REGION"
    assert "Mars" in error.message and "place0" in error.message
    assert "place129" not in error.message and "(118 more)" in error.message


def test_a_quota_refusal_is_exit_code_4_with_its_subject() -> None:
    problem = ServiceError(
        Code.RESOURCE_EXHAUSTED,
        "QUOTA_EXHAUSTED",
        "daily budget spent",
        quota_violations=[QuotaViolation("product.search.imageQuery", "500/500 used today")],
        retry_after_seconds=3600,
    )
    error = from_grpc(_rpc_error(problem))
    assert error.exit_code == 4
    assert "product.search.imageQuery" in error.message and "retry after 3600 s" in error.message
    assert {"retry_after_seconds": 3600} in error.details


def test_explain_shows_each_components_reason_and_the_customization_evidence() -> None:
    response = _response()
    response.ClearField("answer")
    ranked = response.offers[0]
    ranked.score.components.add(
        name="supplier_kind", points=40, max_points=45, reason="source factory with a certificate"
    )
    ranked.score.components.add(name="similarity", points=0, max_points=0, reason="breaks ties")
    ranked.offer.customization.evidence.add(signal="title_word", value="OEM", weight=1)
    text = _printed(lambda c: render.print_search(c, response, True, "zh"))
    assert "供应商类型 40/45: source factory with a certificate" in text
    assert "相似度: breaks ties" in text and "0/0" not in text
    assert "title_word=OEM" in text and "定制依据" in text
    assert "supplier_kind" not in text


def test_the_html_page_marks_a_supplier_whose_region_could_not_be_checked() -> None:
    from services.cli import html_report

    response = _response()
    unplaced = response.offers[1]  # the reseller, in the match set
    unplaced.offer.supplier.province = unplaced.offer.supplier.city = ""
    unplaced.region_unknown = True
    response.offers[2].region_unknown = True  # an other candidate, shown as a card
    for locale, mark in (("zh", "地区未知（未核实）"), ("en", "region unknown (not checked)")):
        page = html_report.render_page([], response.answer, response.offers, locale)
        row = page[page.index("data-offer-id='222'") :].split("</tr>")[0]
        assert f"广州市创富进出口有限公司 · {mark}<" in row
        assert "东莞市晨通服饰加工厂 · 广东东莞<" in page  # placed: where it is, no mark
        card = page[page.index("<b>333 · ") :].split("</b>")[0]
        assert mark in card
