"""What the bot keeps about chats, apart from the registry: dialog state, the inbox of updates,
lists held for a confirmation, and files behind web links.

These tables exist only because people talk to the registry through chats, so they live with
the bot, not in the domain. They sit on the registry's metadata all the same
(:data:`registry.models.Base`), so one set of Alembic migrations creates every table; identity
(accounts, linked accounts, link codes) stays in the registry.
"""
