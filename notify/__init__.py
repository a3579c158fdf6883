"""Messages to residents: SMS (Twilio), e-mail (SMTP) or the console, sent once, from tasks."""
