"""The web app: one page where you show your hand to the model, and the JSON API behind it.

    GET  /               the page (static/index.html; its script, style and icon from this app only)
    POST /api/predict    multipart form, field "photo": an image file of any size up to --max-mb
                         -> {"sign": 3, "label": "3 fingers", "probabilities": [6 floats],
                             "image": "data:image/png;base64,..."  (the 64x64 the model saw)}
    GET  /healthz        {"status": "ok", "model", "run", "epoch", "tensorflow", ...}

Every error is JSON ``{"error": "one line"}``: 400 for a body that is not an image (empty,
truncated, not multipart, a decompression bomb: more pixels than ``max_pixels``), 413 over
``max_bytes``, 404 and 405 for a wrong path or method, 500 for a bug (the server stays up).

A photo becomes the model's 64x64 in :func:`tf1_course.data.images.read_image`, the function the
data set and ``predict`` use, so the page sees what ``predict`` sees. Decoding and the model run
in worker threads, at most ``workers`` at once (default: one per core): requests are served
concurrently and a burst of phone photos cannot hold more decoded images in memory than that.
"""

import base64
import io
import logging
import os
import time
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image
from starlette.exceptions import HTTPException

from tf1_course.data.images import MAX_PIXELS, ImageError, read_image
from tf1_course.signs.inference import CLASS_NAMES

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8"),
          "/favicon.svg": ("favicon.svg", "image/svg+xml")}
FIELD = "photo"  # the multipart field that carries the photo
MAX_MB = 20
# The browser may load nothing from anywhere else (no CDN, no font service): a stray external URL
# is refused by the browser and shows in its console, which the browser test reads.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")


class TooLarge(Exception):
    """The request body passed the size limit while it was read."""


def error(status, message, headers=None):
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status, headers=headers)


def safe_name(name):
    """An upload's file name for a one-line message: printable, at most 80 characters."""
    name = "".join(c for c in (name or "") if c.isprintable()).strip() or FIELD
    return name if len(name) <= 80 else name[:77] + "..."


def png_data_url(image):
    """uint8 [h, w, 3] -> "data:image/png;base64,..."."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def create_app(served, max_bytes=MAX_MB * 1_000_000, max_pixels=MAX_PIXELS, workers=None):
    """The FastAPI app around ``served`` (a :mod:`tf1_course.serving.models` model, loaded once)."""
    from tf1_course.core.compat import TF_VERSION

    # python-multipart logs each malformed body it meets; the client gets a 400 saying so already
    logging.getLogger("python_multipart").setLevel(logging.ERROR)
    app = FastAPI(title="tf1-course: show your hand to the model", docs_url=None, redoc_url=None,
                  openapi_url=None)
    limiter = anyio.CapacityLimiter(workers or os.cpu_count() or 1)
    page = (STATIC / "index.html").read_bytes()
    assets = {url: ((STATIC / name).read_bytes(), media) for url, (name, media) in ASSETS.items()}
    nocache = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

    def classify(data, name):
        """Bytes of a photo -> (JSON body, Server-Timing); an unreadable photo raises ImageError."""
        t0 = time.perf_counter()
        image = read_image(data, name, max_pixels=max_pixels)  # [64, 64, 3] uint8, predict's steps
        t1 = time.perf_counter()
        probabilities = served.probabilities(image[None])[0]  # [6]
        t2 = time.perf_counter()
        sign = int(probabilities.argmax())
        body = {"sign": sign, "label": CLASS_NAMES[sign],
                "probabilities": [float(p) for p in probabilities], "image": png_data_url(image)}
        t3 = time.perf_counter()
        timing = f"preprocess;dur={1e3 * (t1 - t0):.2f}, model;dur={1e3 * (t2 - t1):.2f}, png;dur={1e3 * (t3 - t2):.2f}"
        return body, timing

    @app.get("/", include_in_schema=False)
    def index():
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={**nocache, "Content-Security-Policy": CSP})

    for url in assets:
        def asset(url=url):
            content, media = assets[url]
            return Response(content, media_type=media, headers=nocache)

        app.add_api_route(url, asset, methods=["GET"], include_in_schema=False)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", **served.info, "tensorflow": TF_VERSION, "classes": CLASS_NAMES,
                "max_mb": max_bytes / 1e6, "max_pixels": max_pixels}

    @app.post("/api/predict")
    async def predict(request: Request):
        t0 = time.perf_counter()
        too_large = (f"the upload is over the limit of {max_bytes / 1e6:g} MB (serve --max-mb); "
                     f"a phone photo is 2 to 10 MB")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            return error(413, too_large)
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            return error(400, f"send the photo as multipart/form-data in the field {FIELD!r} "
                              f"(curl -F {FIELD}=@hand.jpg URL)")
        received = 0

        async def receive():  # the body, counted as it arrives (a chunked upload has no length)
            nonlocal received
            message = await request.receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise TooLarge()
            return message

        try:
            form = await Request(request.scope, receive).form(max_files=1, max_fields=4)
        except TooLarge:
            return error(413, too_large)
        except HTTPException as e:  # starlette's own 400 for a malformed multipart body
            return error(400, f"not a multipart upload ({e.detail})")
        try:
            upload = form.get(FIELD)
            if upload is None or isinstance(upload, str):
                return error(400, f"no file in the field {FIELD!r} of the form")
            data = await upload.read()
            name = safe_name(upload.filename)
        finally:
            await form.close()
        t1 = time.perf_counter()
        try:
            body, timing = await anyio.to_thread.run_sync(classify, data, name, limiter=limiter)
        except ImageError as e:
            return error(400, e)
        return JSONResponse(body, headers={"Server-Timing": f"read;dur={1e3 * (t1 - t0):.2f}, {timing}"})

    @app.exception_handler(HTTPException)
    async def http_error(request, exc):
        path = request.url.path
        if exc.status_code == 404:
            message = f"no such page: {path} (the page is GET /, the API POST /api/predict and GET /healthz)"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {path}" + (
                f" (POST a multipart photo in the field {FIELD!r})" if path == "/api/predict" else " (use GET)")
        else:
            message = exc.detail
        return error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def server_error(request, exc):  # a bug: logged with its traceback by uvicorn, the server goes on
        return error(500, f"internal error ({type(exc).__name__}); the server goes on")

    return app
