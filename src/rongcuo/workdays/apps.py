from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class WorkdaysConfig(AppConfig):
    name = "rongcuo.workdays"
    verbose_name = "工作日历 Working-day calendar"

    def ready(self) -> None:
        from rongcuo.workdays.models import CalendarDay, CalendarYear
        from rongcuo.workdays.selectors import calendar_changed

        # Pages show deadline states from a cached calendar (SharedCalendar); any change of a row makes it stale.
        # Bulk writes (seed, notice file) replace the generation in the services themselves.
        for model in (CalendarDay, CalendarYear):
            post_save.connect(calendar_changed, sender=model, dispatch_uid=f"calendar-changed-save-{model.__name__}")
            post_delete.connect(calendar_changed, sender=model,
                                dispatch_uid=f"calendar-changed-delete-{model.__name__}")
