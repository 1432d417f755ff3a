import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodxchange.settings")
application = get_wsgi_application()

from foodxchange.startup import prepare_server_process  # noqa: E402

prepare_server_process()
