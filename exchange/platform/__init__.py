"""The platform under every feature: configuration, database, extensions, jobs, the clock, tenancy,
i18n, request hardening, domain errors and the event log. Knows nothing of leads, offers or SLAs."""
