"""Intent per customer message (complaint, question, thanks, other), its reasons in
English and Portuguese, urgency following the intent, the issue-15 misfires, and the
stored intent / closing flag (the "thank-you after a brand reply" other features use)."""

from __future__ import annotations

import json

import pytest

from replywatch.metrics import trends
from replywatch.pipeline import ingest
from replywatch.sentiment import UrgencyContext, UrgencyRules, analyze
from replywatch.sentiment.intent import REASONS, intent_name, reason_text
from replywatch.store.scores import closing_messages
from tests.test_store import msg

PUBLIC = UrgencyContext(channel="public")
LATE = UrgencyContext(channel="public", waiting_seconds=7200, sla_seconds=3600)


@pytest.mark.parametrize(
    ("text", "language", "intent"),
    [
        # complaints
        ("My order never arrived and nobody answers", "en", "complaint"),
        ("I'm calling my lawyer about this", "en", "complaint"),
        ("This is the worst service I have ever had", "en", "complaint"),
        ("Meu pedido não chegou até hoje", "pt", "complaint"),
        ("Vou reclamar no Procon", "pt", "complaint"),
        ("Não estou nada satisfeito", "pt", "complaint"),
        ("vcs são uma piada, cobraram 2x no cartão", "pt", "complaint"),
        ("It is still not resolved", "en", "complaint"),
        ("ainda não foi resolvido", "pt", "complaint"),
        # questions
        ("Can I pay with PayPal on your site?", "en", "question"),
        ("Do you ship to Canada", "en", "question"),
        ("Tem cupom de desconto para primeira compra?", "pt", "question"),
        ("Qual o prazo de entrega para Recife", "pt", "question"),
        # praise / thanks
        ("That worked, thanks!", "en", "thanks"),
        ("Ok thank you!", "en", "thanks"),
        ("Great job, you guys rock", "en", "thanks"),
        ("Obrigado, chegou hoje!", "pt", "thanks"),
        ("Resolvido, valeu!", "pt", "thanks"),
        # other
        ("my order number is 1234", "en", "other"),
        ("ok", "en", "other"),
        ("Segue o número do pedido 5566", "pt", "other"),
    ],
)
def test_named_examples_per_intent(text, language, intent):
    a = analyze(text, language=language, context=PUBLIC)
    assert a.intent == intent, (a.intent, a.intent_reasons, a.compound)
    assert a.intent_reasons and all(code in REASONS for code in a.intent_reasons)


@pytest.mark.parametrize(
    "text",
    ["Tem cupom de desconto para primeira compra?", "Can I pay with PayPal on your site?"],
)
def test_plain_questions_are_not_urgent_even_in_public_and_late(text):
    for ctx in (PUBLIC, LATE):
        a = analyze(text, context=ctx)
        assert a.intent == "question" and not a.urgent
    assert analyze(text, context=PUBLIC).urgency == 0


def test_nao_estou_nada_satisfeito_is_negative():
    # "não ... nada" is one negation (negative concord), not two that cancel out.
    a = analyze("Não estou nada satisfeito")
    assert a.language == "pt" and a.label == "negative"


def test_piada_cobraram_2x_is_an_urgent_complaint():
    a = analyze("vcs são uma piada, cobraram 2x no cartão", context=PUBLIC)
    assert a.intent == "complaint"
    assert "billing error" in a.reasons and "calls the service a joke" in a.reasons
    assert a.urgent


def test_question_with_a_time_critical_signal_keeps_its_urgency():
    # A chase-up question names a concrete problem: a complaint with urgency.
    a = analyze("Any update on my refund? Still waiting", context=PUBLIC)
    assert a.intent == "complaint" and a.urgent
    # A plain question after two ignored messages and a breached SLA is time-critical.
    b = analyze(
        "Can I pay with PayPal?",
        context=UrgencyContext(unanswered_from_author=2, waiting_seconds=7200, sla_seconds=3600),
    )
    assert b.intent == "question" and b.urgent
    assert b.reasons == (
        "3rd unanswered message from this customer",
        "waiting 2h, SLA 1h breached",
    )


def test_thanks_is_never_urgent_and_closes():
    ctx = UrgencyContext(channel="public", unanswered_from_author=2, waiting_seconds=9000)
    for text in ("That worked, thanks!", "Obrigado, deu certo!"):
        a = analyze(text, context=ctx)
        assert a.intent == "thanks" and a.closes
        assert a.urgency == 0 and not a.urgent


def test_very_positive_praise_without_thanks_words_does_not_close():
    a = analyze("I love the new app so much, beautiful design", language="en")
    assert a.intent == "thanks" and not a.closes
    assert a.intent_reasons == ("intent.very_positive",)


def test_sarcastic_thanks_stays_a_complaint():
    a = analyze("thanks for nothing, still no refund", context=PUBLIC)
    assert a.intent == "complaint" and not a.closes and a.urgent


def test_escalation_wins_over_a_question():
    a = analyze("Can I get my money back or do I call my lawyer?", context=PUBLIC)
    assert a.intent == "complaint" and a.intent_reasons == ("intent.escalation",)
    assert a.urgent


def test_reasons_have_english_and_portuguese_texts():
    for code, texts in REASONS.items():
        assert texts["en"] and texts["pt"] and texts["en"] != texts["pt"], code
    assert reason_text("intent.question_mark", "pt") == "faz uma pergunta (ponto de interrogação)"
    assert reason_text("intent.question_mark", "es") == "asks a question (question mark)"
    assert reason_text("unknown.code") == "unknown.code"
    assert intent_name("thanks", "pt") == "elogio/agradecimento"
    a = analyze("Obrigado, chegou hoje!")
    from replywatch.sentiment.intent import IntentResult

    result = IntentResult(a.intent, a.intent_reasons, a.closes)  # type: ignore[arg-type]
    assert "agradece à marca" in result.texts("pt")


