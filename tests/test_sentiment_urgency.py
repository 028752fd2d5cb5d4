import pytest

from replywatch.i18n import compact_duration as format_duration
from replywatch.sentiment import UrgencyContext, UrgencyRules, analyze
from replywatch.sentiment.urgency import ordinal

PUBLIC = UrgencyContext(channel="public")


def reasons(text, **kw):
    return analyze(text, **kw).reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I want a REFUND for this", "asks for a refund"),
        ("still no refunds after 3 weeks", "asks for a refund"),
        ("I'll file a chargeback with my bank", "mentions a chargeback"),
        ("reporting you to the BBB", "mentions the Better Business Bureau"),
        ("talking to my lawyer tomorrow", "mentions a lawyer"),
        ("this company is a scam", "calls it a scam"),
        ("Please cancel my order", "wants to cancel"),
        ("package never arrived", "order never arrived"),
        ("my package hasnt arrived", "order never arrived"),
        ("my package hasn’t arrived", "order never arrived"),
        ("Vou abrir reclamação no PROCON", "mentions Procon"),
        ("já postei no Reclame Aqui", "mentions Reclame Aqui"),
        ("quero o estorno agora", "asks for a refund"),
        ("meu pedido não chegou", "order never arrived"),
        ("meu pedido nao chegou", "order never arrived"),
        ("quero cancelar a assinatura", "wants to cancel"),
        ("isso é golpe", "calls it a scam"),
        ("vou falar com meu advogado", "mentions a lawyer"),
        ("nunca mais compro aqui", "says never again"),
    ],
)
def test_phrase_reasons_fire(text, reason):
    assert reason in reasons(text)


def test_phrases_match_whole_words_only():
    # "sue" inside "issue"/"pursue", "scam" inside "scampi", "golpe" inside "golpeado".
    assert reasons("there is an issue with pursue and scampi", language="en") == ()


def test_bare_processo_is_not_a_lawsuit():
    # (LeIA's lexicon itself rates "processo" -2.2, so a sentiment reason may appear.)
    found = reasons("o processo de troca foi rápido", language="pt")
    assert not any("sue" in r or "legal" in r for r in found)
    assert "threatens to sue" in reasons("vou entrar com um processo", language="pt")


def test_very_negative_reason_shows_compound():
    a = analyze("This is the worst, most horrible service. I hate it.")
    assert a.compound <= -0.5
    assert a.reasons[0] == f"very negative ({a.compound:.2f})"


def test_public_channel_amplifies_a_complaint():
    text = "my order never arrived and I want a refund"
    private = analyze(text, context=UrgencyContext(channel="private"))
    public = analyze(text, context=PUBLIC)
    assert "public post: everyone can see it" in public.reasons
    assert public.urgency > private.urgency


def test_public_praise_is_not_amplified():
    a = analyze(
        "love you guys, thanks!", context=UrgencyContext(channel="public", author_followers=500_000)
    )
    assert a.urgency == 0 and a.reasons == ()


def test_followers_reason():
    a = analyze("terrible service, still waiting", context=UrgencyContext(author_followers=12_300))
    assert "author has 12,300 followers" in a.reasons


def test_few_followers_add_nothing():
    a = analyze("terrible service, still waiting", context=UrgencyContext(author_followers=900))
    assert not any("followers" in r for r in a.reasons)


def test_repeated_unanswered_and_sla_make_a_neutral_message_urgent():
    quiet = analyze("hello?")
    a = analyze(
        "hello?",
        context=UrgencyContext(unanswered_from_author=2, waiting_seconds=7800, sla_seconds=3600),
    )
    assert quiet.urgency == 0
    assert a.reasons == (
        "3rd unanswered message from this customer",
        "waiting 2h 10m, SLA 1h breached",
    )
    assert a.urgent


def test_sla_not_breached_adds_nothing():
    a = analyze("hello?", context=UrgencyContext(waiting_seconds=1800, sla_seconds=3600))
    assert a.reasons == ()


