"""Server-rendered pages: public browsing of lists and the editors' and reviewers' workspace.

Pages read through powerlists.queries, write through powerlists.services, and ask powerlists.policy.
"""
