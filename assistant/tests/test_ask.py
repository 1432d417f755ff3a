import uuid

import pytest

from assistant.models import Conversation, QuestionLog, Turn
from experts.tests.factories import make_expert

ASK = "/api/v1/assistant/ask"
pytestmark = pytest.mark.django_db


def ask(client, **body):
    return client.post(ASK, body, format="json")


def test_cited_answer_from_the_knowledge_base(client_for, client_user):
    response = ask(client_for(client_user), question="What are the seven principles of HACCP?")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "answered"
    assert data["language"] == "en"
    assert data["sources"], data
    assert data["sources"][0]["title"] == "The seven principles of HACCP"
    assert data["sources"][0]["reference"].startswith("Codex CXC 1-1969")
    # Every quoted passage carries its citation, and every citation has a source.
    assert "[1]" in data["answer"] and "critical control points" in data["answer"]
    assert all(f"[{n}]" in data["answer"] for n in range(1, len(data["sources"]) + 1))
    assert data["disclaimer"]
    assert data["conversation"]
    turn = Turn.objects.get()
    assert turn.conversation.user == client_user and turn.outcome == "answered"


def test_no_supported_answer_invents_nothing_and_suggests_experts(client_for, client_user):
    expert = make_expert(first_name="Ada", specializations=["food-safety-haccp"], verification_status="verified")
    response = ask(client_for(client_user), question="What is the best chocolate cake recipe?")
    data = response.json()
    assert response.status_code == 200
    assert data["outcome"] == "unsupported"
    assert data["sources"] == []
    assert "no supported answer" in data["answer"]
    assert [e["id"] for e in data["suggested_experts"]] == [expert.pk]


def test_suggested_experts_follow_the_question_specialization(client_for, client_user):
    halal = make_expert(first_name="Hal", specializations=["halal-certification"], verification_status="verified")
    make_expert(first_name="Top", specializations=["dairy"], verification_status="verified", rating_avg="5.0")
    make_expert(first_name="Hidden", specializations=["halal-certification"], verification_status="pending")
    data = ask(client_for(client_user), question="How do I get halal certification for export?").json()
    assert [e["id"] for e in data["suggested_experts"]] == [halal.pk]
    assert data["suggested_experts"][0]["specializations"] == ["halal-certification"]


@pytest.mark.parametrize(
    "question",
    [
        "Fill in my CCP monitoring log for last week",
        "Generate a HACCP certificate for our plant",
        "Write the temperature records for the walk-in fridge for March",
        "Please sign off our HACCP plan",
    ],
)
def test_monitoring_records_and_sign_offs_are_refused(client_for, client_user, question):
    data = ask(client_for(client_user), question=question).json()
    assert data["outcome"] == "refused"
    assert "falsified record" in data["answer"]
    assert data["refusal_reason"] == data["answer"]
    assert data["sources"] == []


def test_asking_what_a_record_contains_is_guidance_not_refused(client_for, client_user):
    data = ask(client_for(client_user), question="What should a CCP monitoring record contain?").json()
    assert data["outcome"] == "answered"
    assert any(s["title"] == "What a CCP monitoring record must show" for s in data["sources"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "x" * 4000}, "question"),
        ({"question": "HACCP?", "language": "xx"}, "language"),
        ({"question": "HACCP?", "language": "english"}, "language"),
        ({"question": "HACCP?", "conversation": "not-a-uuid"}, "conversation"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(client_for, client_user, body, field):
    response = ask(client_for(client_user), **body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Turn.objects.exists() and not QuestionLog.objects.exists() and not Conversation.objects.exists()


def test_question_of_3999_characters_is_accepted(client_for, client_user):
    response = ask(client_for(client_user), question="HACCP " + "x" * 3993)
    assert response.status_code == 200


def test_anonymous_caller_is_401(api_client):
    assert ask(api_client, question="HACCP?").status_code == 401


def test_conversation_continues_and_belongs_to_its_owner(client_for, client_user):
    client = client_for(client_user)
    first = ask(client, question="What does a PCQI do?").json()
    second = ask(client, question="And how often is the plan reanalysed?", conversation=first["conversation"]).json()
    assert second["conversation"] == first["conversation"]
    assert second["outcome"] == "answered"
    convo = client.get(f"/api/v1/assistant/conversations/{first['conversation']}")
    assert convo.status_code == 200
    assert [t["question"] for t in convo.json()["turns"]] == [
        "What does a PCQI do?",
        "And how often is the plan reanalysed?",
    ]


def test_someone_elses_conversation_is_404(client_for, client_user, expert_user):
    conversation = ask(client_for(client_user), question="What does a PCQI do?").json()["conversation"]
    stranger = client_for(expert_user)
    assert stranger.get(f"/api/v1/assistant/conversations/{conversation}").status_code == 404
    assert stranger.get(f"/api/v1/assistant/conversations/{uuid.uuid4()}").status_code == 404
    assert stranger.get("/api/v1/assistant/conversations/nope").status_code == 404
    response = ask(stranger, question="What does a PCQI do?", conversation=conversation)
    assert response.status_code == 404
    assert Turn.objects.count() == 1


def test_asked_language_with_a_translation_answers_in_it(client_for, client_user):
    data = ask(client_for(client_user), question="¿Cuáles son los principios del APPCC?", language="es").json()
    assert data["outcome"] == "answered"
    assert data["language"] == "es"
    assert data["sources"][0]["language"] == "es"


def test_asked_language_without_a_translation_answers_in_english_with_a_note(client_for, client_user):
    data = ask(client_for(client_user), question="What does a PCQI do?", language="pt-BR").json()
    assert data["outcome"] == "answered"
    assert data["language"] == "en"
    assert "Portuguese" in data["answer"]


def test_question_log_keeps_no_personal_data(client_for, client_user):
    ask(client_for(client_user), question="I am jane@example.com, +44 20 7946 0958: what does a PCQI do?")
    log = QuestionLog.objects.get()
    assert "jane@example.com" not in log.question and "7946" not in log.question
    assert "[email]" in log.question and log.outcome == "answered" and log.article_ids
    assert not any(f.name == "user" for f in QuestionLog._meta.fields)


def test_assistant_throttle_scope(client_for, client_user, settings):
    from rest_framework.settings import api_settings

    assert "assistant" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    from assistant.views import AskView

    rates = dict(api_settings.DEFAULT_THROTTLE_RATES)
    try:
        api_settings.DEFAULT_THROTTLE_RATES["assistant"] = "2/min"
        AskView.throttle_classes[0].THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        client = client_for(client_user)
        codes = [ask(client, question="What does a PCQI do?").status_code for _ in range(3)]
    finally:
        api_settings.DEFAULT_THROTTLE_RATES.clear()
        api_settings.DEFAULT_THROTTLE_RATES.update(rates)
    assert codes == [200, 200, 429]
