"""Read models: lists as of a date, diffs, statistics, tree queries. A bounded number of queries each."""
from .lists import ListDiff, diff, list_queryset, power_list
from .stats import counts, tier_counts
from .tree import ancestors, children, subtree, within_q

__all__ = ["ListDiff", "ancestors", "children", "counts", "diff", "list_queryset", "power_list", "subtree",
           "tier_counts", "within_q"]
