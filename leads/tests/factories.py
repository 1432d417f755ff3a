import factory

from accounts.tests.factories import UserFactory
from leads.models import Lead, MessageTemplate, NurtureSequence, NurtureStep


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company_name = factory.Sequence(lambda n: f"Acme Foods {n}")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"buyer{n}@acme.example")
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    country = "US"
    source = Lead.Source.WEBSITE
    created_by = factory.SubFactory(UserFactory, role="agent")
    assigned_to = factory.SelfAttribute("created_by")


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate
        django_get_or_create = ("name",)

    name = "follow-up"
    body = "Hello {{contact_name}}, this is {{agent_name}} from FoodXchange about {{topic}}."
    variables = ["contact_name", "agent_name", "topic"]


class NurtureSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NurtureSequence

    name = factory.Sequence(lambda n: f"Sequence {n}")
    is_default = True


class NurtureStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NurtureStep

    sequence = factory.SubFactory(NurtureSequenceFactory)
    position = factory.Sequence(lambda n: n + 1)
    wait_days = 3
    template = factory.SubFactory(
        MessageTemplateFactory, name="nurture", body="Hi {{contact_name}}, any news?", variables=["contact_name"]
    )
