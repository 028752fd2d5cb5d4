"""The live demo feed: a seeded, deterministic simulation of customer-care
traffic for a few brands, so replywatch can be tried with no credentials.

Every demo message has ``is_demo = 1``, source ``demo`` and an external id
starting with ``demo-``; demo authors are called ``demo_…``. The same seed and
anchor time always produce the same messages.

``DemoFeed(platforms=ALL_PLATFORMS)`` (what ``replywatch demo`` runs) adds
Facebook (page comments, Messenger) and Instagram (comments, mentions, DMs):
the Portuguese-speaking brands get most of their traffic there, as e-commerce
teams in Brazil and Portugal do; Messenger is answered fastest (pages chase
Facebook's "Very responsive" badge), Instagram comments slowest. The default
``platforms`` is the original X + Reddit mix.

WhatsApp (private, one conversation per customer number) is the first
support line of shops in Brazil and Portugal: in ``ALL_PLATFORMS`` it carries
the largest share of the Brazilian brand's messages (``COUNTRY_WEIGHTS``) and
is answered almost as fast as Messenger; its waiting conversations show the
24-hour customer-service window on the Triage page like any WhatsApp one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from replywatch.collectors.base import Message
from replywatch.store.timeutil import to_utc

DEMO_SOURCE = "demo"
CLASSIC_PLATFORMS = ("x", "reddit")
ALL_PLATFORMS = ("x", "reddit", "facebook", "instagram", "whatsapp")
#: Share of each brand's customer messages per platform, by brand language
#: (filtered to the feed's platforms).
PLATFORM_WEIGHTS = {
    "pt": {"x": 0.12, "reddit": 0.04, "facebook": 0.22, "instagram": 0.30, "whatsapp": 0.32},
    "en": {"x": 0.42, "reddit": 0.14, "facebook": 0.19, "instagram": 0.19, "whatsapp": 0.06},
}
#: Per holidays country, where it differs from the language's: in Brazil
#: WhatsApp is the first support line (the largest share of all).
COUNTRY_WEIGHTS = {
    "BR": {"x": 0.07, "reddit": 0.02, "facebook": 0.16, "instagram": 0.25, "whatsapp": 0.50},
}
#: Channels that are private only (a WhatsApp chat has no public side).
PRIVATE_ONLY = ("whatsapp",)
#: Reply-delay multiplier per (platform, channel): Messenger is watched
#: closely, WhatsApp nearly as closely, public Instagram comments wait longest.
DELAY_SCALE = {
    ("facebook", "private"): 0.4,
    ("whatsapp", "private"): 0.5,
    ("instagram", "public"): 1.6,
}


@dataclass(frozen=True)
class DemoBrand:
    """A simulated brand: accounts, language, timezone and how well it answers."""

    key: str
    name: str
    language: str
    timezone: str
    x_handle: str
    reddit_handle: str
    holidays_country: str
    answer_rate: float
    typical_reply_minutes: float
    daily_volume: int
    instagram_handle: str = ""
    whatsapp_number: str = ""

    def handle(self, platform: str) -> str:
        """The brand's own handle on ``platform`` (Facebook: the page name)."""
        if platform == "x":
            return self.x_handle
        if platform == "reddit":
            return self.reddit_handle
        if platform == "facebook":
            return self.name
        if platform == "whatsapp":
            return self.whatsapp_number
        return self.instagram_handle or self.reddit_handle

    @property
    def interface_language(self) -> str:
        """The dashboard language of this brand's team: pt-BR, pt-PT or en."""
        if self.language == "pt":
            return "pt-PT" if self.holidays_country == "PT" else "pt-BR"
        return "en"

    def accounts(self) -> list[tuple[str, str, str]]:
        """The brand's ``(platform, handle, brand_key)`` accounts."""
        return [
            ("x", self.x_handle, self.key),
            ("reddit", self.reddit_handle, self.key),
            ("facebook", self.handle("facebook"), self.key),
            ("instagram", self.handle("instagram"), self.key),
            ("whatsapp", self.handle("whatsapp"), self.key),
        ]

    def settings(self) -> dict:
        """Brand settings as stored in ``brands.settings``."""
        weekdays = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
        return {
            "business_hours": {**weekdays, "sat": ["09:00-13:00"], "sun": []},
            "holidays": {"country": self.holidays_country},
            "sla": {"first_response_minutes": 60},
            "demo": True,
        }


