"""Guidelines over the API: draft a version, submit it, every required institute signs."""

from __future__ import annotations

from evaluations.models import Guideline, GuidelineVersion
from tests.api_clients import bearer, error_of

BASE = "/api/v1/guidelines/"


def version_url(guideline, number, *parts) -> str:
    return "/".join([f"{BASE}{guideline.code}/versions/{number}", *parts]) + "/"


def test_a_version_is_drafted_submitted_and_approved_by_every_required_institute(
    guideline, alice, carol
):
    client = bearer(alice)
    drafted = client.post(
        f"{BASE}{guideline.code}/versions/",
        {"body_markdown": "# CTF protocol", "change_summary": "First draft"},
    )
    assert drafted.status_code == 201, drafted.json()
    assert (drafted.json()["number"], drafted.json()["status"]) == (1, "draft")

    edited = client.patch(version_url(guideline, 1), {"body_markdown": "# CTF protocol v1"})
    assert edited.json()["body_markdown"] == "# CTF protocol v1"

    submitted = client.post(version_url(guideline, 1, "submit"))
    assert submitted.json()["status"] == "in_review"

    signed = client.post(version_url(guideline, 1, "approve"), {"institute": "inst-a"})
    assert signed.status_code == 200
    assert {s["institute"]: s["signed"] for s in signed.json()["signatures"]} == {
        "inst-a": True,
        "inst-b": False,
    }
    assert signed.json()["status"] == "in_review"

    approved = bearer(carol).post(
        version_url(guideline, 1, "approve"), {"institute": "inst-b", "comment": "Agreed."}
    )
    assert approved.json()["status"] == "approved"
    by_institute = {s["institute"]: s for s in approved.json()["signatures"]}
    assert by_institute["inst-b"]["signed_by"] == "carol"
    assert by_institute["inst-b"]["comment"] == "Agreed."


def test_approving_twice_is_refused_with_the_field(guideline, alice):
    client = bearer(alice)
    client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "text"})
    client.post(version_url(guideline, 1, "submit"))
    first = client.post(version_url(guideline, 1, "approve"), {"institute": "inst-a"})
    assert first.status_code == 200
    again = client.post(version_url(guideline, 1, "approve"), {"institute": "inst-a"})
    assert again.status_code == 400
    assert "already approved" in error_of(again)["fields"]["institute"][0]


def test_a_lead_cannot_sign_for_another_institute(guideline, alice):
    client = bearer(alice)
    client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "text"})
    client.post(version_url(guideline, 1, "submit"))
    response = client.post(version_url(guideline, 1, "approve"), {"institute": "inst-b"})
    assert response.status_code == 403
    assert "Only a lead of Institute B" in error_of(response)["message"]


def test_a_draft_cannot_be_approved_and_a_submitted_one_cannot_be_edited(guideline, alice):
    client = bearer(alice)
    client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "text"})
    early = client.post(version_url(guideline, 1, "approve"), {"institute": "inst-a"})
    assert early.status_code == 400
    assert "Only a version in review" in error_of(early)["fields"]["non_field_errors"][0]
    client.post(version_url(guideline, 1, "submit"))
    late = client.patch(version_url(guideline, 1), {"body_markdown": "changed"})
    assert late.status_code == 400
    assert GuidelineVersion.objects.get().body_markdown == "text"


def test_viewers_read_guidelines_but_do_not_draft(guideline, approved_version, vera):
    client = bearer(vera)
    listing = client.get(BASE).json()
    assert [g["code"] for g in listing["results"]] == ["cyber-ctf"]
    assert listing["results"][0]["versions"][0]["status"] == "approved"
    assert client.get(version_url(guideline, 1)).json()["body_markdown"].startswith("# Protocol")
    response = client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "x"})
    assert response.status_code == 403


def test_outsiders_get_404_for_guidelines_of_other_institutes(guideline, charlie):
    client = bearer(charlie)
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{guideline.code}/").status_code == 404
    response = client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "x"})
    assert response.status_code == 404
    assert not guideline.versions.exists()


def test_a_lead_starts_a_guideline(alice, institute_b):
    response = bearer(alice).post(
        BASE,
        {
            "code": "bio-uplift",
            "title": "Bio uplift protocol",
            "domain": "biological",
            "owner_institute": "inst-a",
            "required_institutes": ["inst-a", "inst-b"],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["required_institutes"] == ["inst-a", "inst-b"]
    empty = bearer(alice).post(
        BASE,
        {"code": "x", "title": "X", "owner_institute": "inst-a", "required_institutes": []},
    )
    assert "required_institutes" in error_of(empty)["fields"]
    assert Guideline.objects.count() == 1


def test_an_unknown_version_number_is_404(guideline, alice):
    assert bearer(alice).get(version_url(guideline, 7)).status_code == 404


def test_guidelines_filter_by_institute_and_domain(guideline, alice):
    client = bearer(alice)
    assert client.get(BASE, {"institute": "inst-b"}).json()["count"] == 1
    assert client.get(BASE, {"institute": "inst-c"}).json()["count"] == 0
    assert client.get(BASE, {"domain": "biological"}).json()["count"] == 0


def test_a_second_open_version_is_refused_while_one_is_a_draft_or_in_review(guideline, alice):
    client = bearer(alice)
    assert client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "v1"}).status_code
    for _ in ("draft", "in review"):
        second = client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "v2"})
        assert second.status_code == 400
        assert "v1 of cyber-ctf is still" in error_of(second)["message"]
        client.post(version_url(guideline, 1, "submit"))
    assert list(guideline.versions.values_list("number", flat=True)) == [1]


def test_approving_an_older_version_after_a_newer_one_is_refused(
    guideline, approved_version, alice, carol
):
    # v2 reached review before v1's approval (stored so: the service keeps one version open).
    GuidelineVersion.objects.filter(pk=approved_version.pk).update(number=3)
    older = GuidelineVersion.objects.create(
        guideline=guideline, number=2, body_markdown="older", status="in_review"
    )
    for user, institute in ((carol, "inst-b"), (alice, "inst-a")):
        response = bearer(user).post(version_url(guideline, 2, "approve"), {"institute": institute})
        assert response.status_code == 400
        assert error_of(response)["message"] == (
            "v3 is already approved; approving v2 would supersede a newer version."
        )
    older.refresh_from_db()
    assert (older.status, older.approvals.count()) == ("in_review", 0)
    assert GuidelineVersion.objects.get(number=3, guideline=guideline).status == "approved"
