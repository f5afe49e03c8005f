"""Drill runs: schedule, render, send, track (open / click / report), reports and follow-ups
(`app.create_app` builds the tracking app)."""
