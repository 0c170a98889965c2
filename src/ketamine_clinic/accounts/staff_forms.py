from django import forms

from .models import STAFF_ROLES, User

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in STAFF_ROLES]


class StaffDetailsForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)
    credentials = forms.CharField(max_length=40, required=False, help_text='Shown on notes and ledger entries, e.g. "RN".')


class NewStaffForm(StaffDetailsForm):
    username = forms.CharField(max_length=150, validators=[User.username_validator],
                               help_text="What the person signs in with: letters, digits and @.+-_ only.")
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), strip=False,
                               help_text="A first password (at least 10 characters) the person is given in person.")
    field_order = ["username", "first_name", "last_name", "email", "role", "credentials", "password"]


class NewPasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, strip=False, label="New password")
    password_again = forms.CharField(widget=forms.PasswordInput, strip=False, label="New password again")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords are not the same.")
        return data


class StaffActionForm(forms.Form):
    ACTIONS = [
        ("deactivate", "Deactivate (no more sign-in; history kept)"),
        ("reactivate", "Reactivate"),
        ("reset_two_factor", "Reset two-factor sign-in (lost phone)"),
        ("unlock", "Lift the lockout after wrong passwords"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
