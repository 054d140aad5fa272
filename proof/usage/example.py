"""Uses the Python models generated from the library example: typed construction (checked by mypy --strict),
dataclass and pydantic round trips, and what the ontology forbids refused at run time."""

from __future__ import annotations

import dataclasses
import datetime
import decimal

import models
import schemas
from pydantic import ValidationError

author = models.Author(name="Ursula K. Le Guin", birth_date=datetime.date(1929, 10, 21))
book = models.Book(isbn="9780441478125", title="Left Hand", written_by=author, price=decimal.Decimal("9.99"))
assert dataclasses.asdict(book)["written_by"]["name"] == "Ursula K. Le Guin"
pages: int | None = book.pages

publisher = schemas.Publisher(company_name="Ace", founded_year=1952)
typed = schemas.Book(
    isbn="9780441478125", title="Left Hand", written_by=schemas.Author(name="Le Guin"), published_by=publisher
)
text = typed.model_dump_json(by_alias=True, exclude_none=True)
back = schemas.Book.model_validate_json(text)
assert back == typed and '"writtenBy"' in text and '"companyName":"Ace"' in text, text
price: decimal.Decimal | None = back.price
refused = (
    '{"isbn": "1", "writtenBy": {"name": "n"}}',
    '{"isbn": "1", "title": "t", "writtenBy": {"name": "n"}, "pages": "x"}',
)
for bad in refused:
    try:
        schemas.Book.model_validate_json(bad)
    except ValidationError:
        continue
    raise AssertionError(f"accepted {bad}")
print(back.title, pages, price)
