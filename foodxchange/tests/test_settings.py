import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env.update(env_overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import foodxchange.settings as s; print(s.DATABASES['default']['ENGINE'], "
            "s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_debug_off_refuses_to_start_without_a_real_secret_key():
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
    short = _import_settings(DEBUG="false", SECRET_KEY="too-short")
    assert short.returncode != 0


def test_embedded_default_uses_sqlite_memory_layers_and_eager_celery():
    result = _import_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_services_are_used_when_configured():
    result = _import_settings(
        SECRET_KEY="x" * 40, DATABASE_URL="postgres://u:p@db:5432/fx", REDIS_URL="redis://redis:6379/0"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "False",
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_the_list_based_channel_layer_can_be_chosen_and_a_typo_refuses_to_start():
    redis_env = {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgres://u:p@db:5432/fx", "REDIS_URL": "redis://r:6379/0"}
    core = _import_settings(**redis_env, CHANNEL_LAYER_BACKEND="core")
    assert core.returncode == 0, core.stderr
    assert core.stdout.split()[1] == "channels_redis.core.RedisChannelLayer"
    typo = _import_settings(**redis_env, CHANNEL_LAYER_BACKEND="pubsbu")
    assert typo.returncode != 0
    assert "CHANNEL_LAYER_BACKEND" in typo.stderr


def _pool_settings(**env: str) -> subprocess.CompletedProcess:
    overrides = {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgres://u:p@db:5432/fx", **env}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import foodxchange.settings as s; print(s.DATABASES['default'].get('OPTIONS'))"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_connection_pool_bounds_each_process_and_refuses_persistent_connections():
    pooled = _pool_settings(DB_POOL_MAX_SIZE="8", DB_POOL_MIN_SIZE="2")
    assert pooled.returncode == 0, pooled.stderr
    assert "'pool': {'min_size': 2, 'max_size': 8, 'timeout': 10.0}" in pooled.stdout
    assert "pool" not in _pool_settings().stdout  # off by default
    both = _pool_settings(DB_POOL_MAX_SIZE="8", DB_CONN_MAX_AGE="60")
    assert both.returncode != 0
    assert "DB_CONN_MAX_AGE=0" in both.stderr