@pytest.mark.parametrize(
    ("ctx", "why"),
    [
        (UrgencyContext(is_spam=True, channel="public"), "marked as spam: never urgent"),
        (
            UrgencyContext(is_brand_author=True, unanswered_from_author=5),
            "posted by the brand itself: never urgent",
        ),
    ],
)
def test_spam_and_brand_posts_are_never_urgent(ctx, why):
    a = analyze("SCAM! I want my refund, calling my lawyer and the BBB, worst ever", context=ctx)
    assert (a.urgency, a.urgent, a.reasons) == (0, False, (why,))
    assert a.label == "negative"  # sentiment is still reported


def test_escalation_public_angry_is_urgent():
    a = analyze(
        "Worst company ever. Stole my money, I'm going to the BBB and my lawyer.", context=PUBLIC
    )
    assert a.urgent and a.urgency >= 50


def test_reasons_never_echo_user_text():
    a = analyze("my secret order 12345 never arrived, refund now you idiots", context=PUBLIC)
    joined = " ".join(a.reasons)
    for word in ("secret", "12345", "idiots"):
        assert word not in joined


def test_urgency_is_clamped():
    ctx = UrgencyContext(
        channel="public",
        author_followers=10**7,
        unanswered_from_author=9,
        waiting_seconds=10**6,
        sla_seconds=60,
    )
    text = "SCAM fraud lawyer chargeback BBB refund never arrived! worst horrible"
    a = analyze(text, context=ctx)
    assert a.urgency == 100


def test_custom_rules_from_mapping():
    rules = UrgencyRules.from_mapping(
        {
            "threshold": 20,
            "extra_phrases_en": ["warranty claim", {"phrase": "rma*", "reason": "asks for an RMA"}],
            "ignore_phrases_en": ["broken"],
        }
    )
    a = analyze("need an RMA number for my warranty claim", rules=rules)
    assert a.reasons == ("asks for an RMA", 'mentions "warranty claim"')
    assert a.urgent  # 25 + 10 >= 20
    assert "item damaged or broken" not in analyze("it's broken", rules=rules).reasons
    assert "item damaged or broken" in analyze("it's broken").reasons
    assert rules.fingerprint != UrgencyRules().fingerprint
    assert analyze("x", rules=rules).rules_id == rules.fingerprint


@pytest.mark.parametrize(
    "mapping",
    [
        {"treshold": 40},  # typo
        {"threshold": 140},
        {"threshold": "high"},
        {"extra_phrases_es": ["queja"]},
        {"extra_phrases_en": "refund"},  # a string, not a list
        {"extra_phrases_en": ["re*fund"]},
        {"extra_phrases_en": [""]},
    ],
)
def test_bad_brand_config_is_refused(mapping):
    with pytest.raises(ValueError):
        UrgencyRules.from_mapping(mapping)


def test_replace_lists_and_weights():
    rules = UrgencyRules.from_mapping({"phrases_pt": ["troca"], "complaint_weight": 50})
    assert analyze("quero fazer a troca", language="pt", rules=rules).urgent
    assert "order never arrived" not in analyze("não chegou", language="pt", rules=rules).reasons


@pytest.mark.parametrize(
    ("n", "s"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (102, "102nd"),
        (111, "111th"),
    ],
)
def test_ordinal(n, s):
    assert ordinal(n) == s


@pytest.mark.parametrize(
    ("sec", "s"),
    [(30, "30s"), (720, "12m"), (3600, "1h"), (7800, "2h 10m"), (86400 * 3 + 3600 * 4, "3d 4h")],
)
def test_format_duration(sec, s):
    assert format_duration(sec) == s


