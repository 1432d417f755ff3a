"""The move of the search models from experts to matching changed state only: a
database migrated to before the move keeps its search logs, impressions and clicks."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("experts", "0007_drop_full_search_gin"), ("matching", None)]
AFTER = [("experts", "0008_move_search_to_matching"), ("matching", "0001_search_models_from_experts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_search_logs_survive_the_move_to_matching(django_user_model):
    old = migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        user = User.objects.create(email="old-search@example.com", role="expert")
        profile = old.get_model("experts", "ExpertProfile").objects.create(user=user)
        log = old.get_model("experts", "SearchLog").objects.create(
            query="HACCP", normalized_query="haccp", results_count=1
        )
        old.get_model("experts", "SearchImpression").objects.create(search=log, expert=profile, position=1)
        old.get_model("experts", "SearchClick").objects.create(search=log, expert=profile, position=1)
        old.get_model("experts", "SearchTerm").objects.create(term="haccp")

        new = migrate(AFTER)
        SearchLog = new.get_model("matching", "SearchLog")
        moved = SearchLog.objects.get(pk=log.pk)
        assert (moved.query, moved.results_count) == ("HACCP", 1)
        assert (
            new.get_model("matching", "SearchImpression").objects.filter(search=moved, expert_id=profile.pk).count()
            == 1
        )
        assert new.get_model("matching", "SearchClick").objects.filter(search=moved).count() == 1
        assert list(new.get_model("matching", "SearchTerm").objects.values_list("term", flat=True)) == ["haccp"]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
