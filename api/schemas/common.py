"""Pieces every resource's bodies use."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Strict = ConfigDict(extra="forbid")  # every request body refuses unknown fields (422)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CaseId = Annotated[str, Field(pattern=UUID_PATTERN, max_length=36, examples=["3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f"])]
MAX_KEYS = 50  # facts and transition data: a handful of declared fields, checked by the process
COMMENT_LENGTH = 2000
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits in PostgreSQL; larger ones would overflow in SQL


class Named(BaseModel):
    name: str
    label: str
