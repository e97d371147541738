"""Editions of a government's list (年度动态调整) and the laws items cite.

``/api/v1/governments/{code}/editions/``: the editions the caller may see (the public sees published and
filed ones; the government's editors and reviewers also drafts), and ``POST`` drafts one. An edition is
fetched by its number; its ``powers`` are the list on its publication date (paged like the government's
``powers``); ``compare/?with=NUMBER`` is what changed between two editions. ``approve``, ``publish`` and
``file`` are the steps of :mod:`powerlists.services.editions`, each with If-Match and Idempotency-Key.

``/api/v1/laws/``: the register of laws (name, kind, issuing document, the version's date); a law is
registered by an editor anywhere (:func:`powerlists.services.laws.create_law`).
"""
from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import policy
from ...models import Edition, Government, Law, LawKind
from ...queries.editions import compare, edition_by_number, edition_rows, editions_of
from ...services.editions import approve_edition, draft_edition, file_edition, publish_edition
from ...services.errors import InvalidInput
from ...services.laws import create_law
from ..bounds import BoundedSearchFilter
from ..concurrency import expected_version, with_etag
from ..idempotency import idempotent
from .governments import POWER_ROW, diff_body, power_row, with_codes
from .transfers import ETAG_HEADER, IDEMPOTENCY_KEY, IF_MATCH, errors, require_signed_in, validated

NUMBER_PATTERN = r"[0-9A-Za-z_-]{1,30}"  # as services.editions.NUMBER


class EditionSerializer(serializers.ModelSerializer):
    government = serializers.CharField(source="government.code", read_only=True)
    government_name = serializers.CharField(source="government.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    filed_with = serializers.CharField(source="filed_with.code", read_only=True, allow_null=True, default=None)
    filed_with_name = serializers.CharField(source="filed_with.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Edition
        fields = ["id", "government", "government_name", "number", "title", "state", "state_label",
                  "document_number", "approved_on", "published_on", "filed_on", "filed_with", "filed_with_name",
                  "filing_number", "version"]
        read_only_fields = fields


class EditionDraftSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text="版本号, e.g. 2021")
    title = serializers.CharField(max_length=200, help_text="e.g. 哈尔滨市市级权责清单（2021年版）")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EditionApproveSerializer(serializers.Serializer):
    approved_on = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EditionPublishSerializer(serializers.Serializer):
    document_number = serializers.CharField(max_length=100, help_text="公布文号, e.g. 哈政发〔2021〕5号")
    published_on = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EditionFileSerializer(serializers.Serializer):
    filed_with = serializers.CharField(max_length=50, help_text="Code of the upper government filed with (备案机关).")
    filed_on = serializers.DateField()
    filing_number = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="备案号")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


EDITION_DETAIL = inline_serializer("EditionDetail", fields={
    "edition": EditionSerializer(),
    "count": serializers.IntegerField(help_text="Items in the edition's list."),
    "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
    "results": POWER_ROW.__class__(many=True, help_text="The list on the publication date (none for a draft)."),
})
EDITION_COMPARE = inline_serializer("EditionCompare", fields={
    "older": EditionSerializer(), "newer": EditionSerializer(),
    "count_older": serializers.IntegerField(), "count_newer": serializers.IntegerField(),
    "unchanged": serializers.IntegerField(),
    "added": POWER_ROW.__class__(many=True), "removed": POWER_ROW.__class__(many=True),
    "changed": inline_serializer("EditionChange", many=True, fields={
        "before": POWER_ROW.__class__(), "after": POWER_ROW.__class__()}),
})


def _government(code: str) -> Government:
    return get_object_or_404(Government.objects.only("id", "code", "path", "tier", "name", "parent_id"), code=code)


class _EditionBase(APIView):
    def edition(self, request, code: str, number: str) -> Edition:
        found = edition_by_number(_government(code), number, request.user)
        if found is None:
            from django.http import Http404

            raise Http404
        return found

    def answer(self, edition: Edition, code: int = status.HTTP_200_OK) -> Response:
        edition = Edition.objects.select_related("government", "filed_with").get(pk=edition.pk)
        return with_etag(Response(EditionSerializer(edition).data, status=code), edition)


class EditionListView(_EditionBase):
    @extend_schema(summary="The editions of a government's list", operation_id="government_editions_list",
                   description="Published and filed editions for everyone; drafts and approved editions also for "
                               "the government's editors and reviewers. Newest first.",
                   responses={200: EditionSerializer(many=True), **errors(404, 429)})
    def get(self, request, code):
        government = _government(code)
        editions = list(editions_of(government, request.user)[:500])
        return Response(EditionSerializer(editions, many=True).data)

    @extend_schema(summary="Draft an edition", operation_id="government_editions_draft",
                   description="By an editor of the government (its 编办).", request=EditionDraftSerializer,
                   parameters=[IDEMPOTENCY_KEY, ETAG_HEADER],
                   responses={201: EditionSerializer, **errors(400, 401, 403, 404, 409, 429)})
    @idempotent
    def post(self, request, code):
        require_signed_in(request)
        government = _government(code)
        data = validated(EditionDraftSerializer, request)
        edition = draft_edition(government, number=data["number"], title=data["title"], actor=request.user,
                                reason=data.get("reason", ""))
        return self.answer(edition, status.HTTP_201_CREATED)


