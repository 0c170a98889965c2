from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketamine_clinic.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from ketamine_clinic import audit

        def logged_in(sender, request, user, **kwargs):
            # Test clients log in with a bare request that has no user; fall back to the user itself.
            has_user = request is not None and getattr(request, "user", None) is not None
            audit.record(request if has_user else user, "login")

        def logged_out(sender, request, user, **kwargs):
            if user is not None:
                audit.record(user, "logout")

        def login_failed(sender, credentials, request=None, **kwargs):
            # Only the username is kept, never the password attempted (audit.record shortens what an attacker typed).
            # A second person's password typed at a dose, waste or count says which second person it was.
            if request is not None:
                detail = {"username": credentials.get("username", "")}
                if getattr(request, "second_person_check", ""):
                    detail["second_person"] = request.second_person_check
                audit.record(request, "login_failed", detail=detail)

        user_logged_in.connect(logged_in, dispatch_uid="audit_login", weak=False)
        user_logged_out.connect(logged_out, dispatch_uid="audit_logout", weak=False)
        user_login_failed.connect(login_failed, dispatch_uid="audit_login_failed", weak=False)
