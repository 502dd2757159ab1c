"""Runs roc-validator (rocrate-validator) with no network.

Usage: python3 roc_offline.py [CONTEXT_DIR] VALIDATOR-ARGS...
CONTEXT_DIR (or the env var ROC_CONTEXT_DIR) holds <version>/context.jsonld for each RO-Crate
version. If CONTEXT_DIR is given it must be an existing directory and comes first.

The validator needs the crate's @context document: rdflib fetches it with urllib and the
validator's context checks fetch it with requests. Both are answered here from CONTEXT_DIR.
Every other URL fails at once, before any DNS lookup, so a run can neither hang nor depend on
the network; each refused URL is printed to stderr.
"""

import email.message
import io
import os
import re
import socket
import sys
import urllib.error
import urllib.request
import urllib.response

# Anything that does reach a socket gives up quickly rather than hanging.
socket.setdefaulttimeout(5)

CONTEXT_URL = re.compile(r"^https?://w3id\.org/ro/crate/([0-9][0-9A-Za-z.\-]*)/context/?$")


def context_dir(argv):
    if len(argv) > 1 and os.path.isdir(argv[1]):
        return argv[1], argv[2:]
    env = os.environ.get("ROC_CONTEXT_DIR")
    if not env or not os.path.isdir(env):
        sys.exit("roc_offline.py: give the context directory as first argument or in ROC_CONTEXT_DIR")
    return env, argv[1:]


CONTEXTS, ARGS = context_dir(sys.argv)


def local_context(url):
    """The bytes of the context document behind `url`, or None if it is not one we hold."""
    m = CONTEXT_URL.match(url.split("#", 1)[0])
    if not m:
        return None
    path = os.path.join(CONTEXTS, m.group(1), "context.jsonld")
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def refuse(url):
    print(f"roc_offline.py: refused network access to {url}", file=sys.stderr)


class OfflineHandler(urllib.request.BaseHandler):
    handler_order = 100  # ahead of the standard HTTP(S) handlers

    def _open(self, req):
        url = req.full_url
        body = local_context(url)
        if body is None:
            refuse(url)
            raise urllib.error.URLError(f"offline: {url}")
        headers = email.message.Message()
        headers["Content-Type"] = "application/ld+json"
        headers["Content-Length"] = str(len(body))
        return urllib.response.addinfourl(io.BytesIO(body), headers, url, 200)

    http_open = _open
    https_open = _open


urllib.request.install_opener(urllib.request.build_opener(OfflineHandler()))

import requests  # noqa: E402
import requests.adapters  # noqa: E402
from requests.structures import CaseInsensitiveDict  # noqa: E402


def offline_send(self, request, **kwargs):
    body = local_context(request.url)
    if body is None:
        refuse(request.url)
        raise requests.exceptions.ConnectionError(f"offline: {request.url}", request=request)
    response = requests.Response()
    response.status_code = 200
    response.reason = "OK"
    response.url = request.url
    response.request = request
    response.headers = CaseInsensitiveDict(
        {"Content-Type": "application/ld+json", "Content-Length": str(len(body))}
    )
    response._content = body
    response.encoding = "utf-8"
    return response


requests.adapters.HTTPAdapter.send = offline_send

from rocrate_validator.cli import cli  # noqa: E402

sys.exit(cli.main(args=ARGS, prog_name="rocrate-validator", standalone_mode=True))
