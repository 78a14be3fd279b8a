from django.urls import path

from exchanges import views

app_name = "exchanges"
urlpatterns = [path("exchanges/", views.exchange_list, name="list")]
