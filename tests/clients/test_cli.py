"""`concord upload` and `concord pending`: the lines on stdout and the exit codes, against the live
test server (the real console script, in a child process) and without one."""

from __future__ import annotations

import json

from concord_client import pending

from evaluations.models import EvaluationRun
from tests.clients.conftest import CONCORD, live, run


def _env(child_env, live_server, token, **values):
    return child_env(CONCORD_URL=live_server.url, CONCORD_TOKEN=token, **values)


@live
def test_upload_imports_then_says_already_imported_then_refuses_a_bad_file(
    live_server, joint, bob_token, arith_log, child_env, tmp_path
):
    env = _env(child_env, live_server, bob_token)
    args = [CONCORD, "upload", str(arith_log), "--project", "joint", "--institute", "inst-a"]

    first = run(args, env, tmp_path)
    assert first.returncode == 0, first.stderr
    run_obj = EvaluationRun.objects.get()
    assert first.stdout == f"{arith_log}: imported as run {run_obj.pk}\n"
    assert run_obj.project == joint
    assert run_obj.task.slug == "arith"
    assert run_obj.institute.code == "inst-a"

    again = run(args, env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{arith_log}: already imported as run {run_obj.pk}\n"
    assert EvaluationRun.objects.count() == 1

    bad = tmp_path / "notes.eval"
    bad.write_text("not a log")
    refused = run([*args[:2], str(bad), str(arith_log), *args[3:]], env, tmp_path)
    assert refused.returncode == 1
    bad_line, good_line = refused.stdout.splitlines()
    assert bad_line.startswith(f"{bad}: refused: ")
    assert "file" in bad_line
    assert good_line == f"{arith_log}: already imported as run {run_obj.pk}"


@live
def test_project_and_institute_come_from_the_configuration(
    live_server, joint, bob_token, arith_log, child_env, tmp_path
):
    (tmp_path / "concord.toml").write_text(
        f'[concord]\nurl = "{live_server.url}"\ntoken = "{bob_token}"\n'
        'project = "joint"\ninstitute = "inst-a"\n'
    )
    done = run(
        [CONCORD, "upload", str(arith_log), "--notes", "from the lab"], child_env(), tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(f"imported as run {EvaluationRun.objects.get().pk}\n")
    assert EvaluationRun.objects.get().notes == "from the lab"


@live
def test_a_token_that_may_not_write_is_refused_with_the_reason(
    live_server, joint, vera_token, arith_log, child_env, tmp_path
):
    env = _env(child_env, live_server, vera_token, CONCORD_PROJECT="joint")
    done = run([CONCORD, "upload", str(arith_log), "--institute", "inst-a"], env, tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{arith_log}: refused: ")
    assert not EvaluationRun.objects.exists()


def test_unreachable_concord_leaves_the_files_pending(
    closed_port, arith_log, child_env, tmp_path, pending_dir
):
    env = child_env(CONCORD_URL=f"http://127.0.0.1:{closed_port}", CONCORD_TOKEN="cnc_x")
    other = tmp_path / "other.eval"
    other.write_bytes(arith_log.read_bytes())
    args = [CONCORD, "upload", str(arith_log), str(other), "--project", "joint"]
    done = run([*args, "--institute", "inst-a", "--task", "arith"], env, tmp_path)
    assert done.returncode == 3
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{arith_log}: not sent: Cannot reach Concord")
    assert lines[1].startswith(f"{other}: not sent: ")
    assert "concord upload --pending" in done.stderr
    entries = [entry for _, entry in pending.entries(pending_dir)]
    assert {e.path for e in entries} == {str(arith_log), str(other)}
    assert {(e.project, e.institute, e.task) for e in entries} == {("joint", "inst-a", "arith")}

    listed = run([CONCORD, "pending"], env, tmp_path)
    assert listed.returncode == 0
    assert f"{arith_log}: project joint, institute inst-a" in listed.stdout
    assert "first error: Cannot reach Concord" in listed.stdout
    assert run([CONCORD, "upload", "--pending", "--list"], env, tmp_path).stdout == listed.stdout

    still = run([CONCORD, "upload", "--pending"], env, tmp_path)
    assert still.returncode == 3
    assert "still pending" in still.stdout
    assert len(pending.entries(pending_dir)) == 2


@live
def test_upload_pending_sends_and_removes_each_entry(
    live_server, joint, bob_token, arith_log, child_env, tmp_path, pending_dir
):
    pending.add(
        pending_dir, pending.Entry(path=str(arith_log), project="joint", institute="inst-a")
    )
    gone = tmp_path / "deleted.eval"
    pending.add(pending_dir, pending.Entry(path=str(gone), project="joint", institute="inst-a"))
    bad = tmp_path / "bad.eval"
    bad.write_text("{}")
    pending.add(pending_dir, pending.Entry(path=str(bad), project="joint", institute="inst-a"))
    env = _env(child_env, live_server, bob_token)

    done = run([CONCORD, "upload", "--pending"], env, tmp_path)
    assert done.returncode == 1
    run_obj = EvaluationRun.objects.get()
    assert f"{arith_log}: imported as run {run_obj.pk}" in done.stdout.splitlines()
    assert f"{gone}: refused: the file no longer exists" in done.stdout.splitlines()
    assert f"{bad}: refused: " in done.stdout
    assert pending.entries(pending_dir) == []
    assert run([CONCORD, "pending"], env, tmp_path).stdout == "Nothing pending.\n"


def test_usage_and_configuration_errors_exit_2(child_env, tmp_path, arith_log):
    env = child_env()
    missing = run([CONCORD, "upload", str(arith_log)], env, tmp_path)
    assert missing.returncode == 2
    assert "CONCORD_URL" in missing.stderr
    assert "CONCORD_TOKEN" in missing.stderr
    no_project = run(
        [CONCORD, "upload", str(arith_log)],
        child_env(CONCORD_URL="http://127.0.0.1:1", CONCORD_TOKEN="cnc_x"),
        tmp_path,
    )
    assert no_project.returncode == 2
    assert "--project and --institute" in no_project.stderr
    assert run([CONCORD, "upload"], env, tmp_path).returncode == 2
    assert run([CONCORD, "upload", "--list"], env, tmp_path).returncode == 2
    assert run([CONCORD, "frobnicate"], env, tmp_path).returncode == 2
    version = run([CONCORD, "--version"], env, tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("concord-client ")


def test_pending_entries_round_trip(tmp_path):
    directory = tmp_path / "pending"
    assert pending.entries(directory) == []
    entry = pending.Entry(path="/logs/a.eval", project="joint", institute="inst-a", eval_id="E1")
    file = pending.add(directory, entry)
    pending.add(directory, pending.Entry(path="/logs/b.eval", project="joint", institute="inst-b"))
    again = pending.add(directory, entry)  # one entry per log
    assert again == file
    (directory / "junk.json").write_text("{not json")
    found = pending.entries(directory)
    assert [e.path for _, e in found] == ["/logs/a.eval", "/logs/b.eval"]
    assert json.loads(file.read_text())["eval_id"] == "E1"
    pending.remove(file)
    assert [e.path for _, e in pending.entries(directory)] == ["/logs/b.eval"]