class EditionDetailView(_EditionBase):
    @extend_schema(summary="An edition by its number, with its list", operation_id="government_editions_retrieve",
                   parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int,
                                                                               description="At most 500."), ETAG_HEADER],
                   responses={200: EDITION_DETAIL, **errors(400, 404, 429)})
    def get(self, request, code, number):
        from ..pagination import Pagination

        edition = self.edition(request, code, number)
        data = {"edition": EditionSerializer(edition).data}
        if edition.published_on is None:
            data.update(count=0, next=None, previous=None, results=[])
            return with_etag(Response(data), edition)
        paginator = Pagination()
        page = paginator.paginate_queryset(with_codes(edition_rows(edition)), request, view=self)
        tier = edition.government.tier
        body = paginator.get_paginated_response([power_row(r, tier) for r in page]).data
        data.update(body)
        return with_etag(Response(data), edition)


class EditionCompareView(_EditionBase):
    @extend_schema(summary="What changed between two editions", operation_id="government_editions_compare",
                   parameters=[OpenApiParameter("with", str, required=True, description="The other edition's number.")],
                   responses={200: EDITION_COMPARE, **errors(400, 404, 429)})
    def get(self, request, code, number):
        edition = self.edition(request, code, number)
        other_number = request.query_params.get("with", "")
        if not other_number or len(other_number) > 30:
            raise InvalidInput("with_required", "请用 with 指明要比较的另一个版本号。",
                               "Name the other edition with ?with=NUMBER.", parameter="with")
        other = self.edition(request, code, other_number)
        if edition.published_on is None or other.published_on is None:
            raise InvalidInput("edition_not_published", "只能比较已公布的版本。",
                               "Only published editions can be compared.", parameter="with")
        result = compare(edition, other)
        older, newer = sorted((edition, other), key=lambda e: e.published_on)
        return Response({
            "older": EditionSerializer(older).data, "newer": EditionSerializer(newer).data,
            "count_older": result.count_from, "count_newer": result.count_to, "unchanged": result.unchanged,
            **diff_body(result, edition.government.tier),
        })


def _step_view(summary: str, description: str, request_serializer, run, operation_id: str):
    class StepView(_EditionBase):
        @extend_schema(summary=summary, description=description, request=request_serializer,
                       operation_id=operation_id, parameters=[IF_MATCH, IDEMPOTENCY_KEY, ETAG_HEADER],
                       responses={200: EditionSerializer, **errors(400, 401, 403, 404, 409, 412, 429)})
        @idempotent
        def post(self, request, code, number):
            require_signed_in(request)
            edition = self.edition(request, code, number)
            version = expected_version(request, edition)
            data = dict(validated(request_serializer, request))
            return self.answer(run(edition, data, request.user, version))

    StepView.__name__ = StepView.__qualname__ = f"Edition{operation_id.title().replace('_', '')}View"
    return StepView


def _file(edition, data, actor, version):
    upper = get_object_or_404(Government, code=data.pop("filed_with"))
    return file_edition(edition, filed_with=upper, actor=actor, expected_version=version, **data)


EditionApproveView = _step_view(
    "Approve an edition (审定)", "By a reviewer of the government who did not draft it.", EditionApproveSerializer,
    lambda e, d, actor, v: approve_edition(e, actor=actor, expected_version=v, **d), "government_editions_approve")
EditionPublishView = _step_view(
    "Publish an edition with its 文号", "By a reviewer of the government who did not draft it; on or after its "
    "approval, not in the future.", EditionPublishSerializer,
    lambda e, d, actor, v: publish_edition(e, actor=actor, expected_version=v, **d), "government_editions_publish")
EditionFileView = _step_view(
    "Record an edition's filing (备案)", "By a reviewer of the upper government it is filed with.",
    EditionFileSerializer, _file, "government_editions_file")


# --- laws ----------------------------------------------------------------------------------------------


class LawSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Law
        fields = ["id", "name", "kind", "kind_label", "document", "version_date", "effective_on", "created_at"]
        read_only_fields = fields


class LawCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="Without book-title marks, e.g. 中华人民共和国行政许可法")
    kind = serializers.ChoiceField(choices=LawKind.choices)
    document = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="发布文号")
    version_date = serializers.DateField(help_text="The date the version was adopted or last revised.")
    effective_on = serializers.DateField(required=False, allow_null=True)


class LawSearch(BoundedSearchFilter):
    """Every word matched against the name and the document; a search too long or of too many words is a 400
    (and the schema says ``maxLength``), as for the other searches."""

    search_description = "Words matched against the law's name and document, e.g. 许可法."

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            queryset = queryset.filter(Q(name__icontains=term) | Q(document__icontains=term))
        return queryset


@extend_schema_view(
    list=extend_schema(summary="Laws", description="The register of laws, regulations and rules items cite, each "
                                                   "in one version.",
                       responses={200: LawSerializer(many=True), **errors(400, 429)}),
    retrieve=extend_schema(summary="One law", responses={200: LawSerializer, **errors(404, 429)}),
)
class LawViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LawSerializer
    queryset = Law.objects.order_by("name", "version_date", "id")
    filter_backends = [LawSearch]
    search_fields = ["name"]
    lookup_value_regex = r"[0-9]{1,18}"

    @extend_schema(summary="Register a law", description="By an editor of any government.",
                   request=LawCreateSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: LawSerializer, **errors(400, 401, 403, 409, 429)})
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        policy.require(request.user, "law.register", None)
        data = validated(LawCreateSerializer, request)
        law = create_law(actor=request.user, **data)
        return Response(LawSerializer(law).data, status=status.HTTP_201_CREATED)
