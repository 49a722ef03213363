"""The kernel the five services share: envelope, settings, bus topology, outbox, inbox, database, health."""
