"""Filters shared by the API's resources."""
from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters


class StableOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` as DRF does it, always ending on the unique ``id`` so pages never repeat or skip."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not {term.lstrip("-") for term in ordering} & {"id", "pk"}:
            ordering.append("-id" if ordering and ordering[0].startswith("-") else "id")
        return ordering


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id: ``abc`` or ``1.5`` is a 400, not a 500 and not a silent rounding."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**62)
        super().__init__(*args, **kwargs)


MAX_ID = 2**62


def id_field(queryset, **kwargs):
    """A related object by id: ``abc``, ``1.5`` or an id past any real one is a 400, never a 500."""
    from rest_framework import serializers

    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kwargs
    )


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time between the years 1900 and 2999: far dates are a 400 rather than an overflow
    in the database driver."""

    def clean(self, value):
        from django.core.exceptions import ValidationError

        result = super().clean(value)
        if result is not None and not 1900 <= result.year <= 2999:
            raise ValidationError("时间超出范围（1900—2999 年）。 / The time is out of range (years 1900–2999).",
                                  code="out_of_range")
        return result


@extend_schema_field(OpenApiTypes.DATETIME)
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField
