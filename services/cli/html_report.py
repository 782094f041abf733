"""``--html report.html``: one self-contained page a buyer can open in any browser, no server.

The buyer's photo sits beside the photos of the answer's offers (fetched from each offer's
``image_url`` and inlined as data URIs, so the page works offline), then the match set
with resellers' mark-ups, the evidence, and the other candidates; each supplier with its
place as the tables show it (marked region unknown when a region filter could not check it).
Fetches are bounded in size, time and number: a report never hangs on a slow image host, it
shows "no photo".
"""

from __future__ import annotations

import base64
import html
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from factoryfinder.v1 import common_pb2, search_pb2

from services.cli import render

MAX_IMAGE_BYTES = 4 * 1024 * 1024
FETCH_TIMEOUT_S = 5.0
MAX_FETCHED = 16
_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
    b"BM": "image/bmp",
}


def write_search(
    path: Path,
    shown_name: str,
    photo: common_pb2.Photo,
    response: search_pb2.SearchByImageResponse,
    locale: str,
    plans: search_pb2.PlanCustomOrderResponse | None = None,
) -> None:
    page = render_page(
        [(shown_name, _photo_uri(photo))], response.answer, list(response.offers), locale, plans
    )
    path.write_text(page, encoding="utf-8")


def write_verify(
    path: Path,
    names: Sequence[str],
    photos: Sequence[common_pb2.Photo],
    response: search_pb2.VerifyByImagesResponse,
    locale: str,
    plans: search_pb2.PlanCustomOrderResponse | None = None,
) -> None:
    buyer = [(name, _photo_uri(p)) for name, p in zip(names, photos, strict=True)]
    ranked = [v.ranked for v in response.offers]
    page = render_page(buyer, response.answer, ranked, locale, plans)
    path.write_text(page, encoding="utf-8")


def render_page(
    buyer_photos: Sequence[tuple[str, str]],
    answer: common_pb2.Answer,
    offers: Sequence[common_pb2.RankedOffer],
    locale: str,
    plans: search_pb2.PlanCustomOrderResponse | None = None,
) -> str:
    """The whole page; ``buyer_photos`` are (name, data URI or "")."""
    w = render.words(locale)
    ranked_by_id = {r.offer.offer_id: r for r in offers}
    by_id = {offer_id: r.offer for offer_id, r in ranked_by_id.items()}
    members = [m.offer_id for m in answer.match_set if m.offer_id in by_id]
    others = [r.offer.offer_id for r in render.others(offers, answer)]
    pictures = _fetch_all([by_id[i].image_url for i in [*members, *others][:MAX_FETCHED]])
    e = html.escape
    parts = [
        "<!doctype html><html lang='" + ("en" if locale == "en" else "zh") + "'><head>",
        "<meta charset='utf-8'><title>factoryfinder</title><style>",
        "body{font-family:sans-serif;margin:24px;color:#222;background:#fff}",
        ".row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start}",
        ".card{border:1px solid #ccc;border-radius:6px;padding:8px;width:220px}",
        ".card img{width:220px;height:220px;object-fit:contain;background:#f4f4f4}",
        ".buyer{border-color:#1565c0;border-width:3px}.source{border-color:#2e7d32;border-width:3px}",
        "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px}",
        "</style></head><body>",
    ]
    if answer.found:
        supplier = answer.source_supplier
        parts.append(
            f"<h1>{e(w['answer'])}: {e(render.company(supplier, locale))}</h1>"
            f"<p>{e(w['source'])} <b id='source'>{e(answer.source_offer_id)}</b> · "
            f"{e(render.kind_text(supplier, locale))} · {e(w['confidence'])} "
            f"{round(answer.confidence * 100)} %</p>"
        )
    else:
        heading = w["no_answer"] if answer.summary else ", ".join(n for n, _ in buyer_photos)
        parts.append(f"<h1>factoryfinder: {e(heading)}</h1>")
    if answer.summary:
        parts.append(f"<p>{e(answer.summary)}</p>")
    parts.append("<div class='row'>")
    for name, uri in buyer_photos:
        parts.append(_card("buyer", name, uri, w["photo"]))
    for index, offer_id in enumerate(members):
        offer = by_id[offer_id]
        member = answer.match_set[[m.offer_id for m in answer.match_set].index(offer_id)]
        css = "source" if member.role == common_pb2.MATCH_ROLE_SOURCE else ""
        caption = f"{offer_id} · {_supplier(ranked_by_id[offer_id], locale)}"
        parts.append(_card(css, caption, pictures[index], render.title(offer, locale)))
    parts.append("</div>")
    if answer.match_set:
        parts.append(f"<h2>{e(w['match_set'])}</h2><table><tr>")
        for column in ("role", "offer", "supplier", "similarity", "markup", "why"):
            parts.append(f"<th>{e(w[column])}</th>")
        parts.append("</tr>")
        for member in answer.match_set:
            known = ranked_by_id.get(member.offer_id)
            name = _supplier(known, locale) if known is not None else ""
            markup = (
                f"+{render.percent(member.markup_over_source)}"
                if member.role == common_pb2.MATCH_ROLE_RESELLER
                else ""
            )
            parts.append(
                f"<tr data-offer-id='{e(member.offer_id)}'><td>{e(render.role(member.role, locale))}"
                f"</td><td>{e(member.offer_id)}</td><td>{e(name)}</td>"
                f"<td>{member.similarity:.0f} %</td><td>{e(markup)}</td>"
                f"<td>{e('; '.join(render.evidence(x) for x in member.reasons))}</td></tr>"
            )
        parts.append("</table>")
    if answer.source_evidence:
        parts.append(f"<h2>{e(w['evidence'])}</h2><ul>")
        parts += [f"<li>{e(render.evidence(x))}</li>" for x in answer.source_evidence]
        parts.append("</ul>")
    if others:
        parts.append(f"<h2>{e(w['others'] if members else w['ranked'])}</h2><div class='row'>")
        for index, offer_id in enumerate(others[: MAX_FETCHED - len(members)]):
            offer = by_id[offer_id]
            caption = (
                f"{offer_id} · {_supplier(ranked_by_id[offer_id], locale)} · "
                f"{render.kind_text(offer.supplier, locale)} · {render.money(offer.price)}"
            )
            picture = pictures[len(members) + index]
            parts.append(_card("", caption, picture, render.title(offer, locale)))
        parts.append("</div>")
    if plans is not None:
        parts.append(_plans_html(plans, locale))
    parts.append("</body></html>")
    return "\n".join(parts)


