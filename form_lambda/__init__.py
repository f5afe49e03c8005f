"""The forms app: seminar signup, drill application, one-shot request, confirmations (`app.create_app`)."""
