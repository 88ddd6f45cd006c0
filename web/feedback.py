"""Patients' "Was this helpful?" votes, kept in the conversation store's database beside the conversations.

One vote per answer per conversation (sender id and answer id); a later vote replaces the earlier one. The
cited passage ids are stored with it, from the knowledge base, so the staff report counts votes per passage.
A vote is not a message: it never reaches the assistant, and never changes a conversation's topic or replies.
`make forget` deletes a conversation's votes with its events.
"""
import time
from typing import Iterable, List, Optional

import sqlalchemy as sa

MAX_REASON_CHARS = 300
metadata = sa.MetaData()
votes = sa.Table(
    "answer_votes", metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("answer_id", sa.String(255), primary_key=True),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),  # only after "No", at most MAX_REASON_CHARS
    sa.Column("passage_ids", sa.Text, nullable=False),  # the answer's cited passages, space-separated
    sa.Column("timestamp", sa.Float, nullable=False, index=True),
)


def create_table(engine: sa.engine.Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def record(engine: sa.engine.Engine, sender: str, answer_id: str, helpful: bool, reason: Optional[str],
           passage_ids: Iterable[str], now: Optional[float] = None) -> None:
    """Store a vote, replacing the conversation's earlier vote on the same answer."""
    row = {"sender_id": sender, "answer_id": answer_id, "helpful": helpful,
           "reason": (reason or None) if not helpful else None, "passage_ids": " ".join(passage_ids),
           "timestamp": now if now is not None else time.time()}
    key = (votes.c.sender_id == sender) & (votes.c.answer_id == answer_id)
    with engine.begin() as connection:
        connection.execute(votes.delete().where(key))
        connection.execute(votes.insert().values(**row))


def forget(connection: sa.engine.Connection, senders: sa.sql.Select) -> int:
    """Delete the votes of these conversations (a select of sender ids), in the caller's transaction."""
    return connection.execute(votes.delete().where(votes.c.sender_id.in_(senders))).rowcount


def since(engine: sa.engine.Engine, cutoff: float) -> List[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(votes.select().where(votes.c.timestamp >= cutoff))]
