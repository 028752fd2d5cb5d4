"""Varied message text for the import benchmarks, resampled from real text.

English threads take their texts from the real customer and brand tweets of
``../shared/data/twcs/twcs_head5000.csv`` (Kaggle "Customer Support on
Twitter"), Portuguese threads their customer texts from the real product
reviews of ``../shared/data/sentiment/b2w_reviews_10k_pt.csv`` (B2W-Reviews01).
The shared data holds no Portuguese brand replies, so those are composed from
short phrase lists below (greeting, apology, action, closing), written for this
benchmark; they are the only text here that is not resampled from real data.

Each text is a resampled one (leading @handles dropped), then edited the way
real queues vary: a sentence of another text of the same kind appended
(recombining), two neighbouring words swapped, an order number or a name put
in, one typo (a letter dropped, doubled or two swapped), and cut to 280
characters at a word boundary (a tweet). :func:`distinct_share` measures what
the language detector's per-text cache sees: the share of distinct texts
after @handle removal (``sentiment.language.clean_for_detection``).

The data is read from ``../shared/data`` (never copied into the repo); a
missing file stops the benchmark with the path it looked for.
"""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TWCS = SHARED_DATA / "twcs" / "twcs_head5000.csv"
B2W = SHARED_DATA / "sentiment" / "b2w_reviews_10k_pt.csv"
TWEET_CHARS = 280

_LEADING_HANDLES = re.compile(r"^(?:\s*@\w+)+\s*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

NAMES = {
    "en": ["Ana", "John", "Maria", "Kevin", "Priya", "Tom", "Sarah", "Luis", "Emma", "Omar",
           "Grace", "Mike", "Chloe", "David", "Fatima", "Jake", "Lily", "Ravi", "Zoe", "Sam"],
    "pt": ["Ana", "João", "Maria", "Carlos", "Bia", "Rui", "Sofia", "Léo", "Joana", "Pedro",
           "Mariana", "Lucas", "Fernanda", "Tiago", "Camila", "Rafael", "Inês", "Bruno"],
}  # fmt: skip
ORDER_PHRASES = {
    "en": ["Order #{n}.", "(order {n})", "My order number is {n}.", "Ref {n}", "order no. {n}"],
    "pt": ["Pedido {n}.", "(pedido nº {n})", "Nº do pedido: {n}", "meu pedido é o {n}",
           "protocolo {n}"],
}  # fmt: skip
#: Portuguese brand replies (none in the shared data): composed per text.
PT_REPLY = {
    "greeting": ["Olá{name}!", "Oi{name},", "Bom dia{name}!", "Boa tarde{name}.",
                 "Boa noite{name}!", "Olá{name}, tudo bem?"],
    "apology": ["Sentimos muito pelo transtorno.", "Lamentamos o ocorrido.",
                "Pedimos desculpas pela demora.", "Entendemos sua frustração.",
                "Que pena que isso aconteceu!", ""],
    "action": ["Pode nos chamar por DM com o número do pedido?",
               "Já verificamos aqui e o seu pedido sai para entrega amanhã.",
               "Envie seu CPF por mensagem privada, por favor.",
               "Vamos verificar com a transportadora e te retornamos.",
               "O estorno foi solicitado e aparece em até duas faturas.",
               "Acompanhe a entrega pelo app, em Meus Pedidos.",
               "Nossa equipe vai entrar em contato por e-mail em até 48 horas.",
               "A troca pode ser feita em qualquer loja física.",
               "Abrimos um chamado para o seu caso."],
    "closing": ["Conte com a gente!", "Estamos à disposição.", "Abraços!",
                "Qualquer dúvida, é só chamar.", "Obrigado pela paciência.", ""],
}  # fmt: skip


@dataclass(frozen=True)
class Pools:
    """The real texts to resample: English customer and brand tweets,
    Portuguese customer reviews (leading @handles removed, empty ones left out)."""

    en_customer: tuple[str, ...]
    en_brand: tuple[str, ...]
    pt_customer: tuple[str, ...]


def _require(path: Path) -> Path:
    if not path.is_file():
        raise SystemExit(f"benchmark text source not found: {path} (../shared/data)")
    return path


def load_pools(twcs: Path = TWCS, b2w: Path = B2W) -> Pools:
    """Read the real texts (twcs through the project's own reader, which copes
    with the file's bare carriage returns; the reviews with ``csv``)."""
    from replywatch.collectors.imports import read_twcs

    customer, brand = [], []
    for batch in read_twcs(_require(twcs)):
        for message in batch.messages:
            text = _LEADING_HANDLES.sub("", message.text).strip()
            if text:
                (customer if message.direction == "inbound" else brand).append(text)
    with open(_require(b2w), encoding="utf-8", newline="") as handle:
        reviews = [
            " ".join(row["review_text"].split())
            for row in csv.DictReader(handle)
            if (row.get("review_text") or "").strip()
        ]
    return Pools(tuple(customer), tuple(brand), tuple(reviews))


class TextMaker:
    """Makes one edited text at a time from :class:`Pools` (seeded)."""

    def __init__(self, pools: Pools, rng: random.Random):
        self.pools, self.rng = pools, rng

    def customer(self, lang: str) -> str:
        """A customer's message in ``lang`` (``en`` or ``pt``)."""
        pool = self.pools.en_customer if lang == "en" else self.pools.pt_customer
        return self._edit(self._resample(pool), pool, lang, side="customer")

    def brand(self, lang: str) -> str:
        """A brand's reply in ``lang``."""
        if lang == "en":
            pool = self.pools.en_brand
            return self._edit(self._resample(pool), pool, lang, side="brand")
        return self._edit(self._pt_reply(), (), lang, side="brand")

    def _resample(self, pool: tuple[str, ...]) -> str:
        return self.rng.choice(pool)

    def _pt_reply(self) -> str:
        pick = self.rng.choice
        name = f" {pick(NAMES['pt'])}" if self.rng.random() < 0.5 else ""
        parts = [pick(PT_REPLY["greeting"]).format(name=name)]
        parts += [pick(PT_REPLY[k]) for k in ("apology", "action", "closing")]
        if self.rng.random() < 0.4:
            parts.append(f"^{pick('ABCDEFGHJKLMNPRST')}{pick('ABCDEFGHJKLMNPRST')}")
        return " ".join(p for p in parts if p)

    def _edit(self, text: str, pool: tuple[str, ...], lang: str, *, side: str) -> str:
        rng = self.rng
        if pool and rng.random() < 0.35:
            text = f"{text} {rng.choice(_SENTENCE.split(rng.choice(pool)))}"
        if rng.random() < 0.3:
            text = swap_words(text, rng)
        if rng.random() < 0.4:
            number = rng.randint(10_000, 99_999_999)
            text = f"{text} {rng.choice(ORDER_PHRASES[lang]).format(n=number)}"
        if rng.random() < 0.3 and (pool or side == "customer"):  # composed replies greet by name
            name = rng.choice(NAMES[lang])
            text = (
                f"{'Hi' if lang == 'en' else 'Oi'} {name}! {text}"
                if side == "brand"
                else (f"{text} - {name}")
            )
        if rng.random() < 0.35:
            text = typo(text, rng)
        return cut(text)


def swap_words(text: str, rng: random.Random) -> str:
    """``text`` with two neighbouring words swapped (unchanged under 2 words)."""
    words = text.split(" ")
    if len(words) < 2:
        return text
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def typo(text: str, rng: random.Random) -> str:
    """One typo in a word of 4+ letters: a letter dropped, doubled, or two
    neighbouring letters swapped (unchanged when there is no such word)."""
    spans = [m.span() for m in re.finditer(r"[^\W\d_]{4,}", text)]
    if not spans:
        return text
    start, end = rng.choice(spans)
    word = text[start:end]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:i] + word[i + 1 :]
    elif kind == 1:
        word = word[:i] + word[i] + word[i:]
    else:
        word = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return text[:start] + word + text[end:]


