from django.db.models import Q, QuerySet

from exchanges.models import Exchange
from institutes import access


def exchanges_visible_to(user) -> QuerySet[Exchange]:
    """The person sees their own exchanges; members see their institutes' (home or host)."""
    if not user.is_authenticated:
        return Exchange.objects.none()
    if access.is_programme_manager(user):
        return Exchange.objects.all()
    institute_ids = list(access.institute_ranks(user).keys())
    return Exchange.objects.filter(
        Q(person=user)
        | Q(home_institute_id__in=institute_ids)
        | Q(host_institute_id__in=institute_ids)
    )