def _plans_html(response: search_pb2.PlanCustomOrderResponse, locale: str) -> str:
    e = html.escape
    w = render.words(locale)
    parts = [f"<h2>{e(w['plans'])}</h2>"]
    if response.plans:
        parts.append(f"<table><tr><th>{e(w['item'])}</th>")
        for plan in response.plans:
            name = plan.company_name or w["no_name"]
            parts.append(
                f"<th data-plan-offer-id='{e(plan.offer_id)}'>{e(plan.offer_id)}<br>{e(name)}</th>"
            )
        parts.append("</tr>")
        for label, cell in render.plan_rows(w):
            cells = "".join(f"<td>{e(cell(p))}</td>" for p in response.plans)
            parts.append(f"<tr><td>{e(label)}</td>{cells}</tr>")
        parts.append("</table>")
    for refusal in response.refusals:
        parts.append(
            f"<p data-refused-offer-id='{e(refusal.offer_id)}'>{e(w['refused'])} "
            f"{e(refusal.offer_id)}: {e(refusal.reason)} {e(refusal.message)}</p>"
        )
        notes = "".join(f"<li>{e(item.note or item.value)}</li>" for item in refusal.evidence)
        if notes:
            parts.append(f"<ul>{notes}</ul>")
    return "\n".join(parts)


def _supplier(ranked: common_pb2.RankedOffer, locale: str) -> str:
    """The company and where it is, as the tables show them (render.place)."""
    place = render.place(ranked, locale)
    name = render.company(ranked.offer.supplier, locale)
    return f"{name} · {place}" if place else name


def _card(css: str, caption: str, uri: str, subtitle: str) -> str:
    e = html.escape
    image = f"<img src='{uri}' alt='{e(caption)}'>" if uri else "<div class='img'>no photo</div>"
    return (
        f"<div class='card {css}'>{image}<div><b>{e(caption)}</b></div>"
        f"<div>{e(subtitle)}</div></div>"
    )


def _photo_uri(photo: common_pb2.Photo) -> str:
    if photo.image_data:
        return _data_uri(photo.image_data)
    return _fetch(photo.image_url) if photo.image_url else ""


def _fetch_all(urls: Sequence[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(_fetch, urls))


def _fetch(url: str) -> str:
    """A data URI for ``url``, or "" when it cannot be had quickly and small enough."""
    if not url.startswith(("http://", "https://")):
        return ""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as reply:
            body = reply.read(MAX_IMAGE_BYTES + 1)
    except (OSError, ValueError):
        return ""
    return _data_uri(body) if len(body) <= MAX_IMAGE_BYTES else ""


def _data_uri(body: bytes) -> str:
    kind = next((t for sig, t in _SIGNATURES.items() if body.startswith(sig)), "")
    if not kind:
        return ""
    return f"data:{kind};base64,{base64.b64encode(body).decode('ascii')}"
