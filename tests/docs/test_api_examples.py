"""The `curl` examples of docs/api.md, run against a live test server.

Every fenced `sh` block of the document that starts with `curl` is an example: the command, then
its answer as comments, `# 201 Created` and the JSON body shortened with `...`. Each block runs in
bash in document order, with the shell variables the document names (`CONCORD`, `TOKEN`,
`PROJECT`, `SYSTEM`, `LOG`, `HOOK` (a webhook receiver's URL), and `JOB`, `RUN`, `EXCHANGE`,
`EXTERNAL`, `WEBHOOK` taken from the answers of the examples that create them). The test checks
the status, and that every field the document shows is in the answer, at the same place (values
vary, except statuses and error codes).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from evaluations.models import Participation
from evaluations.services.tasks import task_builtin_upsert
from institutes.models import Role
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)
from tests.factories import InstituteFactory, member

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CURL = shutil.which("curl")

# An example that creates an object names it for the examples after it.
CREATES = {
    "jobs": "JOB",
    "runs/import": "RUN",
    "exchanges": "EXCHANGE",
    "external-runs": "EXTERNAL",
    "webhooks": "WEBHOOK",
}
# Fields whose documented value is checked too (the others vary from one server to the next).
EXACT = {"status", "code", "source", "is_final", "cancel_requested"}

pytestmark = [
    # The live server reads what the test commits; serialized rollback leaves the database as the
    # later transactional tests (workers, fault runs) expect it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(CURL is None, reason="curl is not installed"),
]


@dataclass
class Example:
    line: int  # where the block starts in docs/api.md
    command: str
    status: int
    body: object  # the documented answer, `...` removed


def _without_ellipses(text: str) -> str:
    """Drop `...` outside strings, then the commas left dangling."""
    out, in_string, escaped, i = [], False, False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            escaped = char == "\\" and not escaped
            in_string = not (char == '"' and not escaped)
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("...", i):
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    cleaned = "".join(out)
    previous = None
    while previous != cleaned:
        previous = cleaned
        cleaned = re.sub(r",\s*([}\]])", r"\1", cleaned)
        cleaned = re.sub(r"([{\[])\s*,", r"\1", cleaned)
        cleaned = re.sub(r",\s*,", ",", cleaned)
    return cleaned


def _balanced(text: str) -> bool:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            escaped = char == "\\" and not escaped
            in_string = not (char == '"' and not escaped)
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth == 0


def examples(markdown: str) -> list[Example]:
    found = []
    for match in re.finditer(r"^```sh\n(.*?)^```", markdown, re.M | re.S):
        lines = match.group(1).splitlines()
        if not lines or not lines[0].startswith("curl "):
            continue
        line = markdown.count("\n", 0, match.start()) + 1
        command = [ln for ln in lines if not ln.startswith("#")]
        comments = [ln[1:].strip() for ln in lines if ln.startswith("#")]
        status = next((c for c in comments if re.fullmatch(r"\d{3} [A-Za-z ]+", c)), None)
        assert status, f"docs/api.md:{line}: the example shows no status (`# 200 OK`)"
        start = next((i for i, c in enumerate(comments) if c[:1] in "{["), None)
        assert start is not None, f"docs/api.md:{line}: the example shows no answer"
        text = ""
        for comment in comments[start:]:
            text += comment + "\n"
            if _balanced(text):
                break
        try:
            body = json.loads(_without_ellipses(text))
        except json.JSONDecodeError as exc:
            raise AssertionError(f"docs/api.md:{line}: the answer is not JSON: {exc}") from exc
        found.append(Example(line, "\n".join(command), int(status[:3]), body))
    return found


def assert_shape(documented, actual, where: str) -> None:
    """Every field the document shows is in the answer, at the same place."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r:.200}"
        for key, value in documented.items():
            assert key in actual, f"{where}: no field {key!r} in {sorted(actual)}"
            if key in EXACT and not isinstance(value, dict | list) and value != "...":
                assert actual[key] == value, f"{where}.{key}: {actual[key]!r}, not {value!r}"
            assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list) and documented:
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r:.200}"
        assert actual, f"{where}: the document shows items, the answer has none"
        assert_shape(documented[0], actual[0], f"{where}[0]")


