"""Maps: incidents aggregated on the server for the current view, generalised for the public."""
