"""`lentune serve --webhook-port` (issue 12): Procore's deliveries on a listener of their own, beside the web app's
port. The webhook address and Authorization value the Connection settings page shows work on both ports, over real
HTTP against the real binary; the listener answers nothing but deliveries.
"""
import html
import json
import re
import socket
import tempfile
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from conftest import PASSWORD, Server, api_token, free_port, wait_for
from test_hardening import request


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def event(ulid: str) -> str:
    return json.dumps({"id": 1, "ulid": ulid, "api_version": "v2", "event_type": "update",
                       "resource_name": "Purchase Order Contracts", "resource_id": 4294968269, "company_id": 4242,
                       "project_id": 1, "metadata": {"source_application_id": None}})


def test_the_webhook_port_takes_the_deliveries_the_settings_page_describes():
    with tempfile.TemporaryDirectory(prefix="lentune-webhook-port-") as tmp:
        server = Server(Path(tmp))
        server.user("Harbour Build Ltd", "admin@harbour.example", "administrator")
        token = api_token(server.env, "admin@harbour.example", "webhook-port")
        hook_port = free_port()
        server.start("--webhook-port", str(hook_port), "--no-worker")
        try:
            wait_for(lambda: listening(hook_port), "the webhook listener")
            connection = {"environment": "production", "client_id": "harbour-app", "client_secret": "s",
                          "grant_type": "client_credentials"}
            status, _ = request(server.url + "/api/v1/procore/connection", "PUT", json.dumps(connection),
                                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert status == 200

            # What an administrator copies into Procore: the address and the Authorization value.
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            _, page = request(server.url + "/sign-in", opener=opener)
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"_csrf": csrf, "email": "admin@harbour.example", "password": PASSWORD})
            request(server.url + "/sign-in", "POST", form, {"Content-Type": "application/x-www-form-urlencoded"}, opener)
            status, page = request(server.url + "/administration/settings/procore", opener=opener)
            assert status == 200
            path = re.search(r"(/webhooks/procore/[0-9A-Fa-f-]{36})", page).group(1)
            authorization = html.unescape(re.search(r'id="webhook-secret" value="([^"]+)"', page).group(1))
            assert authorization.startswith("Bearer ")

            headers = {"Authorization": authorization, "Content-Type": "application/json"}
            listener = f"http://127.0.0.1:{hook_port}"
            assert request(listener + path, "POST", event("01EDPD2J6SBY1163N77H95GW01"), headers)[0] == 204
            assert request(server.url + path, "POST", event("01EDPD2J6SBY1163N77H95GW02"), headers)[0] == 204
            # The same event through the other port is the same event.
            assert request(listener + path, "POST", event("01EDPD2J6SBY1163N77H95GW02"), headers)[0] == 204
            assert request(listener + path, "POST", event("01EDPD2J6SBY1163N77H95GW03"),
                           {**headers, "Authorization": "Bearer nope"})[0] == 401
            # The listener takes deliveries and nothing else.
            assert request(listener + path)[0] == 405
            assert request(listener + "/healthz")[0] == 404
            assert request(listener + "/sign-in", "POST", "x")[0] == 404

            # Both stored deliveries are on the Integration log's list of webhook events, and only those.
            _, log = request(server.url + "/administration/integration-log", opener=opener)
            assert log.count(">4294968269<") == 2, log
        finally:
            server.stop()
