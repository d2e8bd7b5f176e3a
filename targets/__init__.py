"""This stage is built by a later issue (DESIGN §3); the app exists so the layout is complete."""
