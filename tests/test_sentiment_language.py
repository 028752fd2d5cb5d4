import pytest

from replywatch.sentiment import analyze, detect_language
from replywatch.sentiment.language import (
    clean_for_detection,
    detect_language_reference,
    normalise_language,
)


@pytest.mark.parametrize(
    "text",
    [
        "@united my bag never showed up at the carousel",
        "thanks for the quick reply!",
        "still waiting for my refund",
        "where is my order?",
    ],
)
def test_short_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "@americanas meu pedido não chegou",
        "obrigado pelo atendimento!",
        "cadê meu estorno???",
        "nunca mais compro aqui",
    ],
)
def test_short_portuguese(text):
    assert detect_language(text) == "pt"


@pytest.mark.parametrize(
    "text", ["", "   ", "😡😡😡", "https://t.co/abc123", "@acme @help", "ok", "?!", "12345"]
)
def test_undetermined(text):
    assert detect_language(text) == "und"


@pytest.mark.parametrize(
    "text",
    [
        # real twcs tweets the en/pt-restricted identifier used to call Portuguese
        "@AmazonHelp 電話で対応してもらいましたが改良されませんでした。",
        "こんにちは、アマゾン公式です。Fire TV Stickが見れないというのは、どのような状況でしょうか",
        "Привет, мой заказ не пришёл",
        "طلبي لم يصل بعد",
    ],
)
def test_text_mostly_in_another_script_is_undetermined(text):
    # Both supported languages are written in Latin script; the reference
    # (unoptimised) detector agrees.
    assert detect_language(text) == detect_language_reference(text) == "und"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my order never arrived 😡 注文", "en"),
        ("meu pedido não chegou, comprei o Fire TV Stick アマゾン", "pt"),
    ],
)
def test_a_few_foreign_characters_do_not_hide_the_language(text, language):
    assert detect_language(text) == language


def test_cleaning_removes_handles_urls_and_hash_markers():
    assert clean_for_detection("@acme see https://x.co/a #fail now") == "see fail now"


def test_handles_and_links_do_not_decide_the_language():
    # An English-looking handle and URL around Portuguese words.
    text = "@HelpDeskSupport https://support.example.com/ticket não resolveram"
    assert detect_language(text) == "pt"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("pt-BR", "pt"), ("EN", "en"), ("en_GB", "en"), ("es", None), ("und", None), (None, None)],
)
def test_normalise_language(tag, expected):
    assert normalise_language(tag) == expected


def test_caller_language_wins_when_supported():
    a = analyze("still waiting", language="pt")
    assert (a.language, a.language_source) == ("pt", "caller")


def test_unsupported_caller_language_falls_back_to_detection():
    a = analyze("my package never arrived", language="es")
    assert (a.language, a.language_source) == ("en", "detected")
