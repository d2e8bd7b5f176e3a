"""Signals of the targets stage, for later stages to follow without targets importing them."""

from django.dispatch import Signal

# Sent inside the approval's transaction when a version of a project's targets comes into force
# (version 1, or an approved adjustment): sender=TargetSheet, sheet=<the new version>, user=<approver>.
sheet_in_force = Signal()
