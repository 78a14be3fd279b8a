def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == "postgresql"
    assert body["broker"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    # Nothing listens on port 1: the broker does not answer.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(client, db, monkeypatch):
    from institutes.views import health

    monkeypatch.setattr(
        health, "database_status", lambda connection: {"ok": False, "error": "OperationalError"}
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_database_status_reports_a_failing_connection(db):
    from institutes.health import database_status

    class Broken:
        vendor = "postgresql"

        def cursor(self):
            raise ConnectionError("refused")

    assert database_status(Broken()) == {"ok": False, "error": "ConnectionError"}
