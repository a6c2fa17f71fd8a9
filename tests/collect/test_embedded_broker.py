"""The embedded broker hands a worker only whole messages: each is written aside, then renamed into place."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from collect.broker import PARTIAL_SUFFIX
from collect.broker import Transport as AtomicTransport
from collect.celery import app as celery_app

pytestmark = pytest.mark.skipif(bool(settings.REDIS_URL), reason="the embedded broker is used only without Redis")


@pytest.fixture
def channel():
    with celery_app.connection_for_write() as connection:
        yield connection.default_channel


def test_the_embedded_broker_is_the_atomic_transport():
    with celery_app.connection_for_write() as connection:
        assert isinstance(connection.transport, AtomicTransport)


def test_a_message_appears_whole_and_a_half_written_one_is_never_read(channel):
    folder = channel.data_folder_in
    queue = "atomic-test"
    half_written = os.path.join(folder, f"0_half.{queue}.msg{PARTIAL_SUFFIX}")
    with open(half_written, "wb") as file:
        file.write(b'{"body": "trunc')
    channel._put(queue, {"body": "whole"})
    names = [name for name in os.listdir(folder) if queue in name]
    assert sorted(name.endswith(PARTIAL_SUFFIX) for name in names) == [False, True]
    assert channel._get(queue) == {"body": "whole"}
    assert os.path.exists(half_written)  # a reader never takes a file that is still being written
    os.remove(half_written)
