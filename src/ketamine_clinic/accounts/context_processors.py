from .models import Role


def role(request):
    """Expose the user's role to templates so navigation shows only what the role may open."""
    user = getattr(request, "user", None)
    current = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    return {"user_role": current, "Role": Role}
