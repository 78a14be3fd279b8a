"""The safety layer every reader goes through (evaluations.ingestion.safety), on its own: it reads
what zipfile reads, in every compression Concord accepts, and its JSON guards count what they
say they count."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from evaluations.ingestion.errors import LogReadError, UnsafeInput
from evaluations.ingestion.safety import (
    Limits,
    SafeArchive,
    check_depth,
    check_value_sizes,
    json_lines,
    json_object,
)
from tests.evaluations.ingestion import logs

LIMITS = Limits()


@pytest.mark.parametrize("method", [logs.ZSTD, zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_every_member_reads_as_zipfile_reads_it(method, qa_logs, tmp_path):
    entries = logs.members(qa_logs["eval"])
    entries["big.json"] = json.dumps(
        [{"n": i, "text": "x" * (i % 97)} for i in range(40_000)]
    ).encode()
    path = logs.write_archive(tmp_path / "all.eval", entries, method=method)
    with SafeArchive(path) as archive:
        assert set(archive.names()) == set(entries)
        for name, data in entries.items():
            assert bytes(archive.read(name)) == data
            stream = io.BufferedReader(archive.open(name))
            assert stream.read() == data


def test_lines_are_read_across_chunk_boundaries(tmp_path):
    lines = [json.dumps({"doc_id": i, "text": "y" * (i * 7 % 5000)}) for i in range(3000)]
    path = logs.write_archive(tmp_path / "s.zip", {"s.jsonl": ("\n".join(lines) + "\n").encode()})
    with SafeArchive(path) as archive:
        read = [value for _, value in json_lines(archive.open("s.jsonl"), label="s", limits=LIMITS)]
    assert read == [json.loads(line) for line in lines]


def test_a_long_line_is_refused():
    stream = io.BytesIO(b'{"a": 1}\n{"a": "' + b"z" * 5000 + b'"}\n')
    limits = Limits(max_entry_bytes=1000)
    with pytest.raises(UnsafeInput, match="line 2 is longer than"):
        list(json_lines(stream, label="s", limits=limits))


def test_skipped_keys_are_parsed_for_damage_but_not_built():
    text = b'{"samples": [1, 2, {"x": [}], "eval": {}}'
    with pytest.raises(LogReadError, match="not valid JSON"):
        json_object(io.BytesIO(text), label="log", limits=LIMITS, skip=frozenset({"samples"}))
    value = json_object(
        io.BytesIO(b'{"samples": [1, 2], "eval": {"a": 1}}'),
        label="log",
        limits=LIMITS,
        skip=frozenset({"samples"}),
    )
    assert value == {"eval": {"a": 1}}


def test_depth_is_counted_in_containers():
    limits = Limits(max_json_depth=3)
    check_depth({"a": [{"b": 1}]}, label="x", limits=limits)  # 3 levels
    with pytest.raises(UnsafeInput, match="nested more than 3 levels"):
        check_depth({"a": [{"b": [1]}]}, label="x", limits=limits)
    json_object(io.BytesIO(b'{"a": [{"b": 1}]}'), label="x", limits=limits)
    with pytest.raises(UnsafeInput, match="nested more than 3 levels"):
        json_object(io.BytesIO(b'{"a": [{"b": [1]}]}'), label="x", limits=limits)


def test_a_large_header_is_refused_while_it_is_built():
    limits = Limits(max_entry_bytes=100_000)
    big = json.dumps({"eval": {"metadata": ["w" * 50 for _ in range(20_000)]}}).encode()
    with pytest.raises(UnsafeInput, match="outside its samples"):
        json_object(io.BytesIO(big), label="log", limits=limits)


def test_a_large_sample_is_refused_by_the_header_pass():
    limits = Limits(max_entry_bytes=100_000)
    big = json.dumps({"eval": {}, "samples": [{"id": 1, "input": "v" * 300_000}]}).encode()
    with pytest.raises(UnsafeInput, match="larger than"):
        json_object(
            io.BytesIO(big),
            label="log",
            limits=limits,
            skip=frozenset({"samples"}),
            item_prefix="samples.item",
        )


@pytest.mark.parametrize(
    ("length", "limit", "refused"),
    [
        (5_000, 1_000, True),  # within one chunk
        (900, 1_000, False),
        (3 << 20, 2 << 20, True),  # across chunks
        ((3 << 20) // 2, 2 << 20, False),
    ],
)
def test_a_single_huge_value_is_refused_before_any_parser_buffers_it(length, limit, refused):
    data = b'{"eval": {"a": "b", "c": "' + b"s" * length + b'", "d": ["e", "f"]}}'
    handle = io.BytesIO(data)
    limits = Limits(max_entry_bytes=limit)
    if refused:
        with pytest.raises(UnsafeInput, match="holds a single value longer than"):
            check_value_sizes(handle, label="log", limits=limits)
    else:
        check_value_sizes(handle, label="log", limits=limits)
        assert handle.tell() == 0


def test_zip64_extra_fields_give_the_64_bit_sizes_and_offset():
    import struct

    from evaluations.ingestion.safety import _zip64_sizes

    big = 5 << 30
    extra = struct.pack("<HH", 0x5455, 5) + b"\x01" * 5  # another extra field first
    extra += struct.pack("<HHQQ", 0x0001, 16, big, big + 7)
    assert _zip64_sizes(extra, 0xFFFFFFFF, 123, 0xFFFFFFFF) == (big, 123, big + 7)
    assert _zip64_sizes(b"", 10, 20, 30) == (10, 20, 30)


def test_an_archive_after_a_prefix_is_read_at_its_real_offsets(qa_logs, tmp_path):
    entries = logs.members(qa_logs["eval"])
    plain = logs.write_archive(tmp_path / "plain.eval", entries)
    prefixed = tmp_path / "prefixed.eval"
    prefixed.write_bytes(b"#!/bin/sh\necho stub\n" * 10 + plain.read_bytes())
    with SafeArchive(prefixed) as archive:
        assert {name: bytes(archive.read(name)) for name in archive.names()} == entries
