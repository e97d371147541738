"""Page-numbered lists; every list is ordered on a unique key last, so pages never repeat or skip a row."""
from django.core.paginator import InvalidPage, Paginator
from rest_framework.pagination import PageNumberPagination

MAX_PAGE = 10**9


class BoundedPaginator(Paginator):
    """A page number past any real list is simply absent (404), never an integer overflow in SQL."""

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > MAX_PAGE:
            raise InvalidPage("That page number is out of range.")
        return number


class Pagination(PageNumberPagination):
    django_paginator_class = BoundedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
