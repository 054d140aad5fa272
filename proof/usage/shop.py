"""Uses the Python models generated from proof/ontology.ttl: typed construction (checked by mypy --strict),
keyword-named properties (`class` is `class_` in Python, "class" in JSON), round trips, refusals."""

from __future__ import annotations

import datetime
import decimal

import models
import schemas
from pydantic import ValidationError

customer = models.Customer(email="a@example.org", loyal=True)
order = models.Order(placed_by=customer, total=decimal.Decimal("12.50"), class_="express")
line = models.OrderLine(order=order, quantity=2, type="book", weight=0.4)
assert line.order.placed_by.email == "a@example.org"

typed = schemas.OrderLine(
    order=schemas.Order(
        placed_by=schemas.Customer(email="a@example.org", born=datetime.date(1990, 1, 2)),
        total=decimal.Decimal("12.50"),
        class_="express",
        placed_at=datetime.datetime(2026, 1, 1, 10, tzinfo=datetime.UTC),
    ),
    quantity=2,
)
text = typed.model_dump_json(by_alias=True, exclude_none=True)
back = schemas.OrderLine.model_validate_json(text)
assert back == typed and '"class":"express"' in text and '"placedBy"' in text, text
quantity: int = back.quantity
try:
    schemas.Order.model_validate({"total": "1"})
except ValidationError:
    pass
else:
    raise AssertionError("an order without placedBy was accepted")
print(quantity, back.order.class_)
