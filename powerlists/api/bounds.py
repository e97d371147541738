"""Bounded lists and objects for the API's serializers: refused by their size before any entry is looked at,
and said in the OpenAPI schema (``maxItems``, ``maxProperties``). The limits are those of
:mod:`powerlists.services.bounds`; texts use ``CharField(max_length=…)`` (``maxLength`` in the schema)."""
from __future__ import annotations

import django_filters
from django.core.validators import MaxLengthValidator
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters, serializers

from ..services.bounds import MAX_CODE, MAX_NAME, too_long, too_many

MAX_SEARCH = MAX_NAME
MAX_SEARCH_TERMS = 10


class BoundedListSerializer(serializers.ListSerializer):
    """``many=True, max_length=N``: DRF refuses a longer list before validating any entry (40,000 parties are
    refused at once, not after 40,000 look-ups); the validator added here only puts ``maxItems`` in the schema."""

    def get_validators(self):
        validators = list(super().get_validators())
        if self.max_length is not None:
            validators.append(MaxLengthValidator(self.max_length))
        return validators


class BoundedDictField(serializers.DictField):
    """A JSON object of at most ``max_length`` keys (``maxProperties``), counted before any value is read."""

    def __init__(self, *, max_length: int, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)
        self.validators.append(MaxLengthValidator(max_length))

    def to_internal_value(self, data):
        if isinstance(data, dict) and len(data) > self.max_length:
            english = (get_language() or "").startswith("en")
            raise serializers.ValidationError(
                f"At most {self.max_length} keys (got {len(data)})." if english
                else f"最多{self.max_length}个字段（收到{len(data)}个）。", code="max_length")
        return super().to_internal_value(data)


class BoundedSearchFilter(filters.SearchFilter):
    """``?search=`` of at most :data:`MAX_SEARCH` characters and :data:`MAX_SEARCH_TERMS` words: each word is
    one more condition on every search field, so a long query is refused (400) rather than run."""

    def get_search_terms(self, request):
        raw = request.query_params.get(self.search_param, "")
        terms = super().get_search_terms(request)
        if len(raw) > MAX_SEARCH:
            raise too_long(self.search_param, len(raw), MAX_SEARCH, "检索词", "The search")
        if len(terms) > MAX_SEARCH_TERMS:
            raise too_many(self.search_param, len(terms), MAX_SEARCH_TERMS, "检索词", "search words")
        return terms

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter.get("name") == self.search_param:
                parameter.setdefault("schema", {"type": "string"})["maxLength"] = MAX_SEARCH
        return parameters


@extend_schema_field({"type": "string", "maxLength": MAX_CODE})
class CodeFilter(django_filters.CharFilter):
    """A code (of a government, a tag, an action, a rule, a field) as a filter: at most :data:`MAX_CODE`
    characters, a longer one is a 400 (and the schema says ``maxLength``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", MAX_CODE)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "maxLength": MAX_CODE})
class CodeRelatedField(serializers.SlugRelatedField):
    """A related record named by its code (or slug): at most :data:`MAX_CODE` characters, a longer one refused
    before it is looked up (and the schema says ``maxLength``)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > MAX_CODE:
            raise serializers.ValidationError(
                serializers.CharField.default_error_messages["max_length"].format(max_length=MAX_CODE),
                code="max_length")
        return super().to_internal_value(data)
