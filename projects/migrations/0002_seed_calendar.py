from django.db import migrations


def seed_calendar(apps, schema_editor):
    from projects.calendar import seed_from_chinese_calendar

    seed_from_chinese_calendar(
        2018, 2030, day_model=apps.get_model("projects", "CalendarDay"), year_model=apps.get_model("projects", "CalendarYear")
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(seed_calendar, migrations.RunPython.noop)]
