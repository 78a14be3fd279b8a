def test_refused_action_shows_the_reason_in_the_layout(client, vera, institute_a, alice):
    from evaluations.services.projects import project_create

    project = project_create(user=alice, title="Joint", lead_institute=institute_a)
    client.force_login(vera)
    response = client.get(f"/projects/{project.slug}/edit/")
    assert response.status_code == 403
    assert b"You cannot do this" in response.content
    assert b"Only leads" in response.content


def test_unknown_page_is_a_friendly_404(client, alice):
    client.force_login(alice)
    response = client.get("/projects/no-such-project/")
    assert response.status_code == 404
    assert b"does not take part in" in response.content
