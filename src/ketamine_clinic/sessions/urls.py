from django.urls import path

from . import rems_views, views

app_name = "sessions"

urlpatterns = [
    path("", views.board, name="board"),
    path("board/panel/", views.board_panel, name="board_panel"),
    path("patient/<int:patient_id>/", views.chart, name="chart"),
    path("patient/<int:patient_id>/new/", views.session_create, name="create"),
    path("appointment/<int:appointment_id>/open/", views.open_from_appointment, name="open_appointment"),
    path("<int:session_id>/", views.flowsheet, name="flowsheet"),
    path("<int:session_id>/vitals/", views.add_vitals, name="add_vitals"),
    path("<int:session_id>/vitals/chart/", views.vitals_chart_fragment, name="vitals_chart"),
    path("<int:session_id>/vitals/<int:reading_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:session_id>/pre-dose/", views.save_predose, name="predose"),
    path("<int:session_id>/dose/", views.confirm_dose, name="dose"),
    path("<int:session_id>/state/", views.change_state, name="transition"),
    path("<int:session_id>/entries/<str:kind>/", views.add_entry, name="entry"),
    path("<int:session_id>/discharge/", views.save_discharge, name="discharge"),
    path("<int:session_id>/note/", views.note_generate, name="note"),
    path("<int:session_id>/note/sign/", views.note_sign, name="note_sign"),
    path("<int:session_id>/note/amend/", views.note_amend, name="note_amend"),
    path("rems/", rems_views.forms_due, name="rems_due"),
    path("<int:session_id>/rems/", rems_views.form_page, name="rems_form"),
    path("<int:session_id>/rems/answers/", rems_views.save_answers, name="rems_answers"),
    path("<int:session_id>/rems/evaluation/", rems_views.confirm_evaluation, name="rems_evaluation"),
    path("<int:session_id>/rems/submitted/", rems_views.record_submission, name="rems_submission"),
    path("<int:session_id>/rems/form.pdf", rems_views.form_pdf, name="rems_pdf"),
]
