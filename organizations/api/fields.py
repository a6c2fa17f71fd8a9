"""Serializer fields that bound what a request body may hold before it reaches the database."""

from __future__ import annotations

from rest_framework import serializers

from organizations.parsing import MAX_ID, parse_id


class IdField(serializers.IntegerField):
    """An id: 1 to 2**63-1. A larger number is a 400, not an OverflowError in the database driver."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id; an id out of range is as unknown as a missing one."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if parse_id(data) is None:
            self.fail("does_not_exist", pk_value=str(data)[:30])
        return super().to_internal_value(data)
