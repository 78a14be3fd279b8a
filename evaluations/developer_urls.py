"""Page routes of the developer's side (`developers:`): a developer contact's own pages, the
sign-up page an invitation links to, and a project's developer contacts for its leads. Included
from evaluations.urls."""

from django.urls import path

from evaluations.views import developer_contacts, developer_findings, developers

P = "projects/<slug:slug>/"

developer_patterns: list = [
    path("developer/", developers.developer_home, name="home"),
    path("developer/projects/<slug:slug>/", developers.developer_project, name="project"),
    path("developer/accept/<str:token>/", developers.developer_accept, name="accept"),
    path(
        "developer/findings/<int:finding_id>/",
        developer_findings.developer_finding,
        name="finding",
    ),
    # a project's developer contacts, for its leads
    path(P + "developer-contacts/", developer_contacts.contact_list, name="contacts"),
    path(
        P + "developer-contacts/<int:pk>/revoke/",
        developer_contacts.contact_revoke,
        name="contact_revoke",
    ),
    path(
        P + "developer-contacts/<int:pk>/reinvite/",
        developer_contacts.contact_reinvite,
        name="contact_reinvite",
    ),
]
