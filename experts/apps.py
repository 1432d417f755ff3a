from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"

    def ready(self) -> None:
        from experts.presence_directory import ExpertPresenceDirectory
        from realtime.hooks import register_expert_directory

        register_expert_directory(ExpertPresenceDirectory())

        from experts import credentials
        from foodxchange.jobs import register_due_job

        register_due_job(
            "experts.credential-reminders",
            credentials.send_credential_reminders,
            description="credential expiry reminders (90/30/7 days, once each)",
        )
        register_due_job(
            "experts.credential-expiries",
            credentials.record_expired_credentials,
            description="credentials past their expiry recorded as expired",
        )

        self._connect_cache_invalidation()

    @staticmethod
    def _connect_cache_invalidation() -> None:
        """Cache invalidation only (no business effect, so signals are the right tool):
        any save or delete of what an expert shows, through a service, the admin or a
        shell, makes the cached reads stale at once. ``QuerySet.update()`` sends no
        signal: the code that uses one invalidates itself (``ratings.store_rating``)."""
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from experts.models import Certification, ExpertProfile, ExpertService, Specialization
        from experts.selectors import EXPERTS_CACHE, TAXONOMY_CACHE, experts_changed
        from foodxchange.hotcache import invalidate_many

        def profile_changed(instance, **kwargs) -> None:
            experts_changed([instance.pk])

        def part_changed(instance, **kwargs) -> None:
            experts_changed([instance.expert_id])

        def specializations_changed(instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
            if action.startswith("post_"):
                experts_changed((pk_set or []) if reverse else [instance.pk])

        def taxonomy_changed(**kwargs) -> None:
            invalidate_many([TAXONOMY_CACHE, EXPERTS_CACHE])

        def user_changed(instance, update_fields=None, **kwargs) -> None:
            # A sign-in only stamps last_login; names and time zones show on profiles.
            if getattr(instance, "role", None) != "expert":
                return
            if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
                return
            profile_id = ExpertProfile.objects.filter(user_id=instance.pk).values_list("id", flat=True).first()
            if profile_id is not None:
                experts_changed([profile_id])

        uid = "experts-cache"
        for signal in (post_save, post_delete):
            signal.connect(profile_changed, sender=ExpertProfile, dispatch_uid=uid, weak=False)
            signal.connect(part_changed, sender=Certification, dispatch_uid=uid, weak=False)
            signal.connect(part_changed, sender=ExpertService, dispatch_uid=uid, weak=False)
            signal.connect(taxonomy_changed, sender=Specialization, dispatch_uid=uid, weak=False)
        post_save.connect(user_changed, sender=get_user_model(), dispatch_uid=uid, weak=False)
        m2m_changed.connect(
            specializations_changed, sender=ExpertProfile.specializations.through, dispatch_uid=uid, weak=False
        )
