import hashlib
import os
import subprocess
import sys

from evaluations.runner.offline import ENCODINGS, cache_key, ensure_tiktoken_encodings


def test_the_cache_key_is_tiktokens_sha1_of_the_encoding_url():
    assert cache_key("o200k_base") == "fb374d419588a4632f3f557e76b4b70aebbca790"


def test_encodings_are_placed_decompressed_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert ensure_tiktoken_encodings() == tmp_path
    data = (tmp_path / cache_key("o200k_base")).read_bytes()
    assert hashlib.sha256(data).hexdigest() == ENCODINGS["o200k_base"]


def test_a_damaged_cached_file_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    target = tmp_path / cache_key("o200k_base")
    target.write_bytes(b"half a file")
    ensure_tiktoken_encodings(("o200k_base",))
    assert hashlib.sha256(target.read_bytes()).hexdigest() == ENCODINGS["o200k_base"]


def test_tiktoken_then_loads_o200k_base_without_the_network(tmp_path, monkeypatch):
    """In a fresh process whose every HTTP(S) request would fail (a dead proxy)."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    ensure_tiktoken_encodings(("o200k_base",))
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tiktoken; print(len(tiktoken.get_encoding('o200k_base').encode('hello world')))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "2"
