from django.urls import path

from exchanges import views

app_name = "exchanges"
urlpatterns = [
    path("exchanges/", views.exchange_list, name="list"),
    path("exchanges/timeline/", views.exchange_timeline, name="timeline"),
    path("exchanges/new/", views.exchange_create, name="create"),
    path("exchanges/<int:pk>/", views.exchange_detail, name="detail"),
    path("exchanges/<int:pk>/edit/", views.exchange_edit, name="edit"),
    path("exchanges/<int:pk>/approve/", views.exchange_approve, name="approve"),
    path("exchanges/<int:pk>/decline/", views.exchange_decline, name="decline"),
    path("exchanges/<int:pk>/activate/", views.exchange_activate, name="activate"),
    path("exchanges/<int:pk>/complete/", views.exchange_complete, name="complete"),
    path("exchanges/<int:pk>/cancel/", views.exchange_cancel, name="cancel"),
    path(
        "exchanges/<int:pk>/checklist/<int:item_pk>/",
        views.checklist_item_toggle,
        name="checklist_toggle",
    ),
    path("exchanges/calendars/", views.calendar_feeds, name="calendars"),
    path(
        "exchanges/calendars/<int:pk>/revoke/",
        views.calendar_feed_revoke,
        name="calendar_revoke",
    ),
    path("exchanges/calendars/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
