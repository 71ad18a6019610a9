"""Recording with no signal: the service worker that keeps the form usable with the server
unreachable, the phone's sealed outbox, and the endpoint that stores each record once."""
