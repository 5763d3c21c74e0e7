"""A small OCI distribution registry for tests, on 127.0.0.1 over plain HTTP.

No registry server (distribution, zot) installs from the package registries this project
uses, so the tests serve the part of the OCI distribution API that ``helm push`` and
``helm pull --plain-http`` use (oras-go): ``/v2/`` ping, blob existence, uploads (POST
then PUT with the digest, or monolithic), blob and manifest GET/HEAD by digest or tag,
manifest PUT, and ``tags/list``. Content is kept in memory and every blob's digest is
checked on upload, as a registry does; every request is recorded in ``requests``.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
import uuid
from urllib.parse import parse_qs, urlparse

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>blobs|manifests|tags)/(?P<rest>.*)$")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client closing its connection: quiet
        pass


class Registry:
    """Blobs and manifests by repository name; :meth:`start` serves them."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}  # (name, tag or digest) -> (body, type)
        self.uploads: dict[str, bytearray] = {}
        self.requests: list[str] = []
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Registry":
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _route(self):
                registry.requests.append(f"{self.command} {self.path}")
                url = urlparse(self.path)
                return url, parse_qs(url.query), _ROUTE.match(url.path)

            def do_GET(self) -> None:
                url, _query, m = self._route()
                if url.path in ("/v2/", "/v2"):
                    return self._send(200, b"{}", {"Content-Type": "application/json"})
                if not m:
                    return self._send(404)
                name, kind, rest = m.group("name"), m.group("kind"), m.group("rest")
                if kind == "tags" and rest == "list":
                    tags = sorted(t for (n, t) in registry.manifests if n == name and not t.startswith("sha256:"))
                    return self._send(200, json.dumps({"name": name, "tags": tags}).encode(),
                                      {"Content-Type": "application/json"})
                if kind == "blobs" and rest in registry.blobs:
                    data = registry.blobs[rest]
                    return self._send(200, data, {"Content-Type": "application/octet-stream",
                                                  "Docker-Content-Digest": rest})
                if kind == "manifests" and (name, rest) in registry.manifests:
                    body, media = registry.manifests[(name, rest)]
                    digest = "sha256:" + hashlib.sha256(body).hexdigest()
                    return self._send(200, body, {"Content-Type": media, "Docker-Content-Digest": digest})
                return self._send(404, b'{"errors":[{"code":"NOT_FOUND"}]}', {"Content-Type": "application/json"})

            do_HEAD = do_GET

            def do_POST(self) -> None:
                _url, query, m = self._route()
                if not m or m.group("kind") != "blobs" or not m.group("rest").startswith("uploads"):
                    return self._send(404)
                data = self._body()
                if "digest" in query:  # monolithic upload
                    return self._finish(m.group("name"), query["digest"][0], data)
                upload = uuid.uuid4().hex
                registry.uploads[upload] = bytearray(data)
                return self._send(202, b"", {"Location": f"/v2/{m.group('name')}/blobs/uploads/{upload}",
                                             "Range": "0-0", "Docker-Upload-UUID": upload})

            def do_PATCH(self) -> None:
                _url, _query, m = self._route()
                upload = m.group("rest").split("/")[-1] if m else ""
                if upload not in registry.uploads:
                    return self._send(404)
                registry.uploads[upload] += self._body()
                return self._send(202, b"", {"Location": f"/v2/{m.group('name')}/blobs/uploads/{upload}",
                                             "Range": f"0-{len(registry.uploads[upload]) - 1}"})

            def do_PUT(self) -> None:
                _url, query, m = self._route()
                if not m:
                    return self._send(404)
                name, kind, rest = m.group("name"), m.group("kind"), m.group("rest")
                data = self._body()
                if kind == "blobs":
                    upload = rest.split("/")[-1]
                    if upload not in registry.uploads or "digest" not in query:
                        return self._send(404)
                    return self._finish(name, query["digest"][0], bytes(registry.uploads.pop(upload)) + data)
                if kind == "manifests":
                    media = self.headers.get("Content-Type") or MANIFEST_TYPE
                    digest = "sha256:" + hashlib.sha256(data).hexdigest()
                    registry.manifests[(name, rest)] = (data, media)
                    registry.manifests[(name, digest)] = (data, media)
                    return self._send(201, b"", {"Location": f"/v2/{name}/manifests/{digest}",
                                                 "Docker-Content-Digest": digest})
                return self._send(404)

            def _finish(self, name: str, digest: str, data: bytes) -> None:
                if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                    return self._send(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}',
                                      {"Content-Type": "application/json"})
                registry.blobs[digest] = data
                return self._send(201, b"", {"Location": f"/v2/{name}/blobs/{digest}",
                                             "Docker-Content-Digest": digest})

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
