"""The ``[graph]`` settings section (environment ``GGEN_MCP_GRAPH__<KEY>``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from ggen_mcp_core import CommaList

MiB = 1024 * 1024


class GraphSettings(BaseModel):
    """Where the graph lives and the limits every graph tool keeps."""

    model_config = ConfigDict(extra="forbid")

    store: Literal["embedded", "sparql"] = Field(
        default="embedded",
        description="`embedded`: an on-disk pyoxigraph store under <workspace>/.ggen/store; "
        "`sparql`: a remote SPARQL 1.1 endpoint (query_endpoint, update_endpoint).",
    )
    query_endpoint: str | None = Field(default=None, description="SPARQL 1.1 query endpoint URL (store = sparql).")
    update_endpoint: str | None = Field(default=None, description="SPARQL 1.1 update endpoint URL (store = sparql).")
    auth_header: SecretStr | None = Field(
        default=None, description="Authorization header value sent to the remote endpoints (e.g. `Bearer ...`)."
    )
    connect_timeout: float = Field(default=5.0, gt=0, le=120, description="Seconds to connect to a remote endpoint.")
    query_timeout: float = Field(default=10.0, gt=0, le=3600, description="Deadline of every query, in seconds.")
    update_timeout: float = Field(default=60.0, gt=0, le=3600, description="Deadline of every update, in seconds.")
    load_timeout: float = Field(default=600.0, gt=0, le=86400, description="Deadline of a load, in seconds.")
    default_limit: int = Field(default=1000, gt=0, le=1_000_000, description="Row cap when a query gives no limit.")
    max_limit: int = Field(default=10_000, gt=0, le=1_000_000, description="Hard maximum of the row cap.")
    max_query_bytes: int = Field(default=64 * 1024, gt=0, le=16 * MiB, description="Longest SPARQL text accepted.")
    max_load_bytes: int = Field(
        default=1024 * MiB, gt=0, description="Largest RDF input a load accepts (file or content)."
    )
    max_remote_load_bytes: int = Field(
        default=64 * MiB, gt=0, description="Largest RDF input sent to a remote store in one update."
    )
    bulk_load_bytes: int = Field(
        default=16 * MiB,
        ge=0,
        description="Files at least this large use the bulk loader (fast, not transactional).",
    )
    max_export_bytes: int = Field(default=1 * MiB, gt=0, description="Cap of an inline graph_export result.")
    max_export_file_bytes: int = Field(default=2048 * MiB, gt=0, description="Cap of an export written to a file.")
    max_resource_bytes: int = Field(default=256 * 1024, gt=0, description="Cap of a ggen://graphs/{name} resource.")
    max_copy_triples: int = Field(
        default=1_000_000,
        gt=0,
        description="Most triples copied out of the store in one call (graph_validate's data graph, "
        "and graph_export from a remote store).",
    )
    validate_timeout: float = Field(default=120.0, gt=0, le=3600, description="Deadline of a SHACL validation.")
    stats_top: int = Field(default=50, gt=0, le=10_000, description="Classes and predicates graph_stats lists.")
    worker_threads: int = Field(default=4, ge=1, le=64, description="Concurrent operations in the store worker.")
    worker_memory_mb: int = Field(
        default=1024,
        ge=0,
        le=1_048_576,
        description="Memory limit (RLIMIT_DATA, MiB) of every graph worker process (the store, template graphs, "
        "SHACL validation). A call that makes a worker exceed it fails with an error naming this setting, and "
        "only that call: the others in flight retry on a fresh worker. A 200,000-triple store with its "
        "in-memory copy needs about 350 MiB; 0 = no limit (never above the server's own ulimit).",
    )
    network_isolation: Literal["required", "warn"] = Field(
        default="required",
        description="Graph worker processes (where pyoxigraph runs SPARQL and RDF text) run without network: "
        "a user+network namespace, else a seccomp filter refusing sockets. `required`: a worker that gets "
        "neither does not start (graph tools fail, /readyz names the reason); `warn`: it starts without "
        "isolation, logs an error and reports the degraded state in the ggen://graphs resource.",
    )
    memory_replica_triples: int = Field(
        default=250_000,
        ge=0,
        le=100_000_000,
        description="An embedded store of at most this many triples is also copied into memory in the store "
        "worker, and queries read the copy (about 4x faster than the on-disk store; about 35 MiB per 100,000 "
        "triples). Every write drops the copy and it is rebuilt in the background; 0 turns it off.",
    )
    result_cache_entries: int = Field(
        default=256,
        ge=0,
        le=100_000,
        description="graph_query results (of at most 200 rows) kept per embedded store and served again until "
        "the next write to that store; 0 turns the cache off.",
    )
    remote_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Remote store: retries of a request whose connection could not be made (never sent, so "
        "safe for updates too), with exponential backoff and full jitter.",
    )
    remote_backoff: float = Field(
        default=0.2, ge=0, le=30, description="Remote store: first backoff in seconds; doubles per retry."
    )
    remote_breaker_threshold: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Remote store: failed requests in a row (unreachable, 502/503/504) that open its circuit "
        "breaker; while open, graph calls fail at once and /readyz reports the store.",
    )
    remote_breaker_reset: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Remote store: seconds the breaker stays open before one trial request (a /readyz probe "
        "that gets an answer closes it sooner).",
    )
    max_sparql_nesting: int = Field(
        default=128,
        ge=8,
        le=1000,
        description="A SPARQL text (query, update, SHACL-SPARQL, template SPARQL) with more opening brackets "
        "({, (, [) than this must have its nesting verified by the guard's parser, and is refused when it "
        "cannot be (the engine's parser overflows its stack past about 2,000 nested groups).",
    )
    guard_parse_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Longest SPARQL text the guard parses (rdflib: 1-200 ms per KiB, one parse at a time) when "
        "the cheap check cannot clear it (a SERVICE/LOAD/FROM/USING substring, or more brackets than "
        "max_sparql_nesting); longer texts that need the parse are refused.",
    )
    allow_service: bool = Field(default=False, description="Let graph_query use SERVICE (federation).")
    service_allowlist: CommaList = Field(
        default_factory=list,
        description="With allow_service: the only SERVICE endpoints allowed (comma or JSON list; empty = any).",
    )

    @model_validator(mode="after")
    def _check(self) -> GraphSettings:
        if self.default_limit > self.max_limit:
            raise ValueError("default_limit must not exceed max_limit")
        if self.store == "sparql" and not self.query_endpoint:
            raise ValueError("store = 'sparql' needs query_endpoint (and update_endpoint for writes)")
        return self

    def effective_limit(self, requested: int | None) -> int:
        """The row cap for a call: the request's, else the default, never above the maximum."""
        return min(requested or self.default_limit, self.max_limit)
