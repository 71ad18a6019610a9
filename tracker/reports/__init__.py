"""Reports: verified counts for the country report's sections (DESIGN.md §3), their links to
the incident list, sentences, scores, charts and exports."""
