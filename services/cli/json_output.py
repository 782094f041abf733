"""``--json``: responses as scripts want them (documented in the README, "JSON output").

- every field is present, zeros, empty strings and empty lists included (``jq .remaining``
  is ``0``, never ``null``); an unset message field is ``null``;
- money is ``{"amount": "14.48", "currency": "CNY"}`` (a decimal string, exact);
- int64 are JSON numbers; enums are their proto names; timestamps RFC 3339 UTC;
  durations seconds as a number;
- fields that only serve our services (``image_phash``, ``has_image_phash``) are left out.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import descriptor
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import money_pb2

from shared.money import from_money

INTERNAL_FIELDS = frozenset({"image_phash", "has_image_phash"})


def to_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fields: Any = message.DESCRIPTOR.fields
    for fd in fields:
        if fd.name in INTERNAL_FIELDS:
            continue
        value = getattr(message, fd.name)
        if _is_map(fd):
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {str(k): _value(value_fd, v) for k, v in value.items()}
        elif _is_repeated(fd):
            out[fd.name] = [_value(fd, v) for v in value]
        elif fd.type == descriptor.FieldDescriptor.TYPE_MESSAGE and not message.HasField(fd.name):
            out[fd.name] = None
        else:
            out[fd.name] = _value(fd, value)
    return out


def dumps(message: Message) -> str:
    return json.dumps(to_json(message), ensure_ascii=False, indent=2)


def money(value: money_pb2.Money) -> dict[str, str]:
    return {"amount": str(from_money(value)), "currency": value.currency_code}


def _is_repeated(fd: Any) -> bool:
    return bool(fd.is_repeated)


def _is_map(fd: Any) -> bool:
    return (
        _is_repeated(fd)
        and fd.type == descriptor.FieldDescriptor.TYPE_MESSAGE
        and fd.message_type.GetOptions().map_entry
    )


def _value(fd: Any, value: Any) -> Any:
    if fd.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
        return _message(value)
    if fd.type == descriptor.FieldDescriptor.TYPE_ENUM:
        number = int(value)
        known = fd.enum_type.values_by_number.get(number)
        return known.name if known is not None else number
    if fd.type == descriptor.FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _message(value: Message) -> Any:
    if isinstance(value, money_pb2.Money):
        return money(value)
    if isinstance(value, Timestamp):
        return value.ToJsonString()
    if isinstance(value, Duration):
        return value.ToNanoseconds() / 1e9
    if isinstance(value, AnyMessage):
        return {"type_url": value.type_url}
    return to_json(value)
