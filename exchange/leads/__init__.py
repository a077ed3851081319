"""Leads: intake (files, headers, values, the one lead schema), import, qualification, the lifecycle
(status transitions, publish, withdraw) and campaigns."""
