"""Remote bases through `kcompile vendor`, against real git servers on loopback that the
tests start (`git daemon`, and git's smart HTTP through `git http-backend` behind a small
HTTP server), plus a plain file over HTTP: pins, moved tags, branches, submodules,
subdirectories, offline builds, tampered copies."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml as pyyaml

from kcompile.cli import main

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, check=True,
                          capture_output=True, text=True, env={**os.environ, **GIT_ENV}).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configmap(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{value}\"\n"


@pytest.fixture
def upstream(tmp_path):
    """A bare repository 'apps.git' with tag v1 and branch 'next', and a submodule repo."""
    served = tmp_path / "served"
    served.mkdir()
    lib = tmp_path / "lib-work"
    lib.mkdir()
    git(lib, "init", "-q", "-b", "main")
    (lib / "kustomization.yaml").write_text("resources: [lib.yaml]\n")
    (lib / "lib.yaml").write_text(configmap("lib", "1"))
    git(lib, "add", "-A")
    git(lib, "commit", "-qm", "lib")
    git(served, "clone", "-q", "--bare", str(lib), "lib.git")

    work = tmp_path / "apps-work"
    (work / "deploy").mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "deploy" / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: up-\n")
    (work / "deploy" / "cm.yaml").write_text(configmap("app", "1"))
    (work / "install.yaml").write_text(configmap("installed", "1"))
    git(work, "add", "-A")
    git(work, "commit", "-qm", "one")
    git(work, "tag", "v1")
    git(work, "checkout", "-q", "-b", "next")
    (work / "deploy" / "cm.yaml").write_text(configmap("app", "next"))
    git(work, "commit", "-qam", "next")
    git(work, "checkout", "-q", "main")
    git(served, "clone", "-q", "--bare", str(work), "apps.git")
    git(served / "apps.git", "config", "uploadpack.allowReachableSHA1InWant", "true")
    return {"served": served, "work": work, "lib": lib}


def push(work: Path, served: Path, *refs: str) -> None:
    git(work, "push", "-q", "--force", str(served / "apps.git"), *refs)


@pytest.fixture
def git_daemon(upstream):
    port = free_port()
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
                             f"--port={port}", f"--base-path={upstream['served']}", str(upstream["served"])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"git://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


class _SmartHTTP(http.server.BaseHTTPRequestHandler):
    """git's smart HTTP (git http-backend as CGI) and plain files, from one directory."""

    root: Path
    hits: list

    def log_message(self, *a):  # quiet
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        self.hits.append(self.path)
        path, _, query = self.path.partition("?")
        plain = self.root / "files" / path.lstrip("/")
        if plain.is_file():
            data = plain.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {**os.environ, "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body))}
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(": ")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def http_server(upstream):
    (upstream["served"] / "files").mkdir()
    (upstream["served"] / "files" / "install.yaml").write_text(configmap("from-http", "1"))
    handler = type("H", (_SmartHTTP,), {"root": upstream["served"], "hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    server.shutdown()
    server.server_close()


def consumer(tmp_path: Path, *resources: str, components: tuple = ()) -> Path:
    repo = tmp_path / "consumer"
    ov = repo / "overlays" / "prod"
    ov.mkdir(parents=True)
    git(repo, "init", "-q")
    text = "resources:\n" + "".join(f"- {r}\n" for r in resources)
    if components:
        text += "components:\n" + "".join(f"- {c}\n" for c in components)
    (ov / "kustomization.yaml").write_text(text + "namespace: prod\n")
    return ov


def build(capsys, ov: Path, *extra: str) -> tuple[int, list, str]:
    code = main(["build", str(ov), "--no-validate", "--no-cache", *extra])
    out, err = capsys.readouterr()
    return code, [d for d in pyyaml.safe_load_all(out) if d] if code == 0 else [], err


def test_build_without_vendor_says_to_run_it(tmp_path, capsys, git_daemon):
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v1")
    code, _, err = build(capsys, ov)
    assert code == 1 and "is not vendored: run 'kcompile vendor'" in err and "kustomization.yaml:2" in err


def test_git_daemon_tag_pinned_moved_tag_ignored_until_update(tmp_path, capsys, upstream, git_daemon):
    url = f"{git_daemon}/apps.git//deploy?ref=v1"
    ov = consumer(tmp_path, url)
    assert main(["vendor", str(ov)]) == 0
    capsys.readouterr()
    lock = pyyaml.safe_load((ov.parent.parent / "kcompile.lock").read_text())
    (entry,) = lock["remotes"]
    assert entry["url"] == url and entry["commit"] == git(upstream["work"], "rev-parse", "v1")
    code, objs, err = build(capsys, ov)
    assert code == 0, err
    assert [(o["metadata"]["name"], o["metadata"]["namespace"], o["data"]["v"]) for o in objs] == [("up-app", "prod", "1")]
    # the tag moves upstream: the pinned build does not change
    (upstream["work"] / "deploy" / "cm.yaml").write_text(configmap("app", "moved"))
    git(upstream["work"], "commit", "-qam", "moved")
    git(upstream["work"], "tag", "-f", "v1")
    push(upstream["work"], upstream["served"], "main", "--tags")
    assert build(capsys, ov)[1][0]["data"]["v"] == "1"
    assert main(["vendor", str(ov)]) == 0  # pinned and intact: nothing fetched
    assert build(capsys, ov)[1][0]["data"]["v"] == "1"
    assert main(["vendor", str(ov), "--update"]) == 0
    capsys.readouterr()
    assert build(capsys, ov)[1][0]["data"]["v"] == "moved"
    lock = pyyaml.safe_load((ov.parent.parent / "kcompile.lock").read_text())
    assert lock["remotes"][0]["commit"] == git(upstream["work"], "rev-parse", "v1")


def test_smart_http_branch_and_plain_file_then_offline(tmp_path, capsys, upstream, http_server):
    base, hits = http_server
    ov = consumer(tmp_path, f"{base}/apps.git//deploy?ref=next", f"{base}/install.yaml")
    assert main(["vendor", str(ov)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert any("git-upload-pack" in h for h in hits) and "/install.yaml" in hits
    seen = len(hits)
    code, objs, err = build(capsys, ov)
    assert code == 0, err
    assert sorted((o["metadata"]["name"], o["data"]["v"]) for o in objs) == [("from-http", "1"), ("up-app", "next")]
    assert len(hits) == seen  # the build made no request


def test_build_after_vendor_with_servers_gone(tmp_path, capsys, upstream, git_daemon):
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v1")
    assert main(["vendor", str(ov)]) == 0
    shutil.rmtree(upstream["served"])  # nothing left to fetch from
    code, objs, err = build(capsys, ov)
    assert code == 0 and objs[0]["metadata"]["name"] == "up-app", err


def test_tampered_copy_is_refused(tmp_path, capsys, git_daemon):
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v1")
    assert main(["vendor", str(ov)]) == 0
    capsys.readouterr()
    (copy,) = (ov.parent.parent / ".kcompile" / "vendor" / "remotes").iterdir()
    cm = copy / "repo" / "deploy" / "cm.yaml"
    cm.write_text(cm.read_text().replace('"1"', '"evil"'))
    code, _, err = build(capsys, ov)
    assert code == 1 and "does not match the digest pinned in kcompile.lock" in err
    assert main(["vendor", str(ov)]) == 0  # vendoring again restores it
    capsys.readouterr()
    assert build(capsys, ov)[1][0]["data"]["v"] == "1"


def test_submodules_are_fetched(tmp_path, capsys, upstream, git_daemon):
    work = upstream["work"]
    git(work, "submodule", "add", "-q", f"{git_daemon}/lib.git", "deploy/lib")
    (work / "deploy" / "kustomization.yaml").write_text("resources: [cm.yaml, lib]\n")
    git(work, "commit", "-qam", "with submodule")
    git(work, "tag", "v2")
    push(work, upstream["served"], "main", "--tags")
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v2")
    assert main(["vendor", str(ov)]) == 0, capsys.readouterr().err
    code, objs, err = build(capsys, ov)
    assert code == 0, err
    assert sorted(o["metadata"]["name"] for o in objs) == ["app", "lib"]


def test_remote_base_keeps_its_own_load_restrictor(tmp_path, capsys, upstream, git_daemon):
    work = upstream["work"]
    (work / "deploy" / "kustomization.yaml").write_text("resources: [../install.yaml]\n")
    git(work, "commit", "-qam", "reaches up")
    git(work, "tag", "v3")
    push(work, upstream["served"], "main", "--tags")
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v3")
    assert main(["vendor", str(ov)]) == 1  # as Kustomize: a file outside the base's directory
    err = capsys.readouterr().err
    assert "install.yaml" in err and "Traceback" not in err


def test_same_objects_as_kustomize_for_a_file_url(tmp_path, capsys, upstream, ref_tools):
    url = f"file://{upstream['served']}/apps.git//deploy?ref=v1"
    ov = consumer(tmp_path, url)
    assert main(["vendor", str(ov)]) == 0
    code, ours, err = build(capsys, ov)
    assert code == 0, err
    out = subprocess.run([str(ref_tools.kubectl), "kustomize", str(ov)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ours == [d for d in pyyaml.safe_load_all(out.stdout) if d]


@pytest.mark.parametrize("url, repo, subdir, ref", [
    ("https://github.com/org/repo//deploy/base?ref=v1.2", "https://github.com/org/repo", "deploy/base", "v1.2"),
    ("github.com/org/repo/deploy?ref=main", "https://github.com/org/repo", "deploy", "main"),
    ("https://example.com/org/repo.git/sub/dir?ref=abc", "https://example.com/org/repo.git", "sub/dir", "abc"),
    ("git::https://example.com/org/repo//x?ref=t&timeout=90s", "https://example.com/org/repo", "x", "t"),
    ("ssh://git@example.com/org/repo.git//base?version=v2", "ssh://git@example.com/org/repo.git", "base", "v2"),
    ("git@github.com:org/repo.git/base", "git@github.com:org/repo.git", "base", ""),
    ("file:///srv/repos/apps.git//deploy", "file:///srv/repos/apps.git", "deploy", ""),
])
def test_url_forms(url, repo, subdir, ref):
    from kcompile.load.remote import RemoteSpec

    spec = RemoteSpec(url)
    assert (spec.repo, spec.subdir, spec.ref, spec.is_file) == (repo, subdir, ref, False)


def test_plain_file_url_and_bad_subdir():
    from kcompile.errors import KcompileError
    from kcompile.load.remote import RemoteSpec

    assert RemoteSpec("https://example.com/releases/v1/install.yaml").is_file
    with pytest.raises(KcompileError, match="may not leave the repository"):
        RemoteSpec("https://github.com/org/repo//../../etc?ref=v1")


def test_vendor_dir_a_team_commits(tmp_path, capsys, git_daemon, monkeypatch):
    ov = consumer(tmp_path, f"{git_daemon}/apps.git//deploy?ref=v1")
    repo = ov.parent.parent
    monkeypatch.chdir(repo)
    assert main(["vendor", "overlays/prod", "--vendor-dir", "vendor"]) == 0
    lock = pyyaml.safe_load((repo / "kcompile.lock").read_text())
    assert lock["remotes"][0]["path"].startswith("vendor/")
    assert not (repo / ".kcompile" / "vendor" / "remotes").exists()
    assert build(capsys, Path("overlays/prod"))[1][0]["metadata"]["name"] == "up-app"
    assert main(["vendor", "overlays/prod", "--update", "--vendor-dir", str(tmp_path)]) == 1
    assert "must be inside the repository" in capsys.readouterr().err
