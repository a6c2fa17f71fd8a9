"""What several browser journeys start from."""

from __future__ import annotations

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from mandates.services import mandate_prepare
from tests.factories import ContactFactory, CustomerFactory

if connection.vendor == "sqlite":
    # The live server shares the test's one in-memory SQLite connection with every request thread. Two requests at
    # once (a page and the panels it loads after itself) deadlocked in the sqlite3 module: one thread held the
    # connection's mutex waiting for the GIL inside a Python SQL function, the other held the GIL waiting for the
    # mutex. One request at a time (Django's plain server closes each connection, so no keep-alive waits).

    class OneRequestAtATime(WSGIServer):
        """Django's plain server; the live-server thread that runs it already uses the test's connection."""

        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture
def mandate_to_sign(world):
    """A prepared mandate of organization A for a Brussels person with an e-mail address: its signing page opens."""
    customer = CustomerFactory(
        organization=world.org_a,
        name="Camille Dubois",
        type="person",
        language="en",
        street="Rue Haute 8",
        postal_code="1000",
        city="Bruxelles",
        country="BE",
    )
    ContactFactory(customer=customer, email="camille@example.be")
    return mandate_prepare(organization=world.org_a, customer=customer, profile=world.a.profile)