def test_intent_gating_can_be_switched_off():
    rules = UrgencyRules.from_mapping({"intent_gating": False})
    # A question in a negative tone (since 1.4.0 the PayPal question is neutral, so it
    # has no tone points to gate: tests/test_sentiment_requests.py).
    text = "Is the checkout page always this confusing?"
    assert analyze(text).intent == "question" and analyze(text).label == "negative"
    assert analyze(text, context=PUBLIC, rules=rules).urgency > 0
    assert analyze(text, context=PUBLIC).urgency == 0


def test_intent_and_closing_flag_are_stored(db):
    ingest(
        db,
        [
            msg("1", 0, text="My package never arrived"),
            msg("2", 5, direction="outbound", parent="1", text="Sorry! Resent it today."),
            msg("3", 60, parent="2", text="It just arrived, thank you!"),
            msg("4", 0, text="Tem cupom de desconto para primeira compra?", author="bia"),
            msg("5", 0, text="Thanks in advance!", author="cid"),
        ],
        source="t",
    )
    rows = {
        ext: (intent, json.loads(reasons), closes)
        for ext, intent, reasons, closes in db.execute(
            "SELECT m.external_id, s.intent, s.intent_reasons, s.closes FROM scores s "
            "JOIN messages m ON m.id = s.message_id"
        )
    }
    assert rows["1"][0] == "complaint" and rows["1"][2] == 0
    assert rows["3"] == ("thanks", ["intent.solved", "intent.thanks"], 1)
    assert rows["4"][0] == "question"
    # The thank-you after the brand's reply closes its conversation; a thank-you with no
    # brand reply before it ("thanks in advance") does not.
    conversation = db.execute(
        "SELECT conversation_id FROM messages WHERE external_id = '3'"
    ).fetchone()[0]
    message_id = db.execute("SELECT id FROM messages WHERE external_id = '3'").fetchone()[0]
    assert closing_messages(db) == {conversation: message_id}
    assert closing_messages(db, [conversation]) == {conversation: message_id}
    assert closing_messages(db, []) == {}


def test_complaint_terms_count_complaints_only(db):
    ingest(
        db,
        [
            msg("q1", 0, text="Tem cupom de desconto para primeira compra?", author="a"),
            msg("q2", 1, text="Tem cupom de desconto para primeira compra?", author="b"),
            msg("c1", 2, text="Cobrança indevida no cartão, quero estorno", author="c"),
            msg("e1", 3, text="Can I pay with PayPal on your site?", author="d"),
            msg("e2", 4, text="Happy to pay with PayPal, thanks!", author="e"),
        ],
        source="t",
    )
    pt = {
        t["term"] for t in trends.complaint_terms(db, since=0, until=2**31, language="pt")["terms"]
    }
    en = trends.complaint_terms(db, since=0, until=2**31, language="en")
    assert "estorno" in pt and "cupom" not in pt and "desconto" not in pt
    assert en["sampled"] == 0 and en["terms"] == []


def test_intent_reasons_come_from_the_translation_catalogues():
    # Like the urgency reason codes: English msgids, pt-BR and pt-PT in locales/.
    assert reason_text("intent.escalation", "pt-BR").endswith("chargeback ou golpe)")
    assert reason_text("intent.escalation", "pt-PT").endswith("chargeback ou burla)")
    assert intent_name("complaint", "pt-PT") == "reclamação"
    assert intent_name("question", "en") == "question"


# 1.3.1: courtesy thanks in the middle of a case (docs/metrics.md, "Reading the 30 sampled
# conversations": three of the five twcs "resolved by the customer" were these) and the
# demo's DM follow-ups. Polite, so intent thanks and never urgent, but not closure.
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I've just sent you a message with details. Thanks for your help", "en"),
        ("Thanks, they are #0C2340 & #003B49", "en"),
        ("Thank you call me tomorrow afternoon", "en"),
        ("Thanks, just sent the DM", "en"),
        ("Thanks, I'll DM you my order number", "en"),
        ("Thanks in advance!", "en"),
        ("Thank you, please let me know", "en"),
        ("Obrigado, mandei a DM", "pt"),
        ("Obrigada, chamei vocês no inbox", "pt"),
        ("Obrigado, me liga amanhã por favor", "pt"),
        ("Valeu, fico no aguardo", "pt"),
        ("Obrigado desde já!", "pt"),
    ],
)
def test_thanks_that_keeps_the_case_open_does_not_close(text, language):
    a = analyze(text, language=language, context=LATE)
    assert a.intent == "thanks" and not a.closes
    assert a.intent_reasons[-1] == "intent.still_open"
    assert a.urgency == 0 and not a.urgent


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("ok thx", "en"),
        ("Got it, thanks so much", "en"),
        ("All sorted now, appreciate it", "en"),
        ("It just arrived, thank you!", "en"),
        ("Thanks for the great flight #DL123", "en"),  # a hashtag, not a code
        ("Ok, obrigada!", "pt"),
        ("Chegou hoje, obrigado!", "pt"),
        ("Deu certo, valeu!", "pt"),
    ],
)
def test_a_plain_thank_you_or_solved_still_closes(text, language):
    a = analyze(text, language=language)
    assert a.intent == "thanks" and a.closes
    assert "intent.still_open" not in a.intent_reasons


def test_still_open_reason_reads_in_both_languages():
    assert reason_text("intent.still_open", "en").startswith("thanks, but the case stays open")
    assert reason_text("intent.still_open", "pt-BR") != reason_text("intent.still_open", "en")
