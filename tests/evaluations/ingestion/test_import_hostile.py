"""Hostile and broken files: each gets a 4xx with a message that says what is wrong, and nothing
is written (no row, no file in CONCORD_LOG_DIR, no upload left in the temporary directory).

The ZIP bombs are real: a member of 1 GiB of zeros (38 KB compressed), one of 64 MiB (a ratio of
thousands), and one that declares 1,000 bytes but holds 256 MiB. Refusing them must not cost
memory: the stated ceiling is 16 MiB of Python allocations (tracemalloc) for the whole request
(the decompressed data would be Python bytes, so tracemalloc sees it)."""

from __future__ import annotations

import json
import stat
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api_clients import bearer, error_of
from tests.evaluations.ingestion import lm_eval_files as lm
from tests.evaluations.ingestion import logs
from tests.evaluations.ingestion.helpers import URL, files_under, post_log, rows

MEMORY_CEILING = 16 << 20


@pytest.fixture(scope="session")
def bombs(tmp_path_factory, qa_logs):
    root = tmp_path_factory.mktemp("bombs")
    source = qa_logs["eval"]
    lying = logs.zeros_entry(root / "lying.eval", source, size=256 << 20)
    logs.declare_size(lying, "samples/qa-01_epoch_1.json", 1000)
    return {
        "gib": logs.zeros_entry(root / "gib.eval", source, size=1 << 30),
        "ratio": logs.zeros_entry(root / "ratio.eval", source, size=64 << 20),
        "lying": lying,
    }


def refused(response, status: int, *phrases: str) -> dict:
    assert response.status_code == status, response.content[:500]
    error = error_of(response)
    for phrase in phrases:
        assert phrase in error["message"], error["message"]
    return error


@pytest.fixture
def nothing_written(log_dir, upload_dir):
    """Checks, after the test's request, that it left no row and no file behind."""
    before = rows()
    yield
    assert rows() == before == (0, 0, 0)
    assert files_under(log_dir) == []
    assert files_under(upload_dir) == []


def measured(call):
    """(result, peak Python allocation) of `call()`."""
    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


# --- ZIP bombs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bomb", "phrase"),
    [
        ("gib", "to 1,024.0 MiB); at most 1,000 times is accepted (a ZIP bomb?)"),
        ("ratio", "to 64.0 MiB); at most 1,000 times is accepted (a ZIP bomb?)"),
        ("lying", "holds more data than the 1,000 bytes it declares"),
    ],
)
def test_a_zip_bomb_is_refused_without_expanding_it(
    bomb, phrase, bombs, world, bob, nothing_written
):
    client = bearer(bob)
    response, peak = measured(lambda: post_log(client, bombs[bomb]))
    error = refused(response, 400, phrase)
    assert error["code"] == "unsafe_file"
    assert peak < MEMORY_CEILING, f"peak Python allocation {peak / 2**20:.1f} MiB"


def test_a_sample_too_large_to_hold_is_refused_before_it_is_decompressed(
    qa_logs, world, bob, tmp_path, settings, nothing_written
):
    settings.CONCORD_IMPORT_MAX_ENTRY_BYTES = 1 << 20
    entries = logs.members(qa_logs["eval"])
    sample = json.loads(entries["samples/qa-03_epoch_1.json"])
    sample["metadata"] = {"notes": [f"note {i} " * 20 for i in range(20_000)]}  # ~3 MiB
    entries["samples/qa-03_epoch_1.json"] = json.dumps(sample).encode()
    path = logs.write_archive(tmp_path / "fat.eval", entries)
    response = post_log(bearer(bob), path)
    refused(response, 400, "qa-03_epoch_1.json' expands to", "at most 1.0 MiB per entry")


def test_members_never_read_are_not_limited_per_entry(qa_logs, world, bob, tmp_path, settings):
    """A big log's summaries.json (108 MiB for 50,000 samples) is not read: only the total and
    ratio limits apply to it."""
    settings.CONCORD_IMPORT_MAX_ENTRY_BYTES = 64 << 10
    entries = logs.members(qa_logs["eval"])
    summaries = [{"id": i, "text": f"{i:x}" * 40} for i in range(3000)]
    entries["summaries.json"] = json.dumps(summaries).encode()
    assert len(entries["summaries.json"]) > 64 << 10
    path = logs.write_archive(tmp_path / "summaries.eval", entries)
    assert post_log(bearer(bob), path).status_code == 201


def test_an_entry_shorter_than_it_declares_is_damaged(
    qa_logs, world, bob, tmp_path, nothing_written
):
    path = logs.write_archive(tmp_path / "short.eval", logs.members(qa_logs["eval"]))
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("samples/qa-02_epoch_1.json").file_size
    logs.declare_size(path, "samples/qa-02_epoch_1.json", real + 10)
    refused(post_log(bearer(bob), path), 400, "damaged or truncated", f"of its {real + 10:,} bytes")


