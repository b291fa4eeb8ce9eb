"""Temporal activities: the only code that does I/O for the workflows."""

from activities.cases import CaseActivities, all_activities

__all__ = ["CaseActivities", "all_activities"]
