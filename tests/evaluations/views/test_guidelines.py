import pytest
from django.urls import reverse

from evaluations.models import Guideline, GuidelineVersion
from evaluations.services import guidelines
from tests.evaluations.factories import joint_world

HOSTILE = """# Protocol

Run **5 epochs**.

<script>alert("xss")</script>
[click me](javascript:alert(1))
<a href="JaVaScRiPt:alert(2)">mixed case</a>
<img src="x.png" onerror="alert(3)">
<p onclick="alert(4)" style="color:red">styled</p>
<iframe src="https://evil.example"></iframe>
"""


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def url(name, **kwargs):
    return reverse(f"guidelines:{name}", kwargs=kwargs)


def test_guideline_list_shows_guidelines_the_user_may_see(client, jw, alice, charlie):
    client.force_login(alice)
    text = client.get(url("list")).text
    assert "bio-protocol" in text
    assert "v2 · in review" in text
    client.force_login(charlie)
    assert "bio-protocol" not in client.get(url("list")).text


def test_guideline_list_searches_and_filters_by_domain(client, jw, alice, institute_a):
    from evaluations.models import Domain

    Guideline.objects.filter(code="cyber-protocol").update(domain=Domain.objects.get(slug="cyber"))
    client.force_login(alice)

    def codes(**query):
        return {g.code for g in client.get(url("list"), query).context["guidelines"]}

    assert codes() == {"bio-protocol", "cyber-protocol"}
    assert codes(q="bio") == {"bio-protocol"}
    assert codes(domain="cyber") == {"cyber-protocol"}


def test_guideline_page_renders_markdown_inert(client, jw, alice):
    guidelines.guideline_version_update(user=alice, version=jw.draft, body_markdown=HOSTILE)
    client.force_login(alice)
    page = client.get(url("detail", code="cyber-protocol")).text
    # The rendered text of the draft (the page's diff shows the source too, escaped).
    text = page.split('<section class="card version" id="v2"')[1].split("</details>")[0]
    assert "<h3" in text  # the version's "# title", below the page's h1 and the version's h2
    assert page.count("<h1") == 1
    assert "<strong>5 epochs</strong>" in text
    assert "<script>alert" not in text
    assert "javascript:" not in text.lower()
    assert "onerror" not in text
    assert "onclick" not in text
    assert "<iframe" not in text
    assert 'style="color:red"' not in text


def test_guideline_page_shows_approval_state_per_institute(client, jw, alice):
    client.force_login(alice)
    response = client.get(url("detail", code="bio-protocol"))
    v2 = next(row for row in response.context["versions"] if row.version.number == 2)
    assert [(i.code, a is not None) for i, a in v2.approval_rows] == [
        ("inst-a", False),
        ("inst-b", True),
    ]
    assert "✓ Signed" in response.text
    assert "○ Not signed" in response.text


@pytest.mark.parametrize(
    ("who", "buttons"),
    [("alice", ["Approve for Institute A"]), ("carol", []), ("bob", []), ("pm", [])],
)
def test_the_approve_button_is_only_for_leads_of_required_institutes_yet_to_sign(
    client, jw, request, who, buttons
):
    user = jw.carol if who == "carol" else request.getfixturevalue(who)
    client.force_login(user)
    text = client.get(url("detail", code="bio-protocol")).text
    assert [
        b for b in ["Approve for Institute A", "Approve for Institute B"] if b in text
    ] == buttons


def test_the_last_signature_approves_the_version_and_supersedes_the_old_one(
    client, jw, alice, institute_a
):
    client.force_login(alice)
    response = client.post(
        url("version_approve", code="bio-protocol", number=2),
        {"institute": institute_a.pk, "comment": "Fine by us."},
    )
    assert response.status_code == 302
    statuses = dict(jw.guideline.versions.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "approved"}
    page = client.get(response["Location"])
    assert any("v2 is approved" in str(m) for m in page.context["messages"])
    assert "Approve for" not in page.text


