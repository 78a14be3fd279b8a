from institutes import access


def current_membership(request):
    """The signed-in user's institutes and roles, for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = getattr(user, "_concord_memberships", None)
    if memberships is None:
        memberships = list(user.memberships.select_related("institute").order_by("institute__name"))
        user._concord_memberships = memberships
    return {
        "user_memberships": memberships,
        "user_is_programme_manager": access.is_programme_manager(user),
    }