DEMO_BRANDS = (
    DemoBrand(
        "aurora",
        "Loja Aurora",
        "pt",
        "America/Sao_Paulo",
        "LojaAurora",
        "lojaaurora",
        "BR",
        0.88,
        35,
        40,
        "loja.aurora",
        "5511930000001",
    ),
    DemoBrand(
        "mercadoluz",
        "Mercado Luz",
        "pt",
        "Europe/Lisbon",
        "MercadoLuz",
        "mercadoluz",
        "PT",
        0.80,
        70,
        22,
        "mercadoluz.pt",
        "351910000001",
    ),
    DemoBrand(
        "northwind",
        "Northwind Shop",
        "en",
        "America/New_York",
        "NorthwindHelp",
        "northwindshop",
        "US",
        0.92,
        20,
        30,
        "northwind.shop",
        "12125550101",
    ),
)

_TEXTS = {
    "en": {
        "praise": [
            "Just got my order from {brand}, super fast delivery, love it!",
            "Shout out to {brand} support, sorted my return in 5 minutes. Amazing service",
            "The {product} I bought is great, thanks {brand}!",
            "Honestly the best online shopping experience I've had this year",
        ],
        "question": [
            "Hi {brand}, do you ship the {product} to Canada?",
            "When will the {product} be back in stock?",
            "How do I change the delivery address on order {order}?",
            "Is there a discount code for first orders?",
            "Can I pay with PayPal on your site?",
        ],
        "complaint": [
            "Order {order} still hasn't arrived, it's been 2 weeks. Not happy",
            "The {product} arrived damaged and nobody answers my emails",
            "Still waiting on my refund for order {order}, this is ridiculous",
            "Your app keeps crashing at checkout. Very frustrating",
            "I was charged twice for order {order}, please fix this",
        ],
        "angry": [
            "Worst service ever. Order {order} never arrived and I want a refund NOW",
            "I'm filing a chargeback with my bank, {brand} is a total scam",
            "Third time asking: cancel my order {order}! Talking to a lawyer next",
            "Reporting you to the BBB. Terrible, disgusting customer service",
        ],
        "reply": [
            "Hi! So sorry about this. Could you DM us your order number so we can check?",
            "Thanks for reaching out! We've escalated this to our delivery team.",
            "Glad you like it! Thanks for shopping with us :)",
            "Hi there, yes we do! You can find the details on our shipping page.",
            "We're sorry for the trouble. Your refund has been processed today.",
        ],
        "follow_up": {
            "dm": ["Thanks, just sent the DM", "Sent you a DM with the order number"],
            "chase": ["Any update on this?", "Still nothing..."],
            "thanks": [
                "Ok thank you!",
                "That worked, thanks!",
                "Got it, thanks so much",
                "All sorted now, appreciate it",
            ],
        },
        "products": ["headphones", "coffee maker", "running shoes", "backpack", "smartwatch"],
    },
    "pt": {
        "praise": [
            "Recebi meu pedido da {brand} super rápido, adorei!",
            "Atendimento excelente da {brand}, resolveram tudo em minutos",
            "Amei {product}, chegou antes do prazo. Obrigada!",
            "Melhor loja online, recomendo muito",
        ],
        "question": [
            "Oi {brand}, vocês entregam {product} em Recife?",
            "Quando {product} volta ao estoque?",
            "Como altero o endereço de entrega do pedido {order}?",
            "Tem cupom de desconto para primeira compra?",
            "Posso pagar com Pix?",
        ],
        "complaint": [
            "Meu pedido {order} ainda não chegou, já faz duas semanas",
            "{Product} veio com defeito e ninguém responde meus e-mails",
            "Estou esperando o estorno do pedido {order} até hoje",
            "Não estou satisfeito com o atendimento, muito demorado",
            "Fui cobrado duas vezes no pedido {order}, resolvam por favor",
        ],
        "angry": [
            "Péssimo atendimento! O pedido {order} não chegou e quero reembolso já",
            "Vou abrir reclamação no Procon e no Reclame Aqui, que vergonha {brand}",
            "Pela terceira vez: quero cancelar o pedido {order}! Vou entrar com processo",
            "Nunca mais compro na {brand}, é um golpe",
        ],
        "reply": [
            "Olá! Sentimos muito. Pode nos enviar o número do pedido por DM?",
            "Oi! Já encaminhamos para a equipe de entregas, retornamos em breve.",
            "Que bom que gostou! Obrigado pela preferência :)",
            "Olá, entregamos sim! Confira os prazos na página de entrega.",
            "Pedimos desculpas. O estorno foi processado hoje.",
        ],
        "follow_up": {
            "dm": ["Obrigado, mandei a DM", "Mandei o número do pedido na DM"],
            "chase": ["Alguma novidade?", "Até agora nada..."],
            "thanks": ["Ok, obrigada!", "Deu certo, valeu!", "Chegou hoje, obrigado!"],
        },
        # With their article: Portuguese nouns have a gender ("a mochila", "o relógio").
        "products": [
            "o fone de ouvido",
            "a cafeteira",
            "o tênis de corrida",
            "a mochila",
            "o relógio",
        ],
    },
}
# A realistic morning (issue 15): mostly questions, thanks/praise and mild complaints,
# and a few real escalations (legal threats, chargebacks, "scam"). The previous mix
# (13 % angry, 30 % complaints) made more than half of the queue urgent.
_KIND_WEIGHTS = (("praise", 0.25), ("question", 0.45), ("complaint", 0.25), ("angry", 0.05))
# After a brand reply the customer mostly says thanks / "that worked"; some chase up
# ("any update?", "still nothing") and some just confirm they sent a DM.
_FOLLOW_UP_KINDS = (("thanks", 0.6), ("chase", 0.25), ("dm", 0.15))


