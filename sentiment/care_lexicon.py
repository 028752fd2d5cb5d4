"""Lexicon words that are not an opinion in customer-care text (SCORER_VERSION 1.4.0).

VADER's and LeIA's lexicons were rated on general text. In a message to a brand a few
frequent words carry a valence that is not the customer's opinion, so every plain
question or request leaned one way and sentiment trends drifted with the share of
questions (issue 22: "Tem cupom de desconto para primeira compra?" -0.15, "Can I pay
with PayPal on your site?" -0.10, "Fui cobrado duas vezes ..., resolvam por favor"
+0.44). The scorers drop these words from their lexicon, so they count as neutral
words (as any word outside the lexicon does); the rest of VADER/LeIA is unchanged.

Chosen by what the word does in a message to a brand, not from evaluation data; the
effect on the labelled sets is in docs/sentiment.md ("1.4.0"). Four kinds:

* courtesy that opens a request: "please", "kindly", "por favor", "por gentileza";
* asking for help, and the support team's own name ("help", "support", "ajuda");
* naming the transaction: paying, credit (card), the amount ("valor"), an order or
  protocol number;
* translation artefacts of LeIA's lexicon: Portuguese function words valued as the
  English word they were translated from ("para" = "stop" -0.6, though it is nearly
  always the preposition "for/to"; "há" = "ha" +1.4, though it is "there is/ago";
  "você" +1.1, the pronoun "you"), and "dúvida" (-1.2 from "doubt"), which in a
  message to a brand means "a question".

Words are in lower-case, accent-free form (how both scorers look them up).
"""

from __future__ import annotations

NEUTRAL_EN: frozenset[str] = frozenset(
    {
        # courtesy
        "please",
        "pls",
        "plz",
        "kindly",
        # asking for help, the support team
        "help",
        "support",
        # the transaction
        "pay",
        "credit",
        "number",
    }
)

NEUTRAL_PT: frozenset[str] = frozenset(
    {
        # courtesy ("por favor", "por gentileza")
        "favor",
        "gentileza",
        # asking for help
        "ajuda",
        # the transaction
        "pagamento",
        "credito",
        "valor",
        "numero",
        # a question, not a doubt
        "duvida",
        "duvidas",
        # function words valued by their translation
        "para",
        "ha",
        "voce",
    }
)
