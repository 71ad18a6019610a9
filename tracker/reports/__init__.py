"""Reports: the country report's sections for a period as pages, sentences, scores, charts and
documents (Markdown, DOCX, XLSX, CSV). The counts themselves come from tracker/counts/."""