def test_too_many_entries_are_refused_before_the_directory_is_read(
    qa_logs, world, bob, tmp_path, settings, nothing_written
):
    settings.CONCORD_IMPORT_MAX_ENTRIES = 50
    entries = logs.header_only(qa_logs["eval"])
    entries.update({f"samples/{i}_epoch_1.json": b"{}" for i in range(51)})
    path = logs.write_archive(tmp_path / "many.eval", entries, method=zipfile.ZIP_STORED)
    refused(post_log(bearer(bob), path), 400, "entries; at most 50 are accepted")


def test_an_archive_that_understates_its_entry_count_is_counted_for_real(
    qa_logs, world, bob, tmp_path, settings, nothing_written
):
    settings.CONCORD_IMPORT_MAX_ENTRIES = 50
    entries = {f"samples/{i}_epoch_1.json": b"{}" for i in range(60)}
    path = logs.write_archive(tmp_path / "liar.eval", entries, method=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 3, 3)  # "3 entries"
    path.write_bytes(bytes(data))
    refused(post_log(bearer(bob), path), 400, "holds more than 50 entries (it declares 3)")


def test_an_archive_over_the_total_size_is_refused(qa_logs, world, bob, settings, nothing_written):
    settings.CONCORD_IMPORT_MAX_UNCOMPRESSED_BYTES = 20_000
    refused(post_log(bearer(bob), qa_logs["eval"]), 400, "would expand to more than")


# --- names and kinds of entries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("../../etc/cron.d/concord", "climbs out of the archive"),
        ("samples/../../x_epoch_1.json", "climbs out of the archive"),
        ("samples\\..\\..\\x.json", "climbs out of the archive"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\system.ini", "absolute path"),
    ],
)
def test_entry_names_that_escape_the_archive_are_refused(
    name, phrase, qa_logs, world, bob, tmp_path, nothing_written
):
    path = logs.special_entry(tmp_path / "escape.eval", qa_logs["eval"], name)
    refused(post_log(bearer(bob), path), 400, phrase)


def test_a_symbolic_link_entry_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    path = logs.symlink_entry(tmp_path / "link.eval", qa_logs["eval"])
    refused(post_log(bearer(bob), path), 400, "holds a symbolic link")


def test_a_device_entry_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    path = logs.special_entry(tmp_path / "dev.eval", qa_logs["eval"], "x", mode=stat.S_IFCHR)
    refused(post_log(bearer(bob), path), 400, "holds a special file")


def test_an_encrypted_entry_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    path = logs.special_entry(
        tmp_path / "enc.eval", qa_logs["eval"], "samples/1_epoch_1.json", flags=1
    )
    refused(post_log(bearer(bob), path), 400, "holds an encrypted entry")


def test_an_unsupported_compression_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    path = logs.write_archive(
        tmp_path / "bz.eval", logs.members(qa_logs["eval"]), method=zipfile.ZIP_BZIP2
    )
    refused(post_log(bearer(bob), path), 400, "unsupported compression method (12)")


# --- damaged files and wrong types -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("notes.txt", b"hello", "expected a .eval or .json Inspect log"),
        ("run.exe", b"MZ\x90\x00", "expected a .eval or .json Inspect log"),
        ("picture.eval", b"\x89PNG\r\n\x1a\n" + bytes(64), "is not a ZIP archive"),
        ("report.json", b"%PDF-1.4\n%binary", "not valid JSON"),
        ("log.json", b"{not json", "not valid JSON"),
        ("log.json", b'{"version": 2, "eval": {"task": "x"', "damaged or truncated"),
        ("log.json", b"\xff\xfe{\x00}\x00", "not valid JSON"),
        ("hello.json", b'{"hello": "world"}', "is JSON but not a log Concord reads"),
        ("list.json", b"[1, 2, 3]", "is JSON but not an object"),
        ("header.json", b'{"version": 2, "eval": {"task": 5}}', "has an invalid header"),
        ("empty.eval", b"", "The submitted file is empty."),
        ("empty.zip", b"PK\x05\x06" + bytes(18), "holds neither an Inspect log"),
    ],
)
def test_a_file_that_is_not_a_log_is_refused_with_what_is_wrong(
    name, content, phrase, world, bob, nothing_written
):
    client = bearer(bob)
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        URL, {"file": upload, "project": "joint", "institute": "inst-a"}, format="multipart"
    )
    refused(response, 400, phrase)


def test_a_truncated_eval_log_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    data = qa_logs["eval"].read_bytes()
    path = tmp_path / "cut.eval"
    path.write_bytes(data[: len(data) // 2])
    refused(post_log(bearer(bob), path), 400, "damaged or truncated")


def test_a_corrupt_member_is_refused_and_the_rows_before_it_rolled_back(
    qa_logs, world, bob, tmp_path, nothing_written
):
    """The header and the first samples are fine; a later sample's bytes are garbage: the run
    and the rows already written go."""
    path = logs.write_archive(
        tmp_path / "corrupt.eval", logs.members(qa_logs["eval"]), method=zipfile.ZIP_STORED
    )
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("samples/qa-05_epoch_1.json")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 20] = b"#" * 20
    path.write_bytes(bytes(data))
    refused(post_log(bearer(bob), path), 400, "qa-05_epoch_1.json' is damaged: it fails its CRC")


def test_a_truncated_json_log_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    data = qa_logs["json"].read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: int(len(data) * 0.8)])
    refused(post_log(bearer(bob), path), 400, "damaged or truncated")


