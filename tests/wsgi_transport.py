"""A requests transport that hands requests to the WSGI app in-process (no sockets, no threads)."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class WSGIAdapter(BaseAdapter):
    def __init__(self, app):
        super().__init__()
        self.client = app.test_client()

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        resp = self.client.open(
            parts.path,
            method=request.method,
            query_string=parts.query,
            headers=dict(request.headers),
            data=body,
            base_url=f"{parts.scheme}://{parts.netloc}",
        )
        out = requests.Response()
        out.status_code = resp.status_code
        out.headers = CaseInsensitiveDict(dict(resp.headers.items()))
        out.raw = BytesIO(resp.get_data())
        out.url = request.url
        out.request = request
        out.encoding = "utf-8"
        return out

    def close(self):
        pass


def session_for(app, session: requests.Session) -> requests.Session:
    session.mount("http://", WSGIAdapter(app))
    session.mount("https://", WSGIAdapter(app))
    return session
