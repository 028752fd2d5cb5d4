import pytest

from sentiment import analyze, detect_language
from sentiment.language import clean_for_detection, normalise_language


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
