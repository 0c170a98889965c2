"""The referral import's form: a FHIR Bundle as a file or pasted."""

from django import forms

from .importing import MAX_BYTES


class ReferralForm(forms.Form):
    upload = forms.FileField(label="Bundle file (FHIR JSON)", required=False,
                             help_text="The referral as a FHIR R4 Bundle, e.g. exported from the referrer's EHR.")
    bundle = forms.CharField(label="Or paste the Bundle", required=False,
                             widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is not None:
            if upload.size > MAX_BYTES:
                raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
            data["text"] = upload.read()
        elif (data.get("bundle") or "").strip():
            data["text"] = data["bundle"]
        else:
            raise forms.ValidationError("Choose a Bundle file or paste the Bundle.")
        return data
