"""The real OpenAI SDK against a local fake server (never the internet)."""

import pytest

from assistant.models import Turn

ASK = "/api/v1/assistant/ask"
pytestmark = pytest.mark.django_db


def ask(client, **body):
    return client.post(ASK, body, format="json").json()


def test_model_composes_from_the_retrieved_passages_in_the_asked_language(client_for, client_user, fake_openai):
    fake_openai.content = "Le HACCP repose sur sept principes [1], dont la surveillance des CCP [2]."
    data = ask(client_for(client_user), question="What are the seven principles of HACCP?", language="fr")
    assert data["outcome"] == "answered" and data["composer"] == "openai"
    assert data["language"] == "fr"
    assert data["answer"] == fake_openai.content
    assert len(data["sources"]) == 2  # only what the model cited
    request = fake_openai.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "test-model"
    system, user = request["body"]["messages"][0]["content"], request["body"]["messages"][-1]["content"]
    assert "fr (French)" in system and "ONLY from the numbered passages" in system
    # The passages travel with the question, numbered like the citations.
    assert "[1] The seven principles of HACCP" in user and "Question: What are the seven principles" in user


def test_model_is_never_called_without_passages(client_for, client_user, fake_openai):
    data = ask(client_for(client_user), question="What is the best chocolate cake recipe?")
    assert data["outcome"] == "unsupported"
    assert fake_openai.requests == []


def test_model_is_never_called_for_a_refused_request(client_for, client_user, fake_openai):
    data = ask(client_for(client_user), question="Fill in our cooling log for yesterday")
    assert data["outcome"] == "refused" and fake_openai.requests == []


def test_model_saying_the_passages_do_not_answer_is_a_plain_no_answer(client_for, client_user, fake_openai):
    fake_openai.content = "NO_SUPPORTED_ANSWER"
    data = ask(client_for(client_user), question="What does a PCQI do?")
    assert data["outcome"] == "unsupported" and data["sources"] == []
    assert "no supported answer" in data["answer"]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 429},
        {"delay": 2.0},  # beyond OPENAI_TIMEOUT_SECONDS (1 s)
        {"content": "PCQIs are great."},  # no citation
        {"content": "See [7]."},  # cites a passage it was not given
    ],
)
def test_model_failures_fall_back_to_the_local_answer(client_for, client_user, fake_openai, failure):
    for key, value in failure.items():
        setattr(fake_openai, key, value)
    data = ask(client_for(client_user), question="What does a PCQI do?")
    assert data["outcome"] == "answered" and data["composer"] == "local"
    assert data["sources"] and "[1]" in data["answer"]
    assert Turn.objects.get().composer == "local"


def test_follow_up_sends_recent_history(client_for, client_user, fake_openai):
    fake_openai.content = "A PCQI prepares the food safety plan [1]."
    client = client_for(client_user)
    first = ask(client, question="What does a PCQI do? mail me at a@b.com")
    ask(client, question="Who signs the food safety plan?", conversation=first["conversation"])
    messages = fake_openai.requests[-1]["body"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "a@b.com" not in str(messages)
