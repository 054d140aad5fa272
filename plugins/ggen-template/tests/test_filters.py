"""ggen's filters: the examples from ggen's own filter documentation are test cases."""

from __future__ import annotations

import pytest
from conftest import call_ok, write
from ggen_template.filters import GGEN_FILTERS

EXAMPLES = [
    ("camel", "user_profile", "userProfile"),
    ("pascal", "user_profile", "UserProfile"),
    ("snake", "UserProfile", "user_profile"),
    ("kebab", "UserProfile", "user-profile"),
    ("param", "UserProfile", "user-profile"),
    ("class", "user_profiles", "UserProfile"),
    ("class", "hello_world_example", "HelloWorldExample"),
    ("title", "hello_world_example", "Hello World Example"),
    ("titlecase", "hello_world_example", "Hello World Example"),
    ("sentence", "hello_world_example", "Hello world example"),
    ("train", "hello_world_example", "Hello-World-Example"),
    ("shouty_snake", "helloWorldExample", "HELLO_WORLD_EXAMPLE"),
    ("constant", "hello world", "HELLO_WORLD"),
    ("shouty_kebab", "hello_world_example", "HELLO-WORLD-EXAMPLE"),
    ("upper", "abc", "ABC"),
    ("lower", "ABC", "abc"),
    ("lcfirst", "FooBar", "fooBar"),
    ("ucfirst", "fooBar", "FooBar"),
    ("pluralize", "user_profile", "user_profiles"),
    ("pluralize", "person", "people"),
    ("pluralize", "users", "users"),
    ("singularize", "people", "person"),
    ("singularize", "categories", "category"),
    ("ordinalize", 1, "1st"),
    ("ordinalize", "22", "22nd"),
    ("ordinalize", "113", "113th"),
    ("ordinalize", "abc", "abc"),
    ("deordinalize", "1st", "1"),
    ("deordinalize", "22nd", "22"),
    ("deconstantize", "Net::HTTP::Get", "Net::HTTP"),
    ("demodulize", "ActiveRecord::Base", "Base"),
    ("foreign_key", "Message", "message_id"),
    ("foreign_key", "Admin::Post", "post_id"),
    ("snake", "HTTPServer", "http_server"),
    ("camel", "getHTTPResponse", "getHttpResponse"),
    ("snake", "version2Api", "version2_api"),
    ("snake", 42, "42"),
]


@pytest.mark.parametrize(("name", "value", "expected"), EXAMPLES)
def test_filter_examples(name: str, value: object, expected: str) -> None:
    assert GGEN_FILTERS[name](value) == expected


def test_every_filter_the_issue_names_exists() -> None:
    named = [
        "camel",
        "pascal",
        "snake",
        "kebab",
        "class",
        "title",
        "sentence",
        "train",
        "shouty_snake",
        "shouty_kebab",
        "titlecase",
        "param",
        "constant",
        "upper",
        "lower",
        "lcfirst",
        "ucfirst",
        "pluralize",
        "singularize",
        "ordinalize",
        "deordinalize",
        "deconstantize",
        "demodulize",
        "foreign_key",
    ]
    assert sorted(named) == sorted(GGEN_FILTERS)


@pytest.mark.anyio
async def test_filters_chain_in_a_rendered_template(ggen_host, ggen_client, workspace) -> None:
    write(
        workspace,
        "templates/f.tmpl",
        """
        {{ "user_profile" | camel }} {{ "UserProfile" | snake | pluralize }} {{ "Message" | foreign_key }}
        {{ "ActiveRecord::Base" | demodulize }} {{ 1 | ordinalize }} {{ name | class }}
        """,
    )
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(client, "template_render", {"template": "f", "vars": {"name": "line_items"}})
    assert out["files"][0]["content"] == "userProfile user_profiles message_id\nBase 1st LineItem\n"
