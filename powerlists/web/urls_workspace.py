"""The workspace (login required): included by powerlists/web/urls.py under /workspace/."""
from django.urls import path, re_path

from . import converters  # noqa: F401  (registers <id:…>)
from .views import (
    bulk,
    editions,
    evaluation,
    evaluation_import,
    workspace,
    workspace_import,
    workspace_tokens,
)

urlpatterns = [
    path("", workspace.index, name="workspace"),
    path("transfers/new/", workspace.transfer_new, name="workspace-transfer-new"),
    path("bulk/", bulk.bulk, name="workspace-bulk"),
    path("transfers/<id:pk>/", workspace.transfer_detail, name="workspace-transfer"),
    path("transfers/<id:pk>/edit/", workspace.transfer_edit, name="workspace-transfer-edit"),
    path("transfers/<id:pk>/<slug:action>/", workspace.transfer_action, name="workspace-transfer-action"),
    path("batches/", workspace.batches, name="workspace-batches"),
    path("batches/<id:pk>/", workspace.batch_detail, name="workspace-batch"),
    path("batches/<id:pk>/<slug:action>/", workspace.batch_action, name="workspace-batch-action"),
    path("joint-review/", workspace.joint_review, name="workspace-joint-review"),
    path("items/<id:pk>/edit/", workspace.item_edit, name="workspace-item-edit"),
    path("tokens/", workspace_tokens.tokens, name="workspace-tokens"),
    path("tokens/revoke/", workspace_tokens.token_revoke, name="workspace-token-revoke"),
    path("import/", workspace_import.upload, name="workspace-import"),
    path("import/confirm/", workspace_import.confirm, name="workspace-import-confirm"),
    path("import/mapping/", workspace_import.mapping, name="workspace-import-mapping"),
    re_path(r"^editions/(?P<code>[0-9A-Za-z_-]{1,20})/draft/$", editions.edition_draft, name="workspace-edition-draft"),
    re_path(r"^editions/(?P<pk>[0-9]{1,18})/(?P<step>approve|publish|file)/$", editions.edition_step,
            name="workspace-edition-step"),
    path("import/template.<str:fmt>", workspace_import.template, name="workspace-import-template"),
    # evaluation: every change is here (login required); reading is at /evaluation/ (urls_public)
    path("evaluation/new/", evaluation.round_new, name="workspace-evaluation-new"),
    path("evaluation/<id:pk>/run/", evaluation.round_run, name="workspace-evaluation-run"),
    path("evaluation/<id:pk>/confirm/", evaluation.round_confirm_page, name="workspace-evaluation-confirm"),
    path("evaluation/<id:pk>/follow-up/", evaluation.round_follow_up, name="workspace-evaluation-follow-up"),
    path("evaluation/results/<id:pk>/decide/", evaluation.result_decide, name="workspace-evaluation-decide"),
    path("evaluation/evidence/", evaluation_import.upload, name="workspace-evidence-import"),
    path("evaluation/evidence/confirm/", evaluation_import.confirm, name="workspace-evidence-confirm"),
    path("evaluation/evidence/template.<str:fmt>", evaluation_import.template, name="workspace-evidence-template"),
]
