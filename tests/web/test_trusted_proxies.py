"""Whose X-Forwarded-For is believed: nobody's by default, a listed proxy's when QA_TRUSTED_PROXIES says so."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar

from qa_app.app import create_app
from qa_app.security import address_bucket
from qa_app.settings import Settings, SettingsError
from qa_app.web.auth import forwarded_client
from tests.factories import make_episode
from tests.live import LiveServer, free_port, server_env
from tests.web.served import served

TEXT = "Xin hỏi lệ phí cấp đổi giấy phép lái xe hạng B năm 2026 là bao nhiêu và nộp trực tuyến được không?"
BIN = Path(sys.executable).parent


class QaAppRun(LiveServer):
    """The server exactly as production starts it: ``qa-app run``."""

    def command(self) -> list[str]:
        return [str(BIN / "qa-app"), "run", "--host", "127.0.0.1", "--port", str(self.port)]


@pytest.fixture
def qa_app_run(settings: Settings, tmp_path: Path) -> Iterator[QaAppRun]:
    port = free_port()
    env = server_env(settings, port) | {"QA_SUBMIT_LIMIT_PER_IP": "5/600"}
    server = QaAppRun(settings=settings, port=port, env=env, log=tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def _submit(client: httpx.Client | httpx.AsyncClient, n: int, forwarded_for: str) -> Any:
    return client.post(
        "/api/v1/episodes/ky-proxy/submissions",
        json={"text": f"{TEXT} (lần {n})"},
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.mark.realtime
async def test_rotating_x_forwarded_for_does_not_escape_the_per_ip_limit(qa_app_run: QaAppRun, db: Any) -> None:
    await make_episode(db, slug="ky-proxy")
    with httpx.Client(base_url=qa_app_run.url, timeout=30) as client:
        statuses = [_submit(client, n, f"198.51.100.{n}").status_code for n in range(1, 8)]
    assert statuses == [201] * 5 + [429] * 2


async def test_a_trusted_proxys_address_is_read_right_to_left(settings_factory: Any, db: Any) -> None:
    await make_episode(db, slug="ky-proxy")
    app: Litestar = create_app(
        settings_factory(trusted_proxies=("127.0.0.1", "10.0.0.0/8"), submit_limit_per_ip=(5, 600))
    )
    async with served(app) as client:
        # The client writes what it likes on the left; the proxies (10.x) appended the real address.
        spoofed = [(await _submit(client, n, f"192.0.2.{n}, 203.0.113.9, 10.1.2.3")).status_code for n in range(7)]
        assert spoofed == [201] * 5 + [429] * 2
        # Another citizen behind the same proxy has a limit of their own.
        assert (await _submit(client, 99, "203.0.113.10, 10.1.2.3")).status_code == 201


def test_trusted_proxies_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"QA_VAR_DIR": str(tmp_path), "QA_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12"})
    assert settings.trusted_proxies == ("10.0.0.1", "172.16.0.0/12")
    assert Settings.from_env({"QA_VAR_DIR": str(tmp_path)}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="QA_TRUSTED_PROXIES"):
        Settings.from_env({"QA_VAR_DIR": str(tmp_path), "QA_TRUSTED_PROXIES": "proxy.example"})
    with pytest.raises(SettingsError, match="QA_TRUSTED_PROXIES"):
        replace(settings, trusted_proxies=("10.0.0.300",)).resolved()


ipv4 = st.ip_addresses(v=4).map(str)
hops = st.lists(st.one_of(ipv4, st.ip_addresses(v=6).map(str), st.text(max_size=12)), max_size=6)
TRUSTED = ("10.0.0.0/8", "fd00::/8")


def _trusted(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n) for n in TRUSTED)


@given(peer=ipv4, forwarded=hops)
def test_an_untrusted_peer_is_the_client_whatever_it_forwards(peer: str, forwarded: list[str]) -> None:
    if _trusted(peer):
        return
    assert forwarded_client(peer, [", ".join(forwarded)], TRUSTED) == peer
    assert forwarded_client(peer, [", ".join(forwarded)], ()) == peer


@given(left=hops, client=ipv4, proxies=st.lists(st.ip_addresses(network="10.0.0.0/8").map(str), max_size=3))
def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client(
    left: list[str], client: str, proxies: list[str]
) -> None:
    """Whatever a client writes on the left, the address the first trusted proxy saw wins."""
    if _trusted(client):
        return
    header = ", ".join([*left, client, *proxies[:-1]])
    peer = proxies[-1] if proxies else "10.9.9.9"
    assert forwarded_client(peer, [header], TRUSTED) == client


def test_forwarded_addresses_with_ports_and_several_headers() -> None:
    assert forwarded_client("10.0.0.1", ["192.0.2.1", "203.0.113.5:4711"], TRUSTED) == "203.0.113.5"
    assert forwarded_client("10.0.0.1", ["[2001:db8::7]:443"], TRUSTED) == "2001:db8::7"
    assert forwarded_client("10.0.0.1", ["garbage"], TRUSTED) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", [], TRUSTED) == "10.0.0.1"


def test_ipv6_clients_are_limited_per_64() -> None:
    assert address_bucket("2001:db8:1:2::1") == address_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_bucket("::ffff:203.0.113.5") == "203.0.113.5"
    assert address_bucket("203.0.113.5") == "203.0.113.5"