@dataclass
class DemoFeed:
    """Generates demo traffic. ``history`` yields ~``days`` of past messages up to
    ``anchor``; ``tick`` yields what happens live between two moments."""

    seed: int = 42
    brands: tuple[DemoBrand, ...] = DEMO_BRANDS
    platforms: tuple[str, ...] = CLASSIC_PLATFORMS
    _rng: random.Random = field(init=False)
    _serial: int = field(default=0, init=False)
    _pending_replies: list[tuple[datetime, Message]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # -- building blocks ---------------------------------------------------
    def _next_id(self) -> str:
        self._serial += 1
        return f"demo-{self.seed}-{self._serial}"

    def _open_at(self, brand: DemoBrand, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` when the brand's team works
        (Mon–Fri 09–18, Sat 09–13 local time); agents on call answer some
        urgent messages at night, which is simulated elsewhere."""
        local = moment.astimezone(ZoneInfo(brand.timezone))
        for _ in range(8):
            closes = 13 if local.weekday() == 5 else 18
            if local.weekday() < 6 and local.hour < closes:
                if local.hour < 9:
                    local = local.replace(hour=9, minute=0, second=0)
                return local.astimezone(moment.tzinfo)
            local = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0)
        return moment

    def _customer_message(self, brand: DemoBrand, when: datetime) -> Message:
        rng = self._rng
        texts = _TEXTS[brand.language]
        kind = rng.choices([k for k, _ in _KIND_WEIGHTS], [w for _, w in _KIND_WEIGHTS])[0]
        if self.platforms == CLASSIC_PLATFORMS:
            platform = rng.choices(["x", "reddit"], [0.75, 0.25])[0]
        else:
            weights = (
                COUNTRY_WEIGHTS.get(brand.holidays_country) or PLATFORM_WEIGHTS[brand.language]
            )
            names = [p for p in self.platforms if p in weights]
            platform = rng.choices(names, [weights[p] for p in names])[0]
        # Messenger and Instagram Direct carry more of the talk than X DMs.
        private_share = 0.35 if platform in ("facebook", "instagram") else 0.2
        channel = "private" if rng.random() < private_share else "public"
        if platform in PRIVATE_ONLY:
            channel = "private"
        template = rng.choice(texts[kind])
        product = rng.choice(texts["products"])
        text = template.format(
            brand=brand.name,
            product=product,
            Product=product[:1].upper() + product[1:],
            order=f"#{rng.randint(100000, 999999)}",
        )
        handle = f"demo_{brand.language}_{rng.randint(1, 400)}"
        if platform == "whatsapp":
            # The customer's number (a WhatsApp conversation is per number).
            handle = f"demo_{brand.whatsapp_number[:3]}9{int(handle.rsplit('_', 1)[1]):05d}"
        if channel == "public" and platform == "x":
            text = f"@{brand.x_handle} {text}"
        kind_of = "dm" if channel == "private" else ("mention" if platform == "x" else "comment")
        if channel == "public" and platform == "instagram" and rng.random() < 0.15:
            # Tagged under the customer's own photo (Instagram's /tags).
            text, kind_of = f"@{brand.instagram_handle} {text}", "mention"
        external_id = self._next_id()
        return Message(
            platform=platform,
            external_id=external_id,
            created_at=when,
            text=text,
            direction="inbound",
            kind=kind_of,
            channel=channel,
            source=DEMO_SOURCE,
            author_id=handle,
            author_handle=handle,
            author_name=f"Demo customer {handle[-3:]}",
            author_followers=int(rng.paretovariate(1.2) * 40),
            brand=brand.key,
            thread_ref=f"{platform}-dm-{brand.key}-{handle}" if channel == "private" else None,
            url=None,
            lang=brand.language,
            is_demo=True,
            raw={"demo": True, "kind": kind},
        )

    def _brand_reply(self, brand: DemoBrand, to: Message, when: datetime) -> Message:
        texts = _TEXTS[brand.language]
        handle = brand.handle(to.platform)
        text = self._rng.choice(texts["reply"])
        if to.channel == "public" and to.platform in ("x", "instagram"):
            text = f"@{to.author_handle} {text}"
        return Message(
            platform=to.platform,
            external_id=self._next_id(),
            created_at=when,
            text=text,
            direction="outbound",
            kind="dm" if to.channel == "private" else "reply",
            channel=to.channel,
            source=DEMO_SOURCE,
            author_id=handle,
            author_handle=handle,
            author_name=brand.name,
            brand=brand.key,
            in_reply_to_id=None if to.channel == "private" else to.external_id,
            thread_ref=to.thread_ref,
            lang=brand.language,
            is_demo=True,
            raw={"demo": True},
        )

    def _follow_up(
        self, brand: DemoBrand, to: Message, original: Message, when: datetime
    ) -> Message:
        message = self._customer_message(brand, when)
        kinds = [k for k, _ in _FOLLOW_UP_KINDS]
        kind = self._rng.choices(kinds, [w for _, w in _FOLLOW_UP_KINDS])[0]
        message.text = self._rng.choice(_TEXTS[brand.language]["follow_up"][kind])
        message.raw = {"demo": True, "kind": f"follow_up_{kind}"}
        message.author_id = message.author_handle = original.author_handle
        message.platform, message.channel = original.platform, original.channel
        message.kind = "dm" if original.channel == "private" else "reply"
        message.thread_ref = original.thread_ref
        message.in_reply_to_id = None if original.channel == "private" else to.external_id
        return message

    def _reply_delay(self, brand: DemoBrand, message: Message, scale: float) -> timedelta:
        scale *= DELAY_SCALE.get((message.platform, message.channel), 1.0)
        minutes = self._rng.lognormvariate(0, 0.9) * brand.typical_reply_minutes * scale
        return timedelta(minutes=max(0.5, minutes))

    def _plan_replies(self, brand: DemoBrand, message: Message, *, scale: float) -> None:
        """Decide whether and when the brand answers, and whether the customer
        writes back; everything planned goes to the pending queue."""
        rng = self._rng
        escalation = (message.raw or {}).get("kind") == "angry"
        if not escalation and rng.random() > brand.answer_rate:
            return  # never answered: it stays in the queue
        start = message.created_at
        # Most replies wait for business hours; escalations are taken by the agent on
        # call, and answered faster (a team works its queue by priority).
        if not escalation and rng.random() > 0.15:
            start = self._open_at(brand, start)
        if escalation:
            scale = scale * 0.5
        reply = self._brand_reply(brand, message, start + self._reply_delay(brand, message, scale))
        self._pending_replies.append((reply.created_at, reply))
        if rng.random() < 0.3:
            follow_at = reply.created_at + timedelta(minutes=rng.uniform(2, 90) * scale)
            follow = self._follow_up(brand, reply, message, follow_at)
            self._pending_replies.append((follow.created_at, follow))

    def _due(self, until: datetime) -> list[Message]:
        due = [m for at, m in self._pending_replies if at <= until]
        self._pending_replies = [(at, m) for at, m in self._pending_replies if at > until]
        return sorted(due, key=lambda m: m.created_at)

    # -- public API --------------------------------------------------------
    def history(self, anchor: datetime, *, days: int = 30) -> Iterator[list[Message]]:
        """Yield one batch per simulated hour for the ``days`` before ``anchor``:
        customer messages (more in the daytime), brand replies and follow-ups."""
        anchor = to_utc(anchor).replace(minute=0, second=0, microsecond=0)
        hour = anchor - timedelta(days=days)
        rng = self._rng
        while hour < anchor:
            batch: list[Message] = []
            for brand in self.brands:
                local_hour = hour.astimezone(ZoneInfo(brand.timezone)).hour
                weight = 1.6 if 9 <= local_hour <= 22 else 0.35
                expected = brand.daily_volume / 24 * weight
                count = sum(
                    1
                    for _ in range(int(expected * 3) + 1)
                    if rng.random() < expected / (int(expected * 3) + 1)
                )
                for _ in range(count):
                    when = hour + timedelta(seconds=rng.randint(0, 3599))
                    message = self._customer_message(brand, when)
                    batch.append(message)
                    self._plan_replies(brand, message, scale=1.0)
            hour += timedelta(hours=1)
            batch.extend(self._due(hour))
            yield sorted(batch, key=lambda m: m.created_at)

    def tick(self, now: datetime, *, new_messages: int = 1) -> list[Message]:
        """Live step: ``new_messages`` customer messages at ``now`` and every brand
        reply now due. Live replies come within seconds to minutes so that a
        viewer sees conversations change state."""
        now = to_utc(now)
        batch = []
        for _ in range(new_messages):
            brand = self._rng.choice(self.brands)
            message = self._customer_message(brand, now)
            batch.append(message)
            if self._rng.random() < brand.answer_rate:
                reply = self._brand_reply(
                    brand, message, now + timedelta(seconds=self._rng.uniform(15, 240))
                )
                self._pending_replies.append((reply.created_at, reply))
        return batch + self._due(now)


def demo_brand_for(language: str) -> DemoBrand | None:
    """The demo brand whose team speaks ``language`` ("pt-BR": Loja Aurora in
    America/Sao_Paulo with BR holidays; "pt-PT": Mercado Luz in Europe/Lisbon
    with PT holidays); None for English (the dashboard then shows every brand)."""
    if language == "en":
        return None
    return next((b for b in DEMO_BRANDS if b.interface_language == language), None)
