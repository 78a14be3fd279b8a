"""Inspect writes non-finite floats as the constants NaN and Infinity (its "unscored" sentinel is
NaN): Concord's ijson readers parse such logs as Python's json does, at any chunk boundary."""

from __future__ import annotations

import io
import json
import math

import ijson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluations.ingestion import json_constants

TRICKY_TEXT = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", 'say "NaN"', "back\\slash", "\\", '\\"', "x\\\\", "é NaN"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    TRICKY_TEXT,
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _read(data: bytes, chunk: int = 1 << 16):
    stream, rewritten = json_constants.readable(io.BytesIO(data), chunk=chunk)
    value = next(ijson.items(stream, "", use_float=True))
    return json_constants.restore(value) if rewritten else value


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 64, 1 << 16])
@settings(max_examples=60, deadline=None)
@given(document=DOCUMENTS)
def test_any_document_reads_as_pythons_json_reads_it(document, chunk):
    data = json.dumps({"v": document}, ensure_ascii=False).encode()
    assert _same(_read(data, chunk), json.loads(data))


def test_a_log_without_constants_is_read_as_it_is():
    handle = io.BytesIO(b'{"samples": [{"score": 1.0, "text": "no such words"}]}')
    stream, rewritten = json_constants.readable(handle)
    assert stream is handle
    assert rewritten is False
    assert handle.tell() == 0


def test_the_words_inside_strings_stay_text():
    data = b'{"a": "NaN", "b": NaN, "c": ["-Infinity", -Infinity, Infinity], "d": "\\"NaN\\""}'
    value = _read(data)
    assert value["a"] == "NaN"
    assert math.isnan(value["b"])
    assert value["c"][0] == "-Infinity"
    assert value["c"][1:] == [-math.inf, math.inf]
    assert value["d"] == '"NaN"'


def test_a_damaged_file_is_still_refused():
    with pytest.raises(ijson.JSONError):
        _read(b'{"a": NaN, "b": Nan}')