def test_approving_twice_is_refused_with_a_message(client, jw, institute_b):
    client.force_login(jw.carol)
    response = client.post(
        url("version_approve", code="bio-protocol", number=2),
        {"institute": institute_b.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "Institute B has already approved this version." in [
        str(m) for m in response.context["messages"]
    ]


def test_signing_a_draft_is_refused_with_a_message(client, jw, alice, institute_a):
    client.force_login(alice)
    response = client.post(
        url("version_approve", code="cyber-protocol", number=2),
        {"institute": institute_a.pk},
        follow=True,
    )
    assert any("Only a version in review" in str(m) for m in response.context["messages"])


def test_the_diff_marks_added_and_removed_lines(client, jw, alice):
    client.force_login(alice)
    response = client.get(url("diff", code="bio-protocol"), {"old": 1, "new": 2})
    assert response.status_code == 200
    text = response.text
    assert '<span class="diff-sign" title="removed">−</span>' in text
    assert "Run 5 epochs." in text
    assert '<span class="diff-sign" title="added">+</span>' in text
    assert "Run 10 epochs." in text
    assert response.context["diff"].added == 1
    assert response.context["diff"].removed == 1


def test_the_diff_escapes_the_text(client, jw, alice):
    guidelines.guideline_version_update(
        user=alice, version=jw.draft, body_markdown="<script>alert(1)</script>"
    )
    client.force_login(alice)
    text = client.get(url("diff", code="cyber-protocol"), {"old": 1, "new": 2}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text


def test_the_diff_answers_htmx_with_the_fragment_only(client, jw, alice):
    client.force_login(alice)
    response = client.get(
        url("diff", code="bio-protocol"), {"old": 1, "new": 2}, HTTP_HX_REQUEST="true"
    )
    assert response.text.lstrip().startswith('<div id="diff"')
    assert "<html" not in response.text


def test_the_guideline_page_shows_the_latest_change_by_default(client, jw, alice):
    client.force_login(alice)
    response = client.get(url("detail", code="bio-protocol"))
    assert (response.context["diff_old"].number, response.context["diff_new"].number) == (1, 2)
    assert "Run 10 epochs." in response.text


def test_a_diff_of_unknown_versions_is_a_form_error(client, jw, alice):
    client.force_login(alice)
    response = client.get(url("diff", code="bio-protocol"), {"old": 1, "new": 99})
    assert response.status_code == 200
    assert "Choose two versions" in response.text


def test_an_evaluator_drafts_edits_and_submits_a_version(client, jw, alice, bob, institute_a):
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    client.force_login(bob)
    response = client.post(
        url("version_create", code="bio-protocol"),
        {"body_markdown": "# v3", "change_summary": "Shorter."},
    )
    assert response.status_code == 302
    v3 = GuidelineVersion.objects.get(guideline=jw.guideline, number=3)
    assert (v3.status, v3.created_by) == ("draft", bob)
    client.post(url("version_edit", code="bio-protocol", number=3), {"body_markdown": "# v3!"})
    client.post(url("version_submit", code="bio-protocol", number=3))
    v3.refresh_from_db()
    assert (v3.body_markdown, v3.status) == ("# v3!", "in_review")


def test_an_empty_version_is_a_form_error(client, jw, bob):
    client.force_login(bob)
    response = client.post(url("version_create", code="bio-protocol"), {"body_markdown": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["body_markdown"]


def test_a_version_in_review_cannot_be_edited(client, jw, alice):
    client.force_login(alice)
    edit = url("version_edit", code="bio-protocol", number=2)
    assert "only a draft can be edited" in client.get(edit).text
    response = client.post(edit, {"body_markdown": "changed"})
    assert response.status_code == 200
    assert "Only a draft can be edited" in response.text
    assert GuidelineVersion.objects.get(pk=jw.v2.pk).body_markdown != "changed"


def test_a_lead_starts_a_guideline_and_is_sent_to_write_version_1(
    client, alice, institute_a, institute_b
):
    client.force_login(alice)
    response = client.post(
        url("create"),
        {
            "code": "chem-protocol",
            "title": "Chem protocol",
            "owner_institute": institute_a.pk,
            "required_institutes": [institute_a.pk, institute_b.pk],
        },
    )
    assert response["Location"] == url("version_create", code="chem-protocol")
    guideline = Guideline.objects.get(code="chem-protocol")
    assert set(guideline.required_institutes.all()) == {institute_a, institute_b}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "new"}, "code", "is reserved"),
        ({"code": "bio-protocol"}, "code", "is taken by another guideline"),
        ({"required_institutes": []}, "required_institutes", "This field is required."),
    ],
)
def test_guideline_form_shows_errors(client, jw, alice, institute_a, data, field, message):
    client.force_login(alice)
    response = client.post(
        url("create"),
        {
            "code": "ok-code",
            "title": "T",
            "owner_institute": institute_a.pk,
            "required_institutes": [institute_a.pk],
            **data,
        },
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])