def cut(text: str, limit: int = TWEET_CHARS) -> str:
    """``text`` cut to ``limit`` characters at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0]


Shares = dict[tuple[str, str], tuple[int, int]]


def distinct_share(rows: Iterable[tuple[str, str, str]]) -> Shares:
    """``{(language, side): (distinct texts, texts)}`` over ``(language,
    side, text)`` rows, side ``customer``, ``brand`` and ``all`` (both),
    texts compared after @handle removal as the language detector's cache
    compares them (``sentiment.language.clean_for_detection``)."""
    from replywatch.sentiment.language import clean_for_detection

    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for lang, side, text in rows:
        cleaned = clean_for_detection(text)
        for key in ((lang, side), (lang, "all")):
            seen[key].add(cleaned)
            counts[key] += 1
    return {key: (len(seen[key]), counts[key]) for key in sorted(counts)}


def share_lines(shares: Shares) -> list[str]:
    """One printable line per language: all its texts, then each side."""
    lines = []
    for lang in sorted({lang for lang, _ in shares}):
        distinct, total = shares[lang, "all"]
        sides = ", ".join(
            f"{side} {d:,}/{n:,} = {d / n:.0%}"
            for side in ("customer", "brand")
            if (lang, side) in shares
            for d, n in [shares[lang, side]]
        )
        lines.append(
            f"  {lang}: {distinct:,} distinct of {total:,} texts = {distinct / total:.0%} "
            f"after @handle removal ({sides})"
        )
    return lines