def run_example(example: Example, env: dict[str, str]) -> tuple[int, object]:
    # `curl` also prints the status, on a line of its own after the body.
    script = (
        "set -eu\n"
        "curl() { command curl --silent --show-error --max-time 30 "
        "--write-out '\\n%{http_code}' \"$@\"; }\n" + example.command + "\n"
    )
    done = subprocess.run(
        ["/bin/bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"docs/api.md:{example.line}: {done.stderr}"
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


def collection(command: str) -> str | None:
    """The collection an example posts to (`jobs` for ".../api/v1/jobs/")."""
    if not re.search(r"(^|\s)(-d|--data\S*|-F|--form)\s", command):
        return None
    match = re.search(r'\$CONCORD/api/v1/([a-z/-]+?)/"', command)
    return match.group(1) if match else None


@pytest.fixture
def inspect_log(tmp_path) -> Path:
    """A real Inspect log of the shipped knowledge-QA suite (two samples, mockllm)."""
    from inspect_ai import eval as inspect_eval

    from evaluations.runner.offline import ensure_tiktoken_encodings
    from evaluations.suites.knowledge_qa import concord_knowledge_qa

    ensure_tiktoken_encodings()
    [log] = inspect_eval(
        concord_knowledge_qa(),
        model="mockllm/model",
        limit=2,
        log_dir=str(tmp_path / "inspect"),
        display="none",
    )
    assert log.status == "success", log.error
    return Path(log.location)


@pytest.fixture
def empty_broker():
    """Queued jobs go to the broker on commit; no worker takes them here (they stay queued)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield
    broker.delete("evals", "default")


def test_every_curl_example_of_the_api_doc_does_what_it_shows(
    live_server, settings, tmp_path, inspect_log, empty_broker
):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    uk = InstituteFactory(code="uk-aisi", name="UK AI Security Institute", country="GB")
    us = InstituteFactory(code="us-caisi", name="US Center for AI Standards", country="US")
    alice = member("alice", uk, Role.LEAD)
    member("bob", uk, Role.EVALUATOR)
    member("carol", us, Role.LEAD)
    project = ProjectFactory(slug="frontier-2026-pre-deployment", title="Frontier 2026")
    ParticipationFactory(project=project, institute=uk, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=us, role=Participation.Role.PARTNER)
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    AccessWindowFactory(project=project, system=system)
    task_builtin_upsert()  # transactional tests start from empty tables

    token = io.StringIO()
    call_command("create_token", alice.username, "--days", "1", stdout=token, stderr=io.StringIO())
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CONCORD": live_server.url,
        "TOKEN": token.getvalue().strip(),
        "PROJECT": project.slug,
        "SYSTEM": str(system.pk),
        "LOG": str(inspect_log),
        # Deliveries wait for a worker (none runs here): the receiver is only registered.
        "HOOK": "http://127.0.0.1:9/concord",
    }

    found = examples(API_DOC.read_text())
    assert len(found) >= 10, "docs/api.md has lost its curl examples"
    for example in found:
        status, body = run_example(example, env)
        where = f"docs/api.md:{example.line}"
        assert status == example.status, f"{where}: {status}, not {example.status}: {body}"
        assert_shape(example.body, body, where)
        created = collection(example.command)
        if created in CREATES and status == 201:
            env[CREATES[created]] = str(body["id"])


def test_the_examples_are_read_as_the_document_shows_them():
    doc = """
```sh
curl -s -H "Authorization: Bearer $TOKEN" "$CONCORD/api/v1/jobs/$JOB/"
# 200 OK
# {"id": 7, "task": {"id": 1, ...}, "params": {...}, "scores": [{"value": "...", ...}, ...],
#  ..., "run": null}
# Not part of the answer.
```

```sh
TOKEN=$(python manage.py create_token alice)
```
"""
    [example] = examples(doc)
    assert example.status == 200
    assert example.command.startswith("curl -s")
    assert example.body == {
        "id": 7,
        "task": {"id": 1},
        "params": {},
        "scores": [{"value": "..."}],
        "run": None,
    }
    assert collection('curl -d @- "$CONCORD/api/v1/jobs/"') == "jobs"
    assert collection('curl "$CONCORD/api/v1/jobs/"') is None
