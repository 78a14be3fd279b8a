from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from institutes.models import ApiToken


def test_the_admin_is_branded_and_has_no_groups(client, pm):
    client.force_login(pm)
    text = client.get(reverse("admin:index")).text
    assert "Concord administration" in text
    assert "Django administration" not in text
    assert not admin.site.is_registered(Group)
    assert ">Groups<" not in text


def test_api_tokens_are_called_so():
    assert ApiToken._meta.verbose_name == "API token"
    assert ApiToken._meta.verbose_name_plural == "API tokens"
