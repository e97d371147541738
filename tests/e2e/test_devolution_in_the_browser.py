"""A devolution in real Chromium, one browser context per person: the city's editor proposes and submits
it, the city's reviewer approves it (the button is theirs, not the editor's), the district's reviewer
accepts it naming the receiving unit, and the public sees the item in the district's list."""
import re

import pytest
from playwright.sync_api import expect

from powerlists.models import Transfer, TransferState

from .conftest import fits_the_phone, unlabelled_fields

ITEM = "企业投资项目核准、备案"
EFFECTIVE_ON = "2017-03-01"


def step_button(page, label):
    return page.locator("div.steps").get_by_role("button", name=label, exact=True)


@pytest.mark.django_db(transaction=True)
def test_a_devolution_from_proposal_to_the_public_list(live_server, log_in, new_page, shot, tree, make_item,
                                                         people):
    make_item(code="A1", name=ITEM, department=tree.city_dept)

    # The city's editor proposes the devolution and submits it.
    editor = log_in("city_editor")
    editor.get_by_role("link", name="提出变更").click()
    editor.get_by_label("变更类型").select_option("devolve")
    editor.get_by_label("来源").select_option("offered")
    editor.get_by_label("放出方（政府代码）").fill("2301")
    editor.get_by_label("事项编码").fill("A1")
    editor.get_by_label("承接方（政府代码）").fill("230102")
    editor.get_by_label("下放方式").select_option("entrusted")
    editor.get_by_label("生效日期").fill(EFFECTIVE_ON)
    editor.get_by_label("划转编制数").fill("2")
    editor.get_by_label("理由", exact=True).fill("便民利企，就近办理")
    assert unlabelled_fields(editor) == []
    fits_the_phone(editor)
    editor.get_by_role("button", name="保存草稿").click()
    editor.wait_for_url(re.compile(r"/workspace/transfers/\d+/$"))
    transfer = Transfer.objects.get()
    assert (transfer.state, transfer.created_by) == (TransferState.DRAFT, people.city_editor)
    expect(editor.get_by_role("heading", level=1)).to_contain_text(ITEM)
    step_button(editor, "提交审核").click()
    editor.wait_for_url(re.compile(rf"/workspace/transfers/{transfer.pk}/$"))
    expect(editor.locator("h1 .tag")).to_have_text("已提交")
    # Maker-checker: the one who made it may withdraw it, but not approve it.
    expect(step_button(editor, "撤回")).to_be_visible()
    expect(editor.get_by_role("button", name="批准")).to_have_count(0)

    # The city's reviewer finds it in their inbox and approves it.
    reviewer = log_in("city_reviewer")
    inbox = reviewer.locator("section", has=reviewer.locator("#inbox-approve"))
    expect(inbox.locator(".count")).to_have_text("1")
    expect(inbox).to_contain_text(ITEM)
    fits_the_phone(reviewer)
    shot(reviewer, "workspace-inbox")
    inbox.get_by_role("link", name=str(transfer.pk), exact=True).click()
    reviewer.wait_for_url(re.compile(rf"/workspace/transfers/{transfer.pk}/$"))
    for label in ("批准", "退回修改", "驳回"):
        expect(step_button(reviewer, label)).to_be_visible()
    expect(reviewer.get_by_role("button", name="撤回")).to_have_count(0)
    assert unlabelled_fields(reviewer) == []
    fits_the_phone(reviewer)
    shot(reviewer, "workspace-transfer-before")
    reviewer.locator("#id_approve-comment").fill("同意下放")
    step_button(reviewer, "批准").click()
    reviewer.wait_for_url(re.compile(rf"/workspace/transfers/{transfer.pk}/$"))
    expect(reviewer.locator("h1 .tag")).to_have_text("放出方已批准")
    expect(reviewer.locator("div.steps")).to_have_count(0)  # nothing more for the city to do

    # The editor still has no approve or accept button.
    editor.reload()
    expect(editor.get_by_role("button", name="批准")).to_have_count(0)
    expect(editor.get_by_role("button", name="确认承接")).to_have_count(0)

    # The district's reviewer accepts it, naming the receiving unit.
    district = log_in("district_reviewer")
    waiting = district.locator("section", has=district.locator("#inbox-accept"))
    expect(waiting).to_contain_text(ITEM)
    waiting.get_by_role("link", name=str(transfer.pk), exact=True).click()
    district.wait_for_url(re.compile(rf"/workspace/transfers/{transfer.pk}/$"))
    expect(district.get_by_role("button", name="批准")).to_have_count(0)
    district.get_by_label("承接单位").select_option(label="道里区发展和改革局")
    district.locator("#id_accept-comment").fill("接得住、管得好")
    step_button(district, "确认承接").click()
    district.wait_for_url(re.compile(rf"/workspace/transfers/{transfer.pk}/$"))
    expect(district.locator("h1 .tag")).to_have_text("已生效")
    history = district.locator("ol.timeline")
    expect(history).to_contain_text("同意下放")
    expect(history).to_contain_text("接得住、管得好")
    expect(district.locator("dl.fields")).to_contain_text("道里区发展和改革局")
    fits_the_phone(district)
    shot(district, "workspace-transfer-after")

    # The public, not logged in, sees it in the district's list from the effective date.
    public = new_page()
    public.goto(f"{live_server.url}/g/230102/?date={EFFECTIVE_ON}")
    row = public.locator("table.power-list tbody tr", has_text=ITEM)
    expect(row).to_have_count(1)
    expect(row.locator(".arr")).to_have_text("承接")
    expect(row).to_contain_text("道里区发展和改革局")
    expect(row).to_contain_text("哈尔滨市")
    expect(row).to_contain_text(EFFECTIVE_ON)
    fits_the_phone(public)
    shot(public, "public-district-list")
    # ...and not the day before.
    public.goto(f"{live_server.url}/g/230102/?date=2017-02-28")
    expect(public.locator("main")).not_to_contain_text(ITEM)
