# A questionnaire given is a "measure response" (the drug given is the session's administration, core.administration).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dosing", "0001_initial"),
        ("outcomes", "0001_initial"),
        ("patients", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="Administration", new_name="MeasureResponse"),
        migrations.RenameField(model_name="urgenttask", old_name="administration", new_name="measure_response"),
        migrations.RenameIndex(
            model_name="measureresponse", new_name="outcomes_me_patient_8f66ff_idx", old_name="outcomes_ad_patient_91fa8d_idx"
        ),
        migrations.AlterField(
            model_name="measureresponse",
            name="administered_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="measure_responses_given", to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="measureresponse",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="measure_responses", to="patients.patient"
            ),
        ),
        migrations.AlterField(
            model_name="measureresponse",
            name="session",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="measure_responses", to="dosing.dosingsession",
            ),
        ),
    ]