def test_the_guideline_page_runs_a_bounded_number_of_queries(
    client, jw, alice, django_assert_max_num_queries
):
    for n in range(3, 11):  # more versions to list (stored directly: one may be open at a time)
        GuidelineVersion.objects.create(
            guideline=jw.guideline, number=n, body_markdown=f"# v{n}", status="superseded"
        )
    client.force_login(alice)
    client.get("/")
    with django_assert_max_num_queries(16):
        assert client.get(url("detail", code="bio-protocol")).status_code == 200


# --- versions in order ---------------------------------------------------------------------


def test_a_second_open_version_is_a_form_error(client, jw, bob):
    client.force_login(bob)
    response = client.post(url("version_create", code="bio-protocol"), {"body_markdown": "# v3"})
    assert response.status_code == 200
    assert "v2 of bio-protocol is still in review" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert not GuidelineVersion.objects.filter(guideline=jw.guideline, number=3).exists()


def test_approving_an_older_version_after_a_newer_one_is_refused_on_the_page(
    client, jw, alice, institute_a
):
    # v3 was approved while v2 waited in review (stored so: the service keeps one version open).
    GuidelineVersion.objects.filter(pk=jw.v1.pk).update(status="superseded")
    v3 = GuidelineVersion.objects.create(
        guideline=jw.guideline, number=3, body_markdown="# v3", status="approved"
    )
    client.force_login(alice)
    response = client.post(
        url("version_approve", code="bio-protocol", number=2),
        {"institute": institute_a.pk},
        follow=True,
    )
    assert "v3 is already approved; approving v2 would supersede a newer version." in [
        str(m) for m in response.context["messages"]
    ]
    statuses = dict(jw.guideline.versions.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "in_review", 3: "approved"}
    assert not jw.v2.approvals.filter(institute=institute_a).exists()
    assert v3.adoptions.count() == 0


def test_a_project_following_a_superseded_version_says_so_with_a_link_to_adopt_the_new_one(
    client, jw, alice, vera, institute_a
):
    project_url = reverse("projects:detail", kwargs={"slug": jw.project.slug})
    queue_url = reverse("jobs:queue", kwargs={"slug": jw.project.slug})
    client.force_login(alice)
    assert "which is superseded" not in client.get(project_url).text
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)

    adopt_url = (
        reverse("projects:guideline_adopt", kwargs={"slug": jw.project.slug})
        + f"?version={jw.v2.pk}"
    )
    for page_url in (project_url, queue_url):
        text = client.get(page_url).text
        assert "This project follows" in text
        assert "bio-protocol v1</a>, which is superseded" in text
        assert "v2</a> is the approved version now." in text
        assert f'href="{adopt_url}"' in text.replace("&amp;", "&")
    form = client.get(adopt_url).context["form"]
    assert str(form["version"].value()) == str(jw.v2.pk)

    client.force_login(vera)  # a viewer is told, without the lead's button
    text = client.get(project_url).text
    assert "which is superseded" in text
    assert adopt_url not in text

    client.force_login(alice)
    client.post(adopt_url, {"version": jw.v2.pk})
    assert "which is superseded" not in client.get(project_url).text
    assert "which is superseded" not in client.get(queue_url).text
