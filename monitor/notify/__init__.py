"""Notifications: channels (signed webhooks, e-mail, Telegram, apprise), routing, a durable outbox.

See docs/notifications.md.
"""
