"""Residents' pages without a browser: languages, form errors, status lookup."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from tickets.models import Ticket


def tickets(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Ticket)).scalar_one()


def test_the_form_speaks_the_language_asked_and_remembers_it(client) -> None:
    english = client.get("/report?lang=en")
    assert "Report a problem" in english.text and english.cookies.get("lang") == "en"
    assert "Report a problem" in client.get("/report").text  # the cookie keeps English
    assert "Gửi phản ánh" in client.get("/report?lang=vi").text


def test_the_browser_language_is_used_when_nothing_was_chosen(client) -> None:
    client.cookies.clear()
    page = client.get("/report", headers={"accept-language": "en-US,en;q=0.9,vi;q=0.5"})
    assert '<html lang="en">' in page.text
    page = client.get("/report", headers={"accept-language": "fr-FR"})
    assert '<html lang="vi">' in page.text  # the city's default


def test_a_fake_photo_re_renders_the_form_with_the_error_and_writes_nothing(
    client, session: Session
) -> None:
    before = tickets(session)
    response = client.post(
        "/report?lang=vi",
        data={"description": "Cây đổ chắn ngang đường", "area_id": "26743"},
        files={"photo": ("cay.jpg", b"MZ\x90\x00 this is an executable", "image/jpeg")},
    )
    assert response.status_code == 422
    assert "không phải là ảnh" in response.text
    assert "Cây đổ chắn ngang đường" in response.text
    assert tickets(session) == before


def test_a_report_without_any_place_is_refused(client, session: Session) -> None:
    before = tickets(session)
    response = client.post("/report?lang=en", data={"description": "Noise every night"})
    assert response.status_code == 422 and "Tell us where" in response.text
    assert tickets(session) == before


def test_a_good_report_redirects_to_its_status_page(client, session: Session) -> None:
    response = client.post("/report?lang=en", data={
        "description": "Stray dogs biting kids near the school gate", "address": "12 Le Loi",
        "name": "Minh", "email": "minh@example.com"}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Thank you" in page.text and "minh@example.com" not in page.text
    assert "Minh" not in page.text.replace("Ho Chi Minh", "")


def test_status_lookup_explains_a_typing_mistake(client) -> None:
    response = client.get("/status?code=ABCD-2345&lang=en")
    assert response.status_code == 422
    assert "typing mistake" in response.text or "never contains" in response.text


def test_an_unknown_page_is_a_404_page_not_a_crash(client) -> None:
    response = client.get("/nothing-here?lang=en", headers={"accept": "text/html"})
    assert response.status_code == 404 and "Not found" in response.text


def test_too_many_reports_show_the_form_again_with_the_text_kept(session) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_client

    form = {"description": "Đèn đường hỏng trước nhà số 3", "area_id": "26743", "phone": ""}
    with make_client(session, report_rate_limit="1/minute") as client:
        first = client.post("/report?lang=vi", data=form, follow_redirects=False)
        assert first.status_code == 303
        second = client.post("/report?lang=vi", data=form, follow_redirects=False)
    assert second.status_code == 429
    assert 'id="report-form"' in second.text and "Đèn đường hỏng trước nhà số 3" in second.text
    assert '{"error"' not in second.text and 'id="form-error"' in second.text
