"""The services themselves ask the one policy when a person acts, whatever interface calls them.

With no actor the caller is the system (the seed loader, an operator's command)."""
import datetime

import pytest

from powerlists import services
from powerlists.models import AuditEvent, Exercise, PowerItem, Transfer
from powerlists.services import Forbidden, Party

D = datetime.date


def unchanged(fn):
    before = (PowerItem.objects.count(), Exercise.objects.count(), Transfer.objects.count(),
              AuditEvent.objects.count())
    with pytest.raises(Forbidden) as refused:
        fn()
    after = (PowerItem.objects.count(), Exercise.objects.count(), Transfer.objects.count(),
             AuditEvent.objects.count())
    assert after == before
    return refused.value


def test_direct_changes_are_corrections_for_administrators_only(people, tree, make_item):
    item = make_item()
    for actor in (people.city_editor, people.city_reviewer, people.outsider):
        error = unchanged(lambda a=actor: services.devolve(item=item, giver=tree.city, receiver=tree.district,
                                                          effective_on=D(2017, 1, 1), actor=a))
        assert error.code == "forbidden"
    unchanged(lambda: services.cancel(item=item, effective_on=D(2018, 1, 1), actor=people.city_reviewer))
    unchanged(lambda: services.adjust(item=item, changes={"name": "改"}, effective_on=D(2018, 1, 1),
                                      actor=people.city_editor))
    shared = make_item(government=tree.district)
    unchanged(lambda: services.share(item=shared, sharer=tree.district, effective_on=D(2018, 1, 1),
                                     parties=[Party(tree.district, "lead", 50), Party(tree.street, "support", 50)],
                                     actor=people.district_editor))
    t = services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1),
                         actor=people.administrator)
    assert AuditEvent.objects.get(transfer=t).actor == people.administrator
    unchanged(lambda: services.recall(item=item, giver=tree.city, receiver=tree.district,
                                      effective_on=D(2018, 1, 1), actor=people.district_reviewer))


def test_items_are_kept_by_editors_of_their_government(people, tree, make_item):
    item = make_item()
    unchanged(lambda: services.create_item(government=tree.city, code="X1", name="新事项", category="licensing",
                                           actor=people.district_editor))
    unchanged(lambda: services.update_item(item, name="改名", actor=people.city_reviewer))
    services.update_item(item, name="改名", actor=people.city_editor)
    assert PowerItem.objects.get(pk=item.pk).name == "改名"


def test_tree_corrections_need_an_administrator(people, tree):
    unchanged(lambda: services.create_government(code="230102009", name="新街道", tier=4, parent=tree.district,
                                                 actor=people.city_editor))
    unchanged(lambda: services.create_department(government=tree.city, name="新部门", actor=people.city_reviewer))
    unchanged(lambda: services.update_government(tree.district, name="改", actor=people.outsider))
    services.create_government(code="230102009", name="新街道", tier=4, parent=tree.district,
                               actor=people.administrator)


def test_an_issued_batch_is_a_correction_a_draft_an_editors(people, tree):
    unchanged(lambda: services.create_batch(issuer=tree.city, title="已印发文件", effective_on=D(2017, 1, 1),
                                            state="effective", actor=people.city_editor))
    draft = services.create_batch(issuer=tree.city, title="草拟文件", effective_on=D(2017, 1, 1),
                                  actor=people.city_editor)
    assert draft.state == "draft"


def test_adjusting_to_a_code_already_used_is_a_clear_conflict(tree, make_item):
    make_item(code="A1")
    item = make_item(code="A2")
    with pytest.raises(services.Conflict) as refused:
        services.adjust(item=item, changes={"code": "A1"}, effective_on=D(2018, 1, 1))
    assert refused.value.code == "item_code_taken"
