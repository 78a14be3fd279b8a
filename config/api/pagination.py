"""How every API list is paged, under one rule for `?page_size=`: a whole number from 1 to the
list's maximum, or a 400 naming `page_size` (never quietly replaced by the default or capped), so
a client learns its request was not honoured.

Most lists are numbered pages (`PageNumberPagination`); a run's samples are cursor pages
(`CursorPagination`: stable while rows are added, cheap on runs with many rows).
"""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

PAGE_SIZE_PARAM = "page_size"


class StrictPageSize:
    """The one page-size rule, shared by both kinds of pages."""

    page_size: int | None
    max_page_size: int | None
    page_size_query_param: str | None = PAGE_SIZE_PARAM

    def get_page_size(self, request):
        raw = request.query_params.get(PAGE_SIZE_PARAM)
        if raw is None:
            return self.page_size
        maximum = self.max_page_size or 0
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= maximum:
            raise ValidationError({PAGE_SIZE_PARAM: [f"A whole number from 1 to {maximum}."]})
        return size

    def page_size_schema(self, parameters: list[dict]) -> list[dict]:
        for parameter in parameters:
            if parameter["name"] == PAGE_SIZE_PARAM:
                parameter["schema"]["minimum"] = 1
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
                )
        return parameters


class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):
    """`?page=N&page_size=N`; a page past the end is a 404."""

    max_page_size = 500

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return self.page_size_schema(parameters)


class CursorPagination(StrictPageSize, pagination.CursorPagination):
    """`?cursor=...&page_size=N`: follow `next` until it is null. The order is the view's
    `ordering` (a unique, unchanging column), or the one its ordering filter allows."""

    page_size = 100
    # Cursor pages are cheap however deep they go, so they may be larger than numbered ones.
    max_page_size = 1000
    ordering = "id"

    def get_schema_operation_parameters(self, view):
        return self.page_size_schema(super().get_schema_operation_parameters(view))
