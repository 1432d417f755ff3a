from django.apps import AppConfig


class FoodxchangeConfig(AppConfig):
    name = "foodxchange"
    verbose_name = "System"
