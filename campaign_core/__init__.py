"""What the forms app and the drill app share: settings, clock, ports, tokens, text normalisation.

This package imports neither `form_lambda` nor `drill_sender`; they import it.
"""
