from django.conf import settings

from ketamine_clinic.navigation import nav_links

from .models import Role


def role(request):
    """Expose the user's role and the navigation their role may use to every template; on the demo's dashboard, tell
    prescribers and the director that a clinic's server will require two-factor sign-in of them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_role": "", "Role": Role, "nav_links": [], "two_factor_notice": False, "is_demo": settings.DEMO}
    return {"user_role": user.role, "Role": Role, "nav_links": nav_links(user),
            "two_factor_notice": _two_factor_notice(request, user), "is_demo": settings.DEMO}


def _two_factor_notice(request, user) -> bool:
    if not settings.DEMO or user.role not in settings.MFA_CLINIC_ROLES or user.role in settings.MFA_REQUIRED_ROLES:
        return False
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "patients:dashboard":
        return False
    from .services import has_two_factor

    return not has_two_factor(user)
