"""A student changes school: the record moves from one school's database to another's, exactly once.

models.py    the envelope in `default` (ids, schools, state, times) and the rows each school keeps
protocol.py  the steps of send, accept, decline and cancel, each one idempotent by transfer id
parts.py     the parts of a record that travel with it (history; documents plug in here)
views.py     the pages; cli.py the `schools transfer` and `schools transfers` subcommands
"""
