"""``POST /api/v1/transfers/bulk/``: one change proposed for many items and receivers at once
(:func:`powerlists.services.bulk.propose_bulk`): 201 with the drafts made, 200 with the preview when
``dry_run``, 400 naming each refused pair and writing nothing."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ...models import Batch, Government, Method, Origin
from ...policy import visible_batches
from ...services.bounds import MAX_CODE, MAX_NAME, MAX_NUMBER, MAX_REASON
from ...services.bulk import KINDS, MAX_ITEMS, MAX_RECEIVERS, items_by_code, propose_bulk
from ...services.errors import InvalidInput
from ..filters import id_field
from .transfers import IDEMPOTENCY_KEY, errors, require_signed_in, validated


class NewBatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_NAME)
    number = serializers.CharField(max_length=MAX_NUMBER, required=False, allow_blank=True, help_text="文号")


class BulkProposalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in KINDS])
    giver = serializers.CharField(max_length=MAX_CODE, help_text="Code of the giving government.")
    receivers = serializers.ListField(child=serializers.CharField(max_length=MAX_CODE), max_length=MAX_RECEIVERS,
                                      required=False, help_text="Codes of the receiving governments (devolve: "
                                                                "one or more; recall: the one recalled from).")
    items = serializers.ListField(child=serializers.CharField(max_length=MAX_CODE), min_length=1,
                                  max_length=MAX_ITEMS, help_text="Codes of the items, as in the giver's list.")
    method = serializers.ChoiceField(choices=Method.choices, required=False, allow_blank=True)
    origin = serializers.ChoiceField(choices=Origin.choices, required=False)
    effective_on = serializers.DateField()
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True)
    batch = id_field(Batch.objects.none(), required=False, allow_null=True, help_text="Id of a draft batch.")
    new_batch = NewBatchSerializer(required=False, help_text="Open a draft batch of the giver for them all.")
    dry_run = serializers.BooleanField(required=False, default=False,
                                       help_text="Only the preview: what would be made and what refused.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["batch"].queryset = visible_batches(request.user)


PAIR = inline_serializer("BulkPair", fields={
    "item": serializers.CharField(), "item_name": serializers.CharField(),
    "receiver": serializers.CharField(allow_null=True), "transfer": serializers.IntegerField(allow_null=True),
})
REFUSED = inline_serializer("BulkRefusedPair", fields={
    "item": serializers.CharField(), "receiver": serializers.CharField(allow_null=True),
    "code": serializers.CharField(), "message": serializers.CharField(),
})
RESULT = inline_serializer("BulkResult", fields={
    "written": serializers.BooleanField(), "batch": serializers.IntegerField(allow_null=True),
    "count": serializers.IntegerField(), "pairs": PAIR.__class__(many=True),
})


def _governments(codes: list[str]) -> list[Government]:
    found = {g.code: g for g in Government.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput("unknown_governments", "找不到这些政府代码：" + "、".join(missing[:20]),
                           "No government with these codes: " + ", ".join(missing[:20]), codes=missing[:100])
    return [found[c] for c in codes]


def _language_english(request) -> bool:
    from django.utils import translation

    return (translation.get_language() or "").startswith("en")


@extend_schema(
    summary="Propose one change for many items and receivers",
    description="Every item × receiver pair is checked against the rules of a single proposal and the rows "
                "as they are now. With `dry_run` the answer (200) is the preview; otherwise every draft is "
                "written with its audit event (201) — or, if any pair is refused, none: 400 with each refused "
                "pair and its reason in `details.refused`.",
    request=BulkProposalSerializer, parameters=[IDEMPOTENCY_KEY],
    responses={200: RESULT, 201: RESULT, **errors(400, 401, 403, 409, 429)},
)
def bulk(self, request):
    require_signed_in(request)
    data = dict(validated(BulkProposalSerializer, request))
    giver = _governments([data["giver"]])[0]
    receivers = _governments(list(dict.fromkeys(data.get("receivers") or [])))
    if len(set(data["items"])) != len(data["items"]):
        raise InvalidInput("duplicate_items", "事项有重复。", "An item is named twice.")
    items = items_by_code(giver, data["items"])
    new_batch = dict(data["new_batch"]) if data.get("new_batch") else None
    result = propose_bulk(actor=request.user, kind=data["kind"], giver=giver, items=items, receivers=receivers,
                          effective_on=data["effective_on"], method=data.get("method") or "",
                          origin=data.get("origin") or Origin.OFFERED, reason=data.get("reason", ""),
                          batch=data.get("batch"), new_batch=new_batch, dry_run=data["dry_run"])
    english = _language_english(request)
    if result.refused and not data["dry_run"]:
        first = result.refused[0]
        raise InvalidInput(
            "bulk_refused",
            f"{len(result.refused)} 个变更不符合规则（如{first.item.code}：{first.message_zh}），未写入任何变更。",
            f"{len(result.refused)} changes break a rule (e.g. {first.item.code}: {first.message_en}); nothing "
            f"was written.",
            refused=[{"item": p.item.code, "receiver": p.receiver.code if p.receiver else None, "code": p.code,
                      "message": p.message_en if english else p.message_zh} for p in result.refused[:2000]])
    pairs = [{"item": p.item.code, "item_name": p.item.name, "receiver": p.receiver.code if p.receiver else None,
              "transfer": p.transfer.pk if result.written else None} for p in result.pairs if p.ok]
    body = {"written": result.written, "batch": result.batch.pk if result.batch else None, "count": len(pairs),
            "pairs": pairs}
    if data["dry_run"]:
        body["refused"] = [{"item": p.item.code, "receiver": p.receiver.code if p.receiver else None,
                            "code": p.code, "message": p.message_en if english else p.message_zh}
                           for p in result.refused]
    return Response(body, status=status.HTTP_201_CREATED if result.written else status.HTTP_200_OK)
