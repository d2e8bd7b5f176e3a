from django.db import migrations

ROLES = [
    "unit_staff",
    "dept_reviewer",
    "finance_reviewer",
    "performance_office",
    "expert",
    "agency_evaluator",
    "auditor",
]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
