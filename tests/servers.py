"""A real ``tf1-course serve`` in a subprocess for the serving tests, and a small HTTP client.

The server listens on port 0 (a free port the system picks, bound before the startup line is
printed), so the URL read from that line is ready at once and no two tests race for a port.
"""

import contextlib
import http.client
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

URL_RE = re.compile(r"open (http://\S+/) in a browser")


class Server:
    """A running ``tf1-course serve``: ``url``, ``lines`` (its output so far), ``stop(signum)``."""

    def __init__(self, args, timeout=90):
        self.proc = subprocess.Popen([sys.executable, "-m", "tf1_course", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines, self._queue = [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        self.url = None
        while self.url is None:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"serve did not start: {''.join(self.lines)}")
            match = URL_RE.search(line)
            if match:
                self.url = match.group(1)
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def stop(self, signum=signal.SIGTERM, timeout=30):
        """Send ``signum`` and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self):
        return "".join(self.lines)

    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, headers dict (lower-case names), body bytes) of one request on a new connection."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, headers, data = self.request(method, path, body, headers)
        return status, json.loads(data)

    def upload(self, data, filename="photo.jpg", field="photo", content_type="application/octet-stream"):
        """POST /api/predict with ``data`` as a multipart file: (status, JSON)."""
        body, ctype = multipart(field, filename, data, content_type)
        return self.json("POST", "/api/predict", body, {"Content-Type": ctype})


def multipart(field, filename, data, content_type="application/octet-stream"):
    """(body bytes, Content-Type header) of a multipart/form-data form with one file."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@contextlib.contextmanager
def running_server(args, signum=signal.SIGTERM):
    server = Server(args)
    try:
        yield server
    finally:
        server.stop(signum)
