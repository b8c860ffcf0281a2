"""`ArtifactStore` conformance: the local-folder and in-memory stores behave the same, stream
large files, and never read or write outside a run's root."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsloop.errors import InvalidInputError, NotFoundError, PathEscapeError
from opsloop.storage.artifacts import (
    ArtifactStore,
    InMemoryArtifactStore,
    LocalArtifactStore,
    StoredEntry,
    artifact_store_for,
)

MB = 1024 * 1024


@dataclass
class Rooted:
    store: ArtifactStore
    root: str
    folder: Path | None  # the root on disk, for the local store

    def write(self, path: str, data: bytes) -> None:
        self.store.write(self.root, path, [data])

    def read(self, path: str) -> bytes:
        return b"".join(self.store.read(self.root, path))


@pytest.fixture(params=["local", "memory"])
def rooted(request: pytest.FixtureRequest, tmp_path: Path) -> Rooted:
    if request.param == "local":
        folder = tmp_path / "runs" / "run-1" / "artifacts"  # does not exist until the first write
        return Rooted(LocalArtifactStore(), str(folder), folder)
    return Rooted(InMemoryArtifactStore(), f"memory://artifacts/{uuid.uuid4().hex}", None)


def leftovers(rooted: Rooted) -> list[str]:
    """Temporary upload files left in the local root (none may survive a write)."""
    if rooted.folder is None or not rooted.folder.exists():
        return []
    return [path.name for path in rooted.folder.rglob(".upload-*")]


# === files ========================================================================================
def test_a_large_file_streams_in_and_out(rooted: Rooted) -> None:
    data = os.urandom(5 * MB + 123)
    handed_out = []

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 64 * 1024):
            handed_out.append(start)
            yield data[start : start + 64 * 1024]

    receipt = rooted.store.write(rooted.root, "model/weights.bin", chunks())
    assert receipt.size == len(data)
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()
    assert len(handed_out) == 81  # every chunk was consumed

    read = list(rooted.store.read(rooted.root, "model/weights.bin", chunk_size=MB))
    assert len(read) == 6 and all(len(chunk) <= MB for chunk in read)
    joined = b"".join(read)
    assert joined == data
    assert hashlib.sha256(joined).hexdigest() == receipt.sha256
    assert leftovers(rooted) == []


def test_an_empty_file(rooted: Rooted) -> None:
    receipt = rooted.store.write(rooted.root, "empty.txt", [])
    assert (receipt.size, receipt.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert rooted.read("empty.txt") == b""
    assert rooted.store.list(rooted.root) == [StoredEntry("empty.txt", is_dir=False, size=0)]


def test_replace_a_file(rooted: Rooted) -> None:
    rooted.write("notes.txt", b"first version, longer")
    receipt = rooted.store.write(rooted.root, "notes.txt", [b"second"])
    assert (receipt.size, receipt.sha256) == (6, hashlib.sha256(b"second").hexdigest())
    assert rooted.read("notes.txt") == b"second"
    assert rooted.store.list(rooted.root) == [StoredEntry("notes.txt", is_dir=False, size=6)]
    assert leftovers(rooted) == []


def test_a_failed_write_keeps_the_old_file(rooted: Rooted) -> None:
    rooted.write("notes.txt", b"old")

    def broken() -> Iterator[bytes]:
        yield b"new data that never completes"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        rooted.store.write(rooted.root, "notes.txt", broken())
    with pytest.raises(ConnectionError):
        rooted.store.write(rooted.root, "fresh.txt", broken())
    assert rooted.read("notes.txt") == b"old"
    assert not rooted.store.is_file(rooted.root, "fresh.txt")
    assert [entry.path for entry in rooted.store.list(rooted.root)] == ["notes.txt"]
    assert leftovers(rooted) == []


def test_missing_files_and_folders(rooted: Rooted) -> None:
    rooted.write("dir/a.txt", b"a")
    with pytest.raises(NotFoundError):
        rooted.store.read(rooted.root, "missing.txt")
    with pytest.raises(NotFoundError):
        rooted.store.read(rooted.root, "dir/missing.txt")
    with pytest.raises(InvalidInputError):
        rooted.store.read(rooted.root, "dir")  # a folder is not a file
    with pytest.raises(InvalidInputError):
        rooted.write("dir", b"a file over a folder")
    with pytest.raises(InvalidInputError):
        rooted.write("dir/a.txt/below", b"a file below a file")
    assert rooted.read("dir/a.txt") == b"a"
    assert [entry.path for entry in rooted.store.walk(rooted.root)] == ["dir/a.txt"]


def test_a_root_that_does_not_exist_yet_is_empty(rooted: Rooted) -> None:
    assert rooted.store.list(rooted.root) == []
    assert list(rooted.store.walk(rooted.root)) == []
    assert not rooted.store.is_file(rooted.root, "a.txt")


# === folders ======================================================================================
FILES = {
    "a.txt": b"a",
    "dir/b.txt": b"bb",
    "dir/sub/c.bin": b"ccc",
    "dir/sub/d.txt": b"dddd",
    "z/e": b"eeeee",
}


@pytest.fixture
def tree(rooted: Rooted) -> Rooted:
    for path, data in reversed(FILES.items()):
        rooted.write(path, data)
    return rooted


def test_list_gives_the_direct_children(tree: Rooted) -> None:
    assert tree.store.list(tree.root) == [
        StoredEntry("a.txt", is_dir=False, size=1),
        StoredEntry("dir", is_dir=True, size=None),
        StoredEntry("z", is_dir=True, size=None),
    ]
    expected = [
        StoredEntry("dir/b.txt", is_dir=False, size=2),
        StoredEntry("dir/sub", is_dir=True, size=None),
    ]
    for spelling in ("dir", "dir/", "./dir", "dir//", "dir/./"):
        assert tree.store.list(tree.root, spelling) == expected, spelling
    assert tree.store.list(tree.root, "dir/sub") == [
        StoredEntry("dir/sub/c.bin", is_dir=False, size=3),
        StoredEntry("dir/sub/d.txt", is_dir=False, size=4),
    ]
    assert tree.store.list(tree.root, "a.txt") == [StoredEntry("a.txt", is_dir=False, size=1)]
    assert tree.store.list(tree.root, "missing") == []
    assert tree.store.list(tree.root, "dir/missing") == []


def test_walk_gives_every_file_depth_first(tree: Rooted) -> None:
    assert [(entry.path, entry.size) for entry in tree.store.walk(tree.root)] == [
        (path, len(data)) for path, data in FILES.items()
    ]
    assert [entry.path for entry in tree.store.walk(tree.root, "dir")] == [
        "dir/b.txt",
        "dir/sub/c.bin",
        "dir/sub/d.txt",
    ]
    assert all(not entry.is_dir for entry in tree.store.walk(tree.root))
    for path, data in FILES.items():
        assert tree.read(path) == data
        assert tree.store.is_file(tree.root, path)
    assert not tree.store.is_file(tree.root, "dir")
    assert not tree.store.is_file(tree.root, "dir/sub/none")


def test_roots_are_separate(rooted: Rooted, tmp_path: Path) -> None:
    rooted.write("a.txt", b"mine")
    other = str(tmp_path / "other-root") if rooted.folder is not None else rooted.root + "-other"
    assert rooted.store.list(other) == []
    assert not rooted.store.is_file(other, "a.txt")
    with pytest.raises(NotFoundError):
        rooted.store.read(other, "a.txt")


# === paths that try to leave the root =============================================================
ESCAPES = [
    "../x",
    "a/../../x",
    "a/..",
    "..",
    "/etc/passwd",
    "//server/share",
    "C:/x",
    "c:x",
    "a\\b",
    "..\\x",
    "C:\\Windows",
    "a\x00b",
    "x\x00",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_escaping_paths_are_refused(rooted: Rooted, path: str, tmp_path: Path) -> None:
    before = sorted(str(item) for item in tmp_path.rglob("*"))
    with pytest.raises(PathEscapeError):
        rooted.write(path, b"escape")
    with pytest.raises(PathEscapeError):
        rooted.store.read(rooted.root, path)
    with pytest.raises(PathEscapeError):
        rooted.store.is_file(rooted.root, path)
    with pytest.raises(PathEscapeError):
        rooted.store.list(rooted.root, path)
    with pytest.raises(PathEscapeError):
        list(rooted.store.walk(rooted.root, path))
    assert sorted(str(item) for item in tmp_path.rglob("*")) == before  # nothing written anywhere
    assert rooted.store.list(rooted.root) == []


@pytest.mark.parametrize("path", ["", "   ", ".", "./", "/"])
def test_a_file_needs_a_path(rooted: Rooted, path: str) -> None:
    with pytest.raises(PathEscapeError):
        rooted.write(path, b"nameless")
    with pytest.raises(PathEscapeError):
        rooted.store.read(rooted.root, path)


def test_path_errors_are_invalid_input() -> None:
    assert issubclass(PathEscapeError, InvalidInputError)  # so the server answers 400, not 500


@pytest.fixture
def escape_hatches(tmp_path: Path) -> tuple[Rooted, Path]:
    """A local root holding a symlinked folder and a symlinked file that both point outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_bytes(b"fine")
    (root / "linked-dir").symlink_to(outside, target_is_directory=True)
    (root / "linked-file").symlink_to(outside / "secret.txt")
    (root / "nested").mkdir()
    (root / "nested" / "up").symlink_to(tmp_path, target_is_directory=True)
    return Rooted(LocalArtifactStore(), str(root), root), outside


