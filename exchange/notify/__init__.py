"""Notify: notifications (in-app, e-mail, digests), webhooks and their delivery jobs, and what a
partner may see of a lead in them."""
