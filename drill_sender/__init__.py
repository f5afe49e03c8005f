"""Drill runs: schedule, render, send, track (open / click / report), reports and follow-ups."""
