"""Senders by name: Twilio REST for SMS, SMTP for e-mail, the console when not configured."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from core.settings import Settings
from core.tasks import TransientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    backend: str
    provider_id: str | None = None


class PermanentSendError(Exception):
    """The provider refused the message for good (bad number, ...): no retry."""


class Sender(Protocol):
    name: str

    def send(
        self, *, to: str, body: str, subject: str | None, status_callback: str | None
    ) -> Sent: ...


class ConsoleSender:
    name = "console"
    sent: list[dict[str, str | None]] = []  # what a developer would have received

    def send(self, *, to: str, body: str, subject: str | None, status_callback: str | None) -> Sent:
        log.info("[console message] to=%s subject=%s\n%s", to, subject, body)
        ConsoleSender.sent.append({"to": to, "subject": subject, "body": body})
        return Sent(backend=self.name)


class TwilioSmsSender:
    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        from twilio.rest import Client

        assert settings.twilio_auth_token is not None
        self.client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
        )
        self.from_number = settings.twilio_from_number

    def send(self, *, to: str, body: str, subject: str | None, status_callback: str | None) -> Sent:
        from twilio.base.exceptions import TwilioRestException

        try:
            message = self.client.messages.create(
                to=to,
                from_=self.from_number,
                body=body,
                **({"status_callback": status_callback} if status_callback else {}),
            )
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"Twilio answered {error.status}: {error.msg}") from error
            raise PermanentSendError(f"Twilio refused the message: {error.msg}") from error
        except OSError as error:  # connection refused, timeout, DNS
            raise TransientError(f"Twilio unreachable: {error}") from error
        return Sent(backend=self.name, provider_id=message.sid)


class SmtpSender:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, *, to: str, body: str, subject: str | None, status_callback: str | None) -> Sent:
        settings = self.settings
        email = EmailMessage()
        email["From"], email["To"] = settings.smtp_from, to
        email["Subject"] = subject or "Hotline"
        email.set_content(body)
        try:
            assert settings.smtp_host is not None
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.starttls()
                if settings.smtp_user and settings.smtp_password:
                    smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentSendError(f"the mail server refused {to}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TransientError(f"mail server: {error}") from error
        return Sent(backend=self.name)


def sms_sender(settings: Settings) -> Sender:
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        return TwilioSmsSender(settings)
    return ConsoleSender()


def email_sender(settings: Settings) -> Sender:
    return SmtpSender(settings) if settings.smtp_host else ConsoleSender()