def test_a_json_log_with_a_sample_twice_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    log = json.loads(qa_logs["json"].read_text())
    log["samples"].append(log["samples"][0])
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(log))
    refused(post_log(bearer(bob), path), 400, "holds sample 'qa-01' (epoch 1) twice")


# --- deeply nested JSON ----------------------------------------------------------------------


def test_a_deeply_nested_json_log_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    path = logs.deep_json_log(qa_logs["json"], tmp_path / "deep.json", 50_000)
    refused(post_log(bearer(bob), path), 400, "nested more than 100 levels deep")


def test_a_deeply_nested_eval_sample_is_refused(qa_logs, world, bob, tmp_path, nothing_written):
    entries = logs.members(qa_logs["eval"])
    entries["samples/qa-02_epoch_1.json"] = logs.nested_json(50_000).encode()
    path = logs.write_archive(tmp_path / "deep.eval", entries)
    refused(
        post_log(bearer(bob), path), 400, "sample 'samples/qa-02_epoch_1.json' is nested too deeply"
    )


@pytest.fixture
def lm_world(world):
    from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory

    ProjectSystemFactory(project=world, system=AISystemFactory(inspect_model=lm.INSPECT_MODEL))
    TaskFactory(slug="arc-easy", inspect_ref="lm_eval:arc_easy")
    return world


def test_a_deeply_nested_lm_eval_sample_line_is_refused(lm_world, bob, tmp_path, nothing_written):
    output = lm.arc_easy(tmp_path / "out")
    samples = next(output.folder.glob("samples_*.jsonl"))
    samples.write_text(
        json.dumps({"doc_id": 9, "doc": "__DEEP__"}).replace('"__DEEP__"', logs.nested_json(5000))
        + "\n"
    )
    refused(
        post_log(bearer(bob), output.zip(tmp_path / "deep.zip")), 400, "nested more than 100 levels"
    )


def test_a_deeply_nested_lm_eval_results_file_is_refused(world, bob, tmp_path, nothing_written):
    path = tmp_path / "results_deep.json"
    path.write_text('{"results": ' + logs.nested_json(50_000) + ', "config": {}}')
    refused(post_log(bearer(bob), path), 400, "nested more than 100 levels")


# --- lm-eval archives ------------------------------------------------------------------------


def test_an_lm_eval_archive_with_two_runs_is_refused(world, bob, tmp_path, nothing_written):
    output = lm.arc_easy(tmp_path / "out")
    (output.folder / "results_2024-07-01T00-00-00.json").write_text(output.results.read_text())
    refused(
        post_log(bearer(bob), output.zip(tmp_path / "two.zip")),
        400,
        "holds 2 lm-eval results files",
    )


def test_an_lm_eval_sample_line_that_is_not_json_is_refused(
    lm_world, bob, tmp_path, nothing_written
):
    output = lm.arc_easy(tmp_path / "out")
    samples = next(output.folder.glob("samples_*.jsonl"))
    samples.write_text(samples.read_text() + "{oops\n")
    refused(
        post_log(bearer(bob), output.zip(tmp_path / "bad.zip")), 400, "line 5 is not valid JSON"
    )


# --- size limit ------------------------------------------------------------------------------


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused_while_streaming(
    world, bob, settings, nothing_written
):
    settings.CONCORD_MAX_UPLOAD_BYTES = 50_000
    client = bearer(bob)

    def send(size: int):
        upload = SimpleUploadedFile("big.json", b"{" + b" " * (size - 1))
        return client.post(
            URL, {"file": upload, "project": "joint", "institute": "inst-a"}, format="multipart"
        )

    at_limit = send(50_000)
    assert at_limit.status_code == 400  # read, and found not to be a log
    assert "not valid JSON" in error_of(at_limit)["message"]
    error = refused(send(50_001), 413, "at most 0.0 MiB (50,000 bytes)")
    assert error["code"] == "too_large"


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
    world, bob, settings, nothing_written
):
    settings.CONCORD_MAX_UPLOAD_BYTES = 50_000
    upload = SimpleUploadedFile("huge.eval", bytes(3 << 20))
    response = bearer(bob).post(
        URL, {"file": upload, "project": "joint", "institute": "inst-a"}, format="multipart"
    )
    refused(response, 413, "The file is too large (3.0 MiB)")


def test_a_json_log_with_one_huge_value_is_refused_before_it_is_parsed(
    qa_logs, world, bob, tmp_path, settings, nothing_written
):
    settings.CONCORD_IMPORT_MAX_ENTRY_BYTES = 1 << 20
    log = json.loads(qa_logs["json"].read_text())
    log["samples"][2]["metadata"] = {"blob": "x" * (2 << 20)}
    path = tmp_path / "blob.json"
    path.write_text(json.dumps(log))
    refused(post_log(bearer(bob), path), 400, "holds a single value longer than 1.0 MiB")
