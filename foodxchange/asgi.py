"""ASGI entry point: Django for HTTP, Channels for WebSocket (``/ws/…``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from foodxchange.startup import prepare_server_process  # noqa: E402

# WebSocket routes and their auth are named in settings, like ROOT_URLCONF names the
# HTTP routes: the project wiring imports no domain app.
websocket_auth = import_string(settings.WEBSOCKET_AUTH_MIDDLEWARE)
websocket_urlpatterns = import_string(settings.WEBSOCKET_URLPATTERNS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(
            websocket_auth(URLRouter(websocket_urlpatterns)), settings.WEBSOCKET_ALLOWED_ORIGINS
        ),
    }
)
# Last: everything the process needs is imported by now (foodxchange/startup.py).
prepare_server_process()
