"""The local mail adapter: one `.eml` file per message under the outbox directory."""

from __future__ import annotations

import os
import uuid
from contextlib import AbstractContextManager, nullcontext
from email.message import EmailMessage
from pathlib import Path


class OutboxMailer:
    """Writes each message as an `.eml` file, so a newcomer can open what the service sent."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def send(self, message: EmailMessage) -> str:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.eml"
        tmp = self.outbox_dir / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        # Rename is atomic: a reader never sees half a message.
        os.replace(tmp, self.outbox_dir / name)
        return str(message.get("Message-ID", name))

    def session(self) -> AbstractContextManager[None]:
        """Nothing to hold open: each message is its own file."""
        return nullcontext()
