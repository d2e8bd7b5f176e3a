"""Rectification evidence 整改佐证材料 is attached with the project library's checked uploads."""

from projects.uploads import register_attachable

from .models import Rectification
from .permissions import can_answer_rectification

register_attachable("rectification", Rectification, can_answer_rectification)