# Phrases added in SCORER_VERSION 1.1.0: each reason on a named example per language.
@pytest.mark.parametrize(
    ("text", "language", "reason"),
    [
        ("flight delayed 3 hours, any update?", "en", "asks for an update"),
        ("any news on my ticket?", "en", "asks for an update"),
        ("alguma atualização do meu pedido?", "pt", "asks for an update"),
        ("ainda sem previsão de entrega", "pt", "asks for an update"),
        ("been waiting for days for my package", "en", "still waiting"),
        ("still no word from your team", "en", "still waiting"),
        ("estou esperando o técnico desde segunda", "pt", "still waiting"),
        ("ainda esperando o reembolso", "pt", "still waiting"),
        ("emailed twice and never heard back", "en", "got no response"),
        ("liguei 5 vezes e ninguém atende", "pt", "got no response"),
        ("my order is delayed again", "en", "mentions a delay"),
        ("another delay on my order", "en", "mentions a delay"),
        ("a entrega atrasou de novo", "pt", "mentions a delay"),
        ("you lost my suitcase", "en", "something was lost"),
        ("os correios perderam minha encomenda", "pt", "something was lost"),
        ("two items are missing from my box", "en", "something is missing"),
        ("veio faltando uma peça", "pt", "something is missing"),
        ("the app is not working since the update", "en", "says it is not working"),
        ("my card doesn't work at checkout", "en", "says it is not working"),
        ("o aplicativo não funciona", "pt", "says it is not working"),
        ("o modem parou de funcionar", "pt", "says it is not working"),
        ("I can't log in to my account", "en", "cannot log in"),
        ("não consigo acessar minha conta", "pt", "cannot log in"),
        ("fui cobrado em dobro", "pt", "billing error"),
    ],
)
def test_new_waiting_and_failure_reasons_fire(text, language, reason):
    assert reason in reasons(text, language=language)


NEW_REASONS = {
    "asks for an update",
    "still waiting",
    "got no response",
    "mentions a delay",
    "something was lost",
    "something is missing",
    "says it is not working",
    "cannot log in",
    "billing error",
}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("thanks for the quick update!", "en"),
        ("the new update works great, thanks", "en"),
        ("delivered a day early, love it", "en"),
        ("obrigado pela atualização rápida!", "pt"),
        ("chegou antes do prazo, funciona perfeitamente", "pt"),
    ],
)
def test_new_reasons_do_not_fire_on_clear_non_complaints(text, language):
    a = analyze(text, language=language)
    assert not NEW_REASONS & set(a.reasons)
    assert not a.urgent


def test_delay_and_update_request_without_negative_words_reaches_complaint_points():
    # The docs' example of a complaint the 1.0.0 rules could not see: two distinct
    # complaint reasons now add 25 + 10 points on top of any sentiment.
    a = analyze("flight 1234 delayed 3 hours, any update?", language="en")
    assert {"mentions a delay", "asks for an update"} <= set(a.reasons)
    assert a.urgency >= 35


# Rules added in SCORER_VERSION 1.2.0: each new reason on a named English and Portuguese
# example.
@pytest.mark.parametrize(
    ("text", "language", "reason"),
    [
        ("I can't get through to anyone on your helpline", "en", "cannot reach support"),
        ("they hung up and never call back", "en", "cannot reach support"),
        ("não consigo falar com ninguém do suporte", "pt", "cannot reach support"),
        ("a ligação caiu e ninguém me retorna", "pt", "cannot reach support"),
        ("hold time is over an hour", "en", "stuck on hold"),
        ("o tempo de espera passa de uma hora", "pt", "stuck on hold"),
        ("I waited two hours at the counter", "en", "still waiting"),
        ("esperei duas horas no balcão", "pt", "still waiting"),
        ("I need to reschedule my installation", "en", "needs to rebook or reschedule"),
        ("preciso reagendar a instalação", "pt", "needs to rebook or reschedule"),
        ("my order is stuck in processing", "en", "is stuck"),
        ("meu pedido está travado no sistema", "pt", "is stuck"),
        ("the parcel is 3 days late", "en", "mentions a delay"),
        ("a encomenda está com 3 dias de atraso", "pt", "mentions a delay"),
        ("nobody told me the store was closed", "en", "no or wrong information"),
        ("ninguém avisou que a loja fechou", "pt", "no or wrong information"),
        ("the website is down and won't let me pay", "en", "says it is not working"),
        ("o site está fora do ar", "pt", "says it is not working"),
        ("I want to speak to a real person", "en", "asks for a human agent"),
        ("quero falar com um atendente humano", "pt", "asks for a human agent"),
        ("the chat bot was useless", "en", "says support was no help"),
        ("o chat foi inútil", "pt", "says support was no help"),
        ("no one at the store knew anything", "en", "says no one helped"),
        ("ninguém na loja sabia de nada", "pt", "says no one helped"),
        ("your customer service is awful", "en", "mentions customer service"),
        ("o atendimento ao cliente é péssimo", "pt", "mentions customer service"),
        ("charging me for a cancelled plan is ridiculous", "en", "says it is unacceptable"),
        ("cobrar por um plano cancelado é ridículo", "pt", "says it is unacceptable"),
    ],
)
def test_reasons_added_in_1_2_fire(text, language, reason):
    assert reason in reasons(text, language=language)


