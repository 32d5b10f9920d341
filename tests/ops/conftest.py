"""The operations tests (crash safety, graceful shutdown, backups, logs and metrics) run real
`odq serve` processes; their helpers are in ops_support.py beside this file."""