@pytest.mark.parametrize(
    "path", ["linked-dir/secret.txt", "linked-file", "nested/up/outside/secret.txt", "linked-dir"]
)
def test_symlinks_out_of_the_root_are_refused(escape_hatches: tuple[Rooted, Path], path: str) -> None:
    rooted, outside = escape_hatches
    with pytest.raises(PathEscapeError):
        rooted.read(path)
    with pytest.raises(PathEscapeError):
        rooted.store.is_file(rooted.root, path)
    with pytest.raises(PathEscapeError):
        rooted.write(path, b"overwritten")
    with pytest.raises(PathEscapeError):
        rooted.write(f"{path}/new.txt", b"planted")
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert sorted(item.name for item in outside.iterdir()) == ["secret.txt"]


def test_symlinks_are_not_listed(escape_hatches: tuple[Rooted, Path]) -> None:
    rooted, _ = escape_hatches
    assert rooted.store.list(rooted.root) == [
        StoredEntry("inside.txt", is_dir=False, size=4),
        StoredEntry("nested", is_dir=True, size=None),
    ]
    assert [entry.path for entry in rooted.store.walk(rooted.root)] == ["inside.txt"]
    with pytest.raises(PathEscapeError):
        rooted.store.list(rooted.root, "linked-dir")


def test_a_file_uri_root(tmp_path: Path) -> None:
    store = LocalArtifactStore()
    root = f"file://{(tmp_path / 'by-uri').as_posix()}"
    store.write(root, "a/b.txt", [b"uri"])
    assert (tmp_path / "by-uri" / "a" / "b.txt").read_bytes() == b"uri"
    assert b"".join(store.read(root, "a/b.txt")) == b"uri"


def test_the_store_for_a_uri() -> None:
    assert isinstance(artifact_store_for("/some/folder"), LocalArtifactStore)
    assert isinstance(artifact_store_for("file:///some/folder"), LocalArtifactStore)
    memory = artifact_store_for("memory://a")
    assert isinstance(memory, InMemoryArtifactStore)
    assert artifact_store_for("memory://b") is memory  # shared, or nothing written could be read back
    with pytest.raises(InvalidInputError):
        artifact_store_for("nope://bucket/x")
