from __future__ import annotations

from organizations.selectors import organizations_for_user


def organization(request) -> dict:
    """The current organization and the ones the switcher offers."""
    current = getattr(request, "organization", None)
    if current is None or not request.user.is_authenticated:
        return {"organization": current, "switchable_organizations": []}
    return {
        "organization": current,
        "membership": request.membership,
        "switchable_organizations": organizations_for_user(user=request.user).select_related("tenant"),
    }
