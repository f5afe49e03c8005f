"""Drill services: schedule an accepted application, send what is due, record tracking events.

Services take a `Deps` (store, mailer, clock, settings, sleep) and never reach for globals, so
the staff command, the local scheduler loop, the tracking app and the tests run the same code.
"""
