"""Reading leads from what manufacturers bring: CSV and .xlsx files from CRM exports and spreadsheets.

- ``detection``: detect format, encoding, delimiter.
- ``files``: stream records (never the whole file in memory) with ``csv_reader`` and ``xlsx_reader``;
  ``records``: ``Limits``, ``FileSettings``, ``BadRecord``, ``UnreadableFile``.
- ``headers``: map column headers (Salesforce, HubSpot, snake_case, German labels) to lead fields.
- ``values``: countries and regions to ISO codes, ratings to temperatures, German/English numbers.
- ``schema``: ``LeadInputSchema``, the one validation of a lead for files, the API and the form.

Nothing here touches the database; ``exchange.leads.lead_import`` (the job) and
``exchange.leads.lead_writer`` write what these read.
"""
