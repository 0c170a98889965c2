from django.db import migrations

# A single-clinic install has exactly one setting record; the director fills in its details and certification.
DEFAULT_NAME = "ketamine-clinic"


def create_site(apps, schema_editor):
    Site = apps.get_model("clinic", "Site")
    if not Site.objects.exists():
        Site.objects.create(name=DEFAULT_NAME, address="")


class Migration(migrations.Migration):

    dependencies = [
        ("clinic", "0001_site"),
    ]

    operations = [
        migrations.RunPython(create_site, migrations.RunPython.noop),
    ]