REASONS_1_2 = {
    "cannot reach support",
    "stuck on hold",
    "still waiting",
    "needs to rebook or reschedule",
    "is stuck",
    "mentions a delay",
    "no or wrong information",
    "says it is not working",
    "asks for a human agent",
    "says support was no help",
    "says no one helped",
    "mentions customer service",
    "says it is unacceptable",
}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("arrived on time and works perfectly", "en"),
        ("what time do you open on Sundays?", "en"),
        ("love the new colours in the spring collection", "en"),
        ("chegou no prazo e funciona perfeitamente", "pt"),
        ("que horas vocês abrem no domingo?", "pt"),
        ("adorei as cores da nova coleção", "pt"),
    ],
)
def test_reasons_added_in_1_2_do_not_fire_on_clear_non_complaints(text, language):
    a = analyze(text, language=language, context=PUBLIC)
    assert not REASONS_1_2 & set(a.reasons)
    assert a.urgency == 0


def test_older_specific_phrases_still_win_over_1_2_ones():
    # 1.2.0 phrases are appended, and none ends where an older one starts.
    assert "asks for a manager" in reasons("let me speak to a manager", language="en")
    assert "order never arrived" in reasons("ainda não recebi o pedido", language="pt")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("thanks for the quick refund!", "en"),
        ("great customer service today, thank you!", "en"),
        ("obrigado pelo reembolso rápido!", "pt"),
        ("parabéns pelo atendimento ao cliente, excelente!", "pt"),
    ],
)
def test_positive_thanks_discounts_complaint_phrases(text, language):
    a = analyze(text, language=language, context=PUBLIC)
    assert a.label == "positive"
    assert a.reasons == ("positive and thanks or praises: complaint phrases not counted",)
    assert a.urgency == 0
    undiscounted = analyze(
        text,
        language=language,
        context=PUBLIC,
        rules=UrgencyRules.from_mapping({"discount_praise": False}),
    )
    assert undiscounted.urgency > 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("thanks for nothing, still no refund", "en"),  # sarcasm: VADER reads it positive
        ("obrigado por nada, ainda sem reembolso", "pt"),
        ("thanks, but my package is still missing", "en"),  # negative overall
        ("obrigado, mas o pedido veio errado e quebrado", "pt"),
    ],
)
def test_sarcastic_or_negative_thanks_is_still_a_complaint(text, language):
    a = analyze(text, language=language, context=PUBLIC)
    assert not any("thanks or praises" in r for r in a.reasons)
    assert a.urgency >= 45


def test_praise_does_not_discount_escalation_or_context():
    ctx = UrgencyContext(channel="public", unanswered_from_author=2)
    a = analyze("thanks so much, but I will file a chargeback for the refund", context=ctx)
    assert "mentions a chargeback" in a.reasons
    assert "3rd unanswered message from this customer" in a.reasons
    assert a.urgent


def test_one_complaint_phrase_outranks_tone_alone():
    # 1.2.0 weights: a concrete problem counts for more than how angry the words are.
    angry = analyze("This is the worst, most horrible service. I hate it.", context=PUBLIC)
    concrete = analyze("I need to reschedule my delivery", context=PUBLIC)
    assert angry.compound <= -0.9 and concrete.label == "neutral"
    assert concrete.urgency > angry.urgency


def test_praise_settings_from_mapping():
    rules = UrgencyRules.from_mapping({"extra_praise_phrases_en": ["cheers"]})
    assert analyze("cheers for the refund, all good", language="en", rules=rules).urgency == 0
    with pytest.raises(ValueError, match="discount_praise"):
        UrgencyRules.from_mapping({"discount_praise": "yes"})
