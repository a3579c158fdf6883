"""Personal data in published text is masked: numbers however written, names people give."""

from __future__ import annotations

import pytest

from tickets.redact import mask_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gọi tôi (090) 312-3458 nhé", "Gọi tôi [phone hidden] nhé"),
        ("sđt +84 - 903 - 124 - 459 ạ", "sđt [phone hidden] ạ"),
        ("call 0903.124.459", "call [phone hidden]"),
        ("office 028 3829 1234", "office [phone hidden]"),
        ("write to an@example.org", "write to [email hidden]"),
    ],
)
def test_phone_numbers_and_emails_are_masked_however_they_are_written(
    text: str, expected: str
) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chào, tôi là Nguyễn Văn An, nhà ở hẻm 42.", "Chào, tôi là [name hidden], nhà ở hẻm 42."),
        ("Tên tôi là trần thị bình, số nhà 12", "Tên tôi là [name hidden], số nhà 12"),
        ("My name is John Smith and it is out", "My name is [name hidden] and it is out"),
        ("Đèn hư rồi. Cảm ơn.\nNguyễn Văn An", "Đèn hư rồi. Cảm ơn.\n[name hidden]"),
        ("Người gửi: Lê Văn Tám", "Người gửi: [name hidden]"),
        ("Thanks, Mary Jones", "Thanks, [name hidden]"),
    ],
)
def test_self_introductions_and_signatures_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
        "tôi là người dân phường Bến Thành, đèn hư 3 ngày",
        "I am very angry about the rubbish on Hai Ba Trung street",
        "Đèn hẻm 42 hư từ 12/10/2025, phạt 1.500.000 đồng",
    ],
)
def test_places_dates_and_amounts_are_left_alone(text: str) -> None:
    assert mask_text(text) == text
