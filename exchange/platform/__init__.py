"""The platform under every feature: configuration, database, extensions, jobs, the clock, tenancy,
i18n, request hardening, domain errors and the event log (with the names of the events it records,
``event_types``). Knows nothing else of leads, offers or SLAs; ``labels`` is the templates' registry of
the features' label tables."""
