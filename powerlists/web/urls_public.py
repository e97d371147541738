"""Public pages (no login); included by powerlists/web/urls.py."""
from django.urls import path, re_path

from .views import editions, evaluation, public

CODE = r"(?P<code>[0-9A-Za-z_-]{1,20})"
ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("", public.home, name="home"),
    re_path(rf"^g/{CODE}/$", public.government, name="government"),
    re_path(rf"^g/{CODE}/export\.(?P<fmt>xlsx|csv)$", public.government_export, name="government-export"),
    re_path(rf"^g/{CODE}/diff/$", public.government_diff, name="government-diff"),
    re_path(rf"^g/{CODE}/chart/$", public.government_chart, name="government-chart"),
    re_path(rf"^g/{CODE}/editions/$", editions.government_editions, name="government-editions"),
    re_path(rf"^g/{CODE}/editions/compare/$", editions.government_editions_compare, name="government-editions-compare"),
    re_path(rf"^g/{CODE}/editions/(?P<number>[0-9A-Za-z_-]{{1,30}})/$", editions.government_edition,
            name="government-edition"),
    re_path(rf"^items/{ID}/$", public.item, name="item"),
    re_path(rf"^departments/{ID}/$", public.department, name="department"),
    # evaluation rounds: confirmed ones are public, others seen by those with a role in the territory
    path("evaluation/", evaluation.rounds, name="evaluation-rounds"),
    re_path(rf"^evaluation/{ID}/$", evaluation.round_detail, name="evaluation-round"),
    re_path(rf"^evaluation/{ID}/report\.xlsx$", evaluation.round_report_xlsx, name="evaluation-report"),
    re_path(rf"^evaluation/{ID}/results/$", evaluation.round_results, name="evaluation-results"),
    re_path(rf"^evaluation/results/{ID}/$", evaluation.result_detail, name="evaluation-result"),
]
