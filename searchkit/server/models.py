"""The JSON API's response models, generated from the records (records.py) so that the
OpenAPI schema documents every field the API returns and cannot drift from them."""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from pydantic import BaseModel, Field, create_model

from ..records import Document, Hit, SearchResult

__all__ = [
    "DocumentModel",
    "DocumentSummary",
    "ErrorMessage",
    "Health",
    "HitModel",
    "SearchResultModel",
    "SummarizeRequest",
    "SummaryResponse",
]

MAX_SUMMARY_SENTENCES = 100
MAX_SUMMARIZE_CHARS = 1_000_000  # POST /summarize text


def _fields(cls: type, leave_out: frozenset[str] = frozenset(), **types: Any) -> dict[str, Any]:
    """Pydantic field definitions for the dataclass ``cls``'s fields, with their
    descriptions; ``types`` replaces a field's type (a nested record's model)."""
    hints = get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in leave_out:
            continue
        # Every field is always present in a response, so none is optional in the schema.
        out[f.name] = (
            types.get(f.name, hints[f.name]),
            Field(..., description=f.metadata.get("description")),
        )
    return out


DocumentModel = create_model("Document", __doc__="One stored article with its summary.", **_fields(Document))
# A hit is flat: the document's fields but its body, then the score and the passage.
HitModel = create_model(
    "Hit",
    __doc__="One search result: the document (without its body), its score and passage.",
    **_fields(Document, frozenset({"body"})),
    **_fields(Hit, frozenset({"document"}), highlights=list[tuple[int, int]]),
)
_result_fields = _fields(SearchResult, frozenset({"facets"}), hits=list[HitModel])  # type: ignore[valid-type]
SearchResultModel = create_model(
    "SearchResult",
    __doc__="A page of hits, as `searchkit query --json` prints it.",
    **_result_fields,
    facets=(
        dict[str, dict[str, int]] | None,
        Field(None, description="With facets=true: matching documents per month, category and author."),
    ),
)


class ErrorMessage(BaseModel):
    error: str = Field(..., description="What went wrong, meant for the user as it is.")


class SummarizeRequest(BaseModel):
    text: str = Field(..., max_length=MAX_SUMMARIZE_CHARS, description="The text to summarise.")
    sentences: int = Field(3, ge=1, le=MAX_SUMMARY_SENTENCES, description="Sentences to return.")
    method: str | None = Field(
        None, max_length=100, description="Summary method (default: the learned ranker)."
    )
    title: str | None = Field(None, max_length=10_000, description="The text's title, if any.")
    query: str | None = Field(
        None,
        max_length=1000,
        description="Summarise for this query: the sentences that best answer it (no method then).",
    )


class SummaryResponse(BaseModel):
    summary: list[str] = Field(..., description="Sentences of the text, in order.")


class DocumentSummary(BaseModel):
    id: str
    summary: list[str] = Field(..., description="Sentences of the document's body, in order.")


class Health(BaseModel):
    status: str
    index: str = Field(..., description="The index directory being served.")
    documents: int = Field(..., description="Documents in the index.")
    last_modified: str = Field(..., description="When the index was last committed (ISO 8601, UTC).")
