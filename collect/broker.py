"""The embedded broker (no Redis): kombu's filesystem transport, with messages that appear whole.

kombu writes a message straight into its final file name; a worker listing the folder at that moment can
move the file away and read it half written (a lost or broken task). Here a message is written under a
name the readers skip (`….msg.part`), flushed to disk, then renamed into place: a rename within one
folder is atomic, so a reader finds either no file or the complete one.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_SUFFIX = ".part"
SCHEME = "collectfs"  # CELERY_BROKER_URL = "collectfs://" in the embedded default


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The same name pattern as kombu (ordered by time; `_get` matches "<queue>.msg" after the first dot).
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(SCHEME, "collect.broker:Transport")
