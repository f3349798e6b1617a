"""Use cases of the domain. They take `now` instead of reading the clock, flush but never commit,
and raise `PBError` subclasses with a message a person can act on."""
