"""Demo data for ``flask seed-demo``: two manufacturers, ~200 partners, ~2,000 leads (one in ten worked
to an end over the past year, for a track record and trends), four logins.

- ``data``: the demo programme's tables (logins, manufacturers, countries, names, personas).
- ``builder``: ``seed_demo``, deterministic (a fixed random seed) and idempotent.
- ``activity``: the track record, the leads published now and the demo partner's own claims.
- ``cli``: the ``seed-demo`` command.
"""
