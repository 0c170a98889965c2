from ketamine_clinic.navigation import nav_links

from .models import Role


def role(request):
    """Expose the user's role and the navigation their role may use to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_role": "", "Role": Role, "nav_links": []}
    return {"user_role": user.role, "Role": Role, "nav_links": nav_links(user)}
