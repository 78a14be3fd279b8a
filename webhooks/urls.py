from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.webhook_list, name="list"),
    path("webhooks/new/", views.webhook_create, name="create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="detail"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="edit"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="test"),
    path("webhooks/<int:pk>/toggle/", views.webhook_toggle, name="toggle"),
    path("webhooks/<int:pk>/rotate/", views.webhook_rotate, name="rotate"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="delete"),
]
