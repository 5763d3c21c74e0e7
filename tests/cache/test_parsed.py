"""The parsed-file cache: same results as parsing, reused by content, robust to damage."""

from __future__ import annotations

from kcompile.cache.parsed import ParseCache
from kcompile.yaml.read import load_documents
from kcompile.yaml.scalars import as_text

TEXT = "a: 1\nb: [x, {c: 0755}]\n---\nd: 1.10\n"


def test_hit_gives_same_documents_as_parsing(tmp_path):
    cache = ParseCache(tmp_path)
    first = cache.load_documents(TEXT, "f.yaml")
    second = cache.load_documents(TEXT, "other-name.yaml")
    assert (cache.misses, cache.hits) == (1, 1)
    expected = load_documents(TEXT, "f.yaml")
    for docs in (first, second):
        assert [(d.data, d.line, d.index) for d in docs] == [(d.data, d.line, d.index) for d in expected]


def test_hits_are_independent_copies(tmp_path):
    cache = ParseCache(tmp_path)
    cache.load_documents(TEXT, "f")
    a = cache.load_documents(TEXT, "f")
    a[0].data["a"] = 99
    assert cache.load_documents(TEXT, "f")[0].data["a"] == 1


def test_keep_text_numbers_survive_the_cache(tmp_path):
    cache = ParseCache(tmp_path)
    for _ in range(2):
        docs = cache.load_documents("newTag: 1.10\nmode: 0755\n", "k.yaml", keep_text=True)
        assert as_text(docs[0].data["newTag"]) == "1.10"
        assert as_text(docs[0].data["mode"]) == "0755"
    assert cache.hits == 1


def test_changed_content_is_a_miss(tmp_path):
    cache = ParseCache(tmp_path)
    cache.load_documents("a: 1\n", "f")
    assert cache.load_documents("a: 2\n", "f")[0].data == {"a": 2}
    assert cache.misses == 2


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = ParseCache(tmp_path)
    cache.load_documents(TEXT, "f")
    for entry in tmp_path.rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"\x00garbage")
    assert cache.load_documents(TEXT, "f")[1].data == {"d": 1.1}
    assert cache.misses == 2


def test_disabled_cache_writes_nothing(tmp_path):
    cache = ParseCache(None)
    cache.load_documents(TEXT, "f")
    assert not list(tmp_path.iterdir())


def test_code_fingerprint_names_the_cache_directory(tmp_path):
    from kcompile.cache.location import code_fingerprint

    cache = ParseCache(tmp_path)
    cache.load_documents(TEXT, "f")
    assert [p.name for p in tmp_path.iterdir()] == [f"parsed-{code_fingerprint()}"]
