"""Read models: lists as of a date, diffs, statistics, tree queries. A bounded number of queries each."""
from .joint_review import JointReview, joint_review
from .lists import ListDiff, diff, list_queryset, power_list
from .stats import counts, tier_counts
from .tree import ancestors, children, subtree, within_q

__all__ = ["JointReview", "ListDiff", "joint_review", "ancestors", "children", "counts", "diff", "list_queryset", "power_list", "subtree",
           "tier_counts", "within_q"]
