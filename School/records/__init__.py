"""Student records as the registrar sees them: the table's query, files in and
out (import and export), the import and export pages, and the JSON API."""
