"""`hotline duplicates backfill`: existing tickets get the embedding duplicate finding reads,
from the one embedding function (classify.embedding.embed), in batches, resumably."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from classify import embedding
from tests import factories
from tickets import cli as tickets_cli
from tickets import duplicates
from tickets.models import TicketEmbedding


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """classify.embedding.embed replaced by a recorder (a vector per text, from its length)."""
    seen: list[list[str]] = []

    def fake(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        seen.append(list(texts))
        rows = np.zeros((len(texts), embedding.DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, len(text) % embedding.DIMENSIONS] = 1.0
        return rows

    monkeypatch.setattr(embedding, "embed", fake)
    return seen


def test_backfill_embeds_what_is_missing_in_batches_and_resumes(
    session: Session, calls: list[list[str]]
) -> None:
    tickets = [factories.ticket(session, description=f"Ổ gà số {i} đường Lê Lợi" + "!" * i)
               for i in range(5)]
    current, stale = tickets[0], tickets[1]
    kept = np.eye(embedding.DIMENSIONS, dtype=np.float32)[7]
    duplicates.store_vector(session=session, ticket_id=current.id, vector=kept,
                            model=embedding.model_name())
    duplicates.store_vector(session=session, ticket_id=stale.id, vector=kept, model="old/mean")
    # a vector of another model is not compared with the current model's
    assert duplicates.vectors(session=session, ticket_ids=[stale.id]) == {}

    # stopped after 3 (a batch of 2, then 1), newest first
    assert duplicates.backfill(session=session, batch=2, limit=3) == 3
    assert calls == [[tickets[4].description, tickets[3].description],
                     [tickets[2].description]]
    # the second run goes on with what is still missing, and a third has nothing to do
    # the stale vector is made again; the current one (stored before place keys were) gets
    # its keys without a model call
    assert duplicates.backfill(session=session, batch=2) == 2
    assert calls[-1] == [stale.description]
    assert duplicates.backfill(session=session, batch=2) == 0
    assert len(calls) == 3

    # a closed ticket is never a candidate: left alone unless everything is asked for
    closed = factories.ticket(session, description="Rác thải tồn đọng ở hẻm 5 Lê Lợi")
    closed.state = "closed"
    session.add(closed)
    session.flush()
    assert duplicates.backfill(session=session) == 0
    assert duplicates.backfill(session=session, everything=True) == 1
    assert calls[-1] == [closed.description]

    found = duplicates.vectors(session=session, ticket_ids=[t.id for t in tickets])
    assert sorted(found) == sorted(t.id for t in tickets)
    np.testing.assert_array_equal(found[current.id], kept)  # not recomputed
    keys = duplicates.stored(session=session, ticket_ids=[t.id for t in tickets])
    for ticket in tickets:
        assert keys[ticket.id][1] == duplicates.place_keys(ticket.description) != frozenset()
    for ticket in tickets[1:]:
        assert found[ticket.id].argmax() == len(ticket.description) % embedding.DIMENSIONS
        assert session.get(TicketEmbedding, ticket.id).model == embedding.model_name()


def test_the_worker_embeds_with_the_same_function(
    session: Session, calls: list[list[str]]
) -> None:
    ticket = factories.ticket(session, description="Đèn đường hỏng trên đường Lê Lợi")
    assert duplicates.embed_ticket(session=session, ticket=ticket)
    assert calls == [[ticket.description]]
    assert duplicates.backfill(session=session) == 0  # nothing left for the backfill


def test_the_command_is_there() -> None:
    app = typer.Typer()
    tickets_cli.register(app)
    result = CliRunner().invoke(app, ["duplicates", "backfill", "--help"])
    assert result.exit_code == 0, result.output
    assert "--batch" in result.output and "resumable" in result.output
