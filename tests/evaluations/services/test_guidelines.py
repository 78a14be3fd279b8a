"""Guideline versions follow one another: one open version at a time, never approved backwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations.models import GuidelineVersion
from evaluations.services import guidelines
from tests.evaluations.factories import joint_world


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def test_a_new_version_waits_until_the_open_one_is_approved(jw, alice, institute_a):
    with pytest.raises(ValidationError, match="v2 of bio-protocol is still in review"):
        guidelines.guideline_version_create(user=alice, guideline=jw.guideline, body_markdown="x")
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    v3 = guidelines.guideline_version_create(user=alice, guideline=jw.guideline, body_markdown="x")
    assert (v3.number, v3.status) == (3, "draft")


def test_the_database_holds_one_open_version_per_guideline(jw):
    with pytest.raises(IntegrityError, match="guidelineversion_one_open"), transaction.atomic():
        GuidelineVersion.objects.create(guideline=jw.guideline, number=3, body_markdown="x")


def test_an_older_version_is_never_approved_over_a_newer_one(jw, alice, institute_a):
    GuidelineVersion.objects.filter(pk=jw.v1.pk).update(status="superseded")
    GuidelineVersion.objects.create(
        guideline=jw.guideline, number=3, body_markdown="x", status="approved"
    )
    with pytest.raises(ValidationError) as refused:
        guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    assert refused.value.messages == [
        "v3 is already approved; approving v2 would supersede a newer version."
    ]
    assert dict(jw.guideline.versions.values_list("number", "status")) == {
        1: "superseded",
        2: "in_review",
        3: "approved",
    }
