"""The synthetic support-case generator: seeded, deterministic, with known true label probabilities.

The data-generating process, step by step (all coefficients are in the tables below):

1. **Account context.** Language (en/fr/de/es, ~5% left blank), a country matching it, channel, plan,
   integration type, industry, account age, monthly volume and the 30-day counts (disputes, failed
   payouts, declined charges, previous cases) are drawn independently per case; `create_time` is uniform
   over `days` days from `start + offset_days`. The *window* is always `start` .. `start + days` (the
   default model's training period); `offset_days = 0` dates the cases inside it, `offset_days >= days`
   after it (e.g. live traffic a model trained on the window has never seen).
2. **Topic prior.** Each queue y gets a context logit
   `L[y] = -imbalance * ln(1 + popularity rank of y) + context effects (TOPIC_EFFECTS) + drift * years * DRIFT[y]`,
   so class imbalance, the context and the case's date all shift which queue a case is about (`years`
   counts from `start`, and keeps growing past the window).
3. **Text.** A latent topic z ~ softmax(L) picks the help-centre article(s) the message talks about.
   The message holds 1-3 phrases of z's articles; with probability `multi_topic` one phrase of another
   queue; with probability `ambiguity` only a phrase shared by 2-3 queues (AMBIGUOUS); with probability
   `vague` (doubled on chat) no informative phrase at all ("it's broken again!!"). Urgent, escalation and
   angry phrases, greetings and filler are added; then each word gets a typo with probability `typo_rate`.
   Every informative phrase adds to an evidence vector `e` (1 to its queue, 0.6 to each queue of an
   ambiguous phrase), and the counts `u`, `s`, `a` of urgent, escalation and angry phrases are kept.
4. **Labels**, each drawn from a distribution that is a function of the observed case only, so the
   probabilities below ARE the Bayes-optimal predictions (typos never make two phrases collide):
   - routing: `p = (1 - label_noise) * softmax(L + BETA * e + R) + label_noise / K`, where R is the
     concept drift: after the window a routing-policy change (REROUTE) resolves cases whose text points
     at a source queue in another queue, `R[target] = drift * years past the window * REROUTE_STRENGTH
     * e[source]` (0 inside the window, so the window's cases are as without it). The text does not
     change, so a model trained on the window grows wrong on later cases without seeing anything new.
   - escalation: logistic in plan, disputes, previous cases, account age, channel, `s`, `u` and `e`
   - urgency: ordered logit on a score of `u`, failed payouts, plan, channel, `s` and `e`
   - CSAT negative: logistic in `a`, previous cases, channel, the urgency score, vagueness and `e`
   - resolution hours: log-normal, mean from the true routing posterior, `s`, `u`, plan, channel;
     spread grows with routing uncertainty, so p50/p90 are known exactly.
   Binary and ordinal labels get the same label noise (mixed with the uniform distribution).
   With `interactions = s > 0`, thresholds and interactions of the account context join those logits
   (INTERACTION_* below; off by default, so the default data are as before): escalation gains
   `s * (1.8 * enterprise * [disputes >= 2] + 1.4 * [age < 90 days] * [volume >= $50k])`; failed payouts
   raise urgency only above a monthly volume of $50k (`s * (1.6 * [volume >= $50k] - 0.5) * log1p(failed)`,
   which at s = 1 cancels the linear term below that volume); CSAT risk gains
   `s * (1.6 * [previous >= 2] * [plan != standard] + 1.2 * [age < 90 days] * [failed payouts >= 1])`.
   They are functions of the observed case, so the probabilities stay the exact Bayes-optimal
   predictions; a model linear in the features cannot express them.
5. **Articles**: the relevant articles of a case are those whose phrases it contains.
6. **What is known but not observed** (in `truth`, beside the probabilities): the latent topic z, and
   for routing and urgency whether the label came from the noise component. A label y of a mixture
   `(1 - noise) * q + noise / K` came from the noise with probability `(noise / K) / p[y]`; that
   indicator is drawn given y from a stream of its own (TRUTH_STREAM), which samples the same joint
   distribution as drawing it first, and leaves every case, label and probability as it was.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from supportability.data import vocabulary as vocab
from supportability.data.dataset import Article, LabeledCases
from supportability.domain import CHANNELS, INTEGRATION_TYPES, SUPPORT_PLANS, URGENCY_LEVELS, Case

QUEUES = vocab.QUEUES
K = len(QUEUES)
Q = {name: i for i, name in enumerate(QUEUES)}
INDUSTRIES = ("software", "retail", "food_and_beverage", "travel", "marketplaces", "nonprofit", "education", "health")
COUNTRIES = {
    "en": ("US", "GB", "IE", "AU", "CA"),
    "fr": ("FR", "BE", "CA"),
    "de": ("DE", "AT", "CH"),
    "es": ("ES", "MX"),
}
BETA = 3.5  # logit added to a queue per informative phrase
AMBIGUOUS_WEIGHT = 0.6  # fraction of BETA an ambiguous phrase adds to each of its queues
URGENCY_CUTS = (-1.0, 1.9, 3.6)  # ordered-logit thresholds between low|normal|high|critical
Z90 = 1.2815515655446004

# Per-queue coefficients on the evidence e[y] (escalation, urgency, CSAT) and mean log-hours (resolution).
ESCALATION_BY_QUEUE = {
    "payouts": 0.2,
    "disputes": 0.4,
    "refunds": -0.1,
    "identity_verification": 0.1,
    "billing": -0.3,
    "subscriptions": -0.2,
    "api_integration": 0.5,
    "connected_accounts": 0.3,
    "fraud_risk": 0.6,
    "terminal_hardware": 0.2,
    "tax_forms": -0.2,
    "account_access": -0.2,
}
URGENCY_BY_QUEUE = {
    "payouts": 0.4,
    "disputes": 0.2,
    "refunds": 0.0,
    "identity_verification": 0.1,
    "billing": -0.3,
    "subscriptions": -0.2,
    "api_integration": 0.2,
    "connected_accounts": 0.1,
    "fraud_risk": 0.4,
    "terminal_hardware": 0.5,
    "tax_forms": -0.4,
    "account_access": 0.3,
}
CSAT_BY_QUEUE = {
    "payouts": 0.2,
    "disputes": 0.4,
    "refunds": 0.2,
    "identity_verification": 0.4,
    "billing": 0.0,
    "subscriptions": -0.1,
    "api_integration": 0.1,
    "connected_accounts": 0.1,
    "fraud_risk": 0.3,
    "terminal_hardware": 0.1,
    "tax_forms": -0.1,
    "account_access": 0.2,
}
LOG_HOURS_BY_QUEUE = {
    "payouts": 0.3,
    "disputes": 1.4,
    "refunds": 0.2,
    "identity_verification": 0.9,
    "billing": -0.2,
    "subscriptions": -0.1,
    "api_integration": 0.8,
    "connected_accounts": 0.7,
    "fraud_risk": 1.2,
    "terminal_hardware": 0.4,
    "tax_forms": 0.6,
    "account_access": -0.4,
}
DRIFT = {"connected_accounts": 0.5, "tax_forms": 0.4, "terminal_hardware": -0.4, "api_integration": 0.2}
# Concept drift after the window: source queue -> the queue that resolves its cases under the new policy.
REROUTE = {
    "payouts": "connected_accounts",  # platforms' payout questions go to the Connect team
    "connected_accounts": "api_integration",  # Connect onboarding moves to integration support
    "tax_forms": "identity_verification",  # tax-form (TIN) checks move to the verification team
    "subscriptions": "billing",  # the subscriptions team merges into billing
    "refunds": "disputes",  # refunds are handled beside disputes
}
REROUTE_STRENGTH = 1.0  # logit per drift unit, year past the window and unit of source evidence
# The threshold and interaction effects behind `interactions` (step 4): the thresholds of the account context.
INTERACTION_DISPUTES = 2  # an enterprise account with this many disputes in 30 days escalates more
INTERACTION_NEW_ACCOUNT_DAYS = 90  # a new account with a large volume escalates more (and is more upset)
INTERACTION_VOLUME = 50_000.0  # monthly volume above which failed payouts make a case urgent
TRUTH_STREAM = 19  # seeds the noise indicators' generator with the data's seed (step 6)


@dataclass(frozen=True)
class GeneratorConfig:
    """The knobs of the data-generating process (see the module docstring)."""

    n_cases: int = 30_000
    seed: int = 7
    imbalance: float = 0.8  # Zipf exponent of the queue prior; 0 = balanced
    label_noise: float = 0.03  # share of labels drawn uniformly at random
    ambiguity: float = 0.12  # share of cases whose only topic phrase is shared by several queues
    multi_topic: float = 0.10  # share of cases that also mention a second queue
    vague: float = 0.05  # share of short messages with no topic information (doubled on chat)
    typo_rate: float = 0.02  # per-word probability of a typo
    # How fast the world changes: the topic prior's slope over time (step 2) and, after the window, the
    # routing policy's (step 4's REROUTE term, which grows with the years past the window).
    drift: float = 1.0
    start: str = "2024-01-01"  # the window is start .. start + days
    days: int = 730
    offset_days: float = 0.0  # the cases' dates span `days` from start + offset_days: 0 the window, >= days after it
    interactions: float = 0.0  # strength of the threshold and interaction effects of step 4; 0 = none

    def describe(self) -> str:
        fields = asdict(self)
        for knob in ("offset_days", "interactions"):  # left out at 0, so earlier data keep their source string
            if not fields[knob]:
                del fields[knob]
        return "synthetic:" + ",".join(f"{k}={v}" for k, v in fields.items())


def help_centre() -> tuple[Article, ...]:
    """The generator's help centre: one article per entry of vocabulary.ARTICLES, text in all languages."""
    return tuple(
        Article(article_id, queue, title, " ".join([title] + [p for phrases in by_lang.values() for p in phrases]))
        for article_id, queue, title, by_lang in vocab.ARTICLES
    )


def generate(config: GeneratorConfig = GeneratorConfig()) -> LabeledCases:
    """Generate `config.n_cases` labelled cases with their true label probabilities, latent topics and noise
    indicators (in `.truth`)."""
    rng = np.random.default_rng(config.seed)
    text_rng = random.Random(config.seed)
    n = config.n_cases
    context = _draw_context(rng, n, config)
    topic_logits = _topic_logits(context, config)
    latent_topic = _sample_categorical(rng, _softmax(topic_logits))

    texts = [_write_case(text_rng, config, context, i, int(latent_topic[i])) for i in range(n)]
    evidence = np.array([t.evidence for t in texts])
    urgent = np.array([t.urgent for t in texts], dtype=float)
    escalate = np.array([t.escalate for t in texts], dtype=float)
    angry = np.array([t.angry for t in texts], dtype=float)
    vague = np.array([t.vague for t in texts], dtype=float)

    noise = config.label_noise
    route_logits = topic_logits + BETA * evidence
    years_past = np.maximum(context["day"] - config.days, 0.0) / 365.0
    if years_past.any():  # cases after the window: the routing policy has changed (REROUTE)
        route_logits = route_logits + _reroute_logits(evidence, years_past, config)
    p_route = (1 - noise) * _softmax(route_logits) + noise / K
    c = context
    esc_logit = (
        -2.6
        + 1.1 * c["enterprise"]
        + 0.5 * c["premium"]
        + 0.45 * np.log1p(c["disputes"])
        + 0.3 * np.log1p(c["previous"])
        - 0.25 * (np.log1p(c["age"]) - 6)
        + 0.3 * c["phone"]
        + 1.6 * escalate
        + 0.6 * urgent
        + evidence @ _by_queue(ESCALATION_BY_QUEUE)
    )
    effects = _interactions(c, config.interactions) if config.interactions else None
    if effects is not None:
        esc_logit = esc_logit + effects["escalation"]
    p_escalation = (1 - noise) * _sigmoid(esc_logit) + noise / 2
    urgency_score = (
        1.6 * urgent
        + 0.5 * np.log1p(c["failed_payouts"])
        + 0.4 * c["enterprise"]
        + 0.4 * c["phone"]
        + 0.3 * escalate
        + evidence @ _by_queue(URGENCY_BY_QUEUE)
    )
    if effects is not None:
        urgency_score = urgency_score + effects["urgency"]
    cumulative = _sigmoid(np.array(URGENCY_CUTS)[None, :] - urgency_score[:, None])
    p_urgency = np.diff(np.hstack([np.zeros((n, 1)), cumulative, np.ones((n, 1))]), axis=1)
    p_urgency = (1 - noise) * p_urgency + noise / len(URGENCY_LEVELS)
    csat_logit = (
        -1.7
        + 1.2 * angry
        + 0.35 * np.log1p(c["previous"])
        + c["channel_csat"]
        + 0.25 * urgency_score
        + 0.5 * vague
        + evidence @ _by_queue(CSAT_BY_QUEUE)
    )
    if effects is not None:
        csat_logit = csat_logit + effects["csat"]
    p_csat = (1 - noise) * _sigmoid(csat_logit) + noise / 2
    mu = (
        2.2
        + p_route @ _by_queue(LOG_HOURS_BY_QUEUE)
        + 0.5 * escalate
        - 0.3 * urgent
        - 0.4 * c["enterprise"]
        - 0.2 * c["premium"]
        + 0.1 * np.log1p(c["previous"])
        + c["channel_hours"]
    )
    sigma = 0.5 + 0.4 * (1 - p_route.max(axis=1))

    queue = _sample_categorical(rng, p_route)
    escalated = (rng.random(n) < p_escalation).astype(np.int8)
    urgency = _sample_categorical(rng, p_urgency)
    csat_negative = (rng.random(n) < p_csat).astype(np.int8)
    hours = np.exp(mu + sigma * rng.standard_normal(n))

    truth_rng = np.random.default_rng([config.seed, TRUTH_STREAM])
    routing_noise = _came_from_noise(truth_rng, p_route, queue, noise)
    urgency_noise = _came_from_noise(truth_rng, p_urgency, urgency, noise)

    cases = [_make_case(config, context, i, texts[i]) for i in range(n)]
    article_ids = np.empty(n, dtype=object)
    article_ids[:] = [t.articles for t in texts]
    return LabeledCases(
        cases=cases,
        labels={
            "queue": np.array(QUEUES, dtype=object)[queue],
            "escalated": escalated,
            "urgency": np.array(URGENCY_LEVELS, dtype=object)[urgency],
            "csat_negative": csat_negative,
            "resolution_hours": hours,
            "article_ids": article_ids,
        },
        source=config.describe(),
        articles=help_centre(),
        truth={
            "queues": np.array(QUEUES, dtype=object),
            "routing": p_route,
            "escalation": p_escalation,
            "urgency": p_urgency,
            "csat_risk": p_csat,
            "resolution_p50": np.exp(mu),
            "resolution_p90": np.exp(mu + Z90 * sigma),
            "topic": np.array(QUEUES, dtype=object)[latent_topic],
            "routing_noise": routing_noise,
            "urgency_noise": urgency_noise,
        },
    )


def _draw_context(rng: np.random.Generator, n: int, config: GeneratorConfig) -> dict[str, np.ndarray]:
    languages = np.array(vocab.LANGUAGES)[rng.choice(4, n, p=[0.55, 0.15, 0.15, 0.15])]
    country = np.array(
        [COUNTRIES[lang][j % len(COUNTRIES[lang])] for lang, j in zip(languages, rng.integers(0, 60, n), strict=True)],
        dtype=object,
    )
    channel = rng.choice(len(CHANNELS), n, p=[0.35, 0.25, 0.10, 0.20, 0.10])
    plan = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    integration = rng.choice(len(INTEGRATION_TYPES), n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    industry = rng.choice(len(INDUSTRIES), n)
    volume = np.round(np.exp(rng.normal(9.5 + 1.2 * plan, 1.3)), 2)
    volume_factor = np.sqrt(volume / 20_000)
    integration_name = np.array(INTEGRATION_TYPES)[integration]
    return {
        "language": languages,
        "language_known": rng.random(n) > 0.05,  # ~5% of cases arrive without a language tag
        "country": country,
        "channel": channel,
        "phone": (channel == CHANNELS.index("phone")).astype(float),
        "channel_csat": np.array([0.3, -0.3, -0.4, 0.2, 0.0])[channel],
        "channel_hours": np.array([0.1, -0.5, -0.3, 0.0, 0.2])[channel],
        "plan": plan,
        "premium": (plan == 1).astype(float),
        "enterprise": (plan == 2).astype(float),
        "integration": integration_name,
        "industry": np.array(INDUSTRIES)[industry],
        "age": rng.exponential(600, n).astype(int),
        "volume": volume,
        "disputes": rng.poisson(0.4 * volume_factor),
        "failed_payouts": rng.poisson(0.3, n),
        "declined": rng.poisson(3 * volume_factor),
        "previous": rng.poisson(0.8, n),
        "day": rng.random(n) * config.days + config.offset_days,  # days since `start`
    }


def _topic_logits(c: dict[str, np.ndarray], config: GeneratorConfig) -> np.ndarray:
    n = len(c["day"])
    logits = np.tile(-config.imbalance * np.log1p(np.arange(K)), (n, 1))

    def add(queue: str, effect: np.ndarray) -> None:
        logits[:, Q[queue]] += effect

    # TOPIC_EFFECTS: how the account context shifts which queue a case is about.
    add("terminal_hardware", 2.0 * (c["integration"] == "terminal"))
    add("connected_accounts", 1.8 * (c["integration"] == "platform") + 0.5 * (c["industry"] == "marketplaces"))
    add("api_integration", 1.2 * (c["integration"] == "direct_api") + 0.4 * (c["industry"] == "software"))
    add("payouts", 0.8 * np.log1p(c["failed_payouts"]))
    add("disputes", 0.8 * np.log1p(c["disputes"]))
    add("fraud_risk", 0.3 * np.log1p(c["disputes"]) + 0.25 * np.log1p(c["declined"]))
    add("identity_verification", -0.5 * (np.log1p(c["age"]) - 6))
    add("tax_forms", 0.6 * (c["country"] == "US"))
    add("subscriptions", 0.6 * (c["industry"] == "software"))
    years = c["day"] / 365.0
    for queue, slope in DRIFT.items():
        add(queue, config.drift * slope * years)
    return logits


def _reroute_logits(evidence: np.ndarray, years_past: np.ndarray, config: GeneratorConfig) -> np.ndarray:
    """The concept drift R of step 4: each REROUTE target gains its source's evidence, scaled by the
    drift knob and the years past the window."""
    shift = np.zeros_like(evidence)
    for source, target in REROUTE.items():
        shift[:, Q[target]] += config.drift * REROUTE_STRENGTH * years_past * evidence[:, Q[source]]
    return shift


def _interactions(c: dict[str, np.ndarray], strength: float) -> dict[str, np.ndarray]:
    """The threshold and interaction terms of step 4 (INTERACTION_*), per logit, times `strength`."""
    new_account = c["age"] < INTERACTION_NEW_ACCOUNT_DAYS
    large = c["volume"] >= INTERACTION_VOLUME
    return {
        "escalation": strength
        * (1.8 * c["enterprise"] * (c["disputes"] >= INTERACTION_DISPUTES) + 1.4 * (new_account & large)),
        # Failed payouts matter for urgency only above a volume: most of the linear term moves behind the threshold.
        "urgency": strength * (1.6 * large - 0.5) * np.log1p(c["failed_payouts"]),
        "csat": strength
        * (1.6 * (c["previous"] >= 2) * (c["plan"] > 0) + 1.2 * (new_account & (c["failed_payouts"] >= 1))),
    }


@dataclass
class _Text:
    subject: str
    body: str
    evidence: np.ndarray
    urgent: int
    escalate: int
    angry: int
    vague: bool
    articles: tuple[str, ...]


_ARTICLES_BY_QUEUE: dict[int, list[tuple[str, dict[str, list[str]]]]] = {}
for _id, _queue, _title, _phrases in vocab.ARTICLES:
    _ARTICLES_BY_QUEUE.setdefault(Q[_queue], []).append((_id, _phrases))
_AMBIGUOUS_BY_QUEUE = {q: [a for a in vocab.AMBIGUOUS if QUEUES[q] in a[0]] for q in range(K)}


def _write_case(r: random.Random, config: GeneratorConfig, c: dict[str, np.ndarray], i: int, topic: int) -> _Text:
    lang = str(c["language"][i])
    channel = CHANNELS[int(c["channel"][i])]
    evidence = np.zeros(K)
    articles: list[str] = []
    sentences: list[str] = []

    def topic_phrase(queue: int, article: tuple[str, dict[str, list[str]]] | None = None) -> str:
        article_id, phrases = article or r.choice(_ARTICLES_BY_QUEUE[queue])
        evidence[queue] += 1
        if article_id not in articles:
            articles.append(article_id)
        return r.choice(phrases[lang])

    def framed(phrase: str) -> str:
        return r.choice(vocab.FRAMES[lang]).format(phrase)

    vague = r.random() < config.vague * (2 if channel == "chat" else 1)
    subject = r.choice(vocab.GENERIC_SUBJECTS[lang])
    if vague:
        body = r.choice(vocab.VAGUE[lang])
    else:
        ambiguous = _AMBIGUOUS_BY_QUEUE[topic]
        if ambiguous and r.random() < config.ambiguity:
            queues, phrase_by_lang = r.choice(ambiguous)
            for queue in queues:
                evidence[Q[queue]] += AMBIGUOUS_WEIGHT
            sentences.append(framed(phrase_by_lang[lang]))
        else:
            primary = r.choice(_ARTICLES_BY_QUEUE[topic])
            if r.random() < 0.5:
                subject = topic_phrase(topic, primary).capitalize()
            count = r.choices((1, 2, 3), weights=(0.45, 0.4, 0.15))[0]
            for k in range(count):
                same_article = k == 0 or r.random() < 0.7
                sentences.append(framed(topic_phrase(topic, primary if same_article else None)))
        if r.random() < config.multi_topic:
            other = r.choice([q for q in range(K) if q != topic])
            sentences.append(framed(topic_phrase(other)))
        r.shuffle(sentences)
    urgent = int(r.random() < 0.08 + 0.12 * (topic in (Q["payouts"], Q["terminal_hardware"], Q["fraud_risk"])))
    escalate = int(r.random() < 0.08 + 0.05 * float(c["enterprise"][i]))
    angry = int(r.random() < 0.07 + 0.05 * min(int(c["previous"][i]), 3))
    extra = (
        [r.choice(vocab.URGENT[lang])] * urgent
        + [r.choice(vocab.ESCALATE[lang])] * escalate
        + [r.choice(vocab.ANGRY[lang])] * angry
    )
    if not vague:
        filler_count = r.randint(0, 1) if channel == "chat" else r.randint(0, 3)
        sentences += r.sample(vocab.FILLER[lang], min(filler_count, len(vocab.FILLER[lang])))
        body = " ".join(sentences + [s + "." for s in extra])
        if channel in ("email", "web_form"):
            body = f"{r.choice(vocab.GREETINGS[lang])} {body} {r.choice(vocab.SIGN_OFFS[lang])}"
    else:
        body = " ".join([body] + [s + "!" for s in extra])
    if channel == "api":
        subject = "[API] " + subject
    elif channel == "phone":
        body = "Call summary: " + body
    return _Text(
        _typos(r, subject, config.typo_rate),
        _typos(r, body, config.typo_rate),
        evidence,
        urgent,
        escalate,
        angry,
        vague,
        tuple(articles),
    )


def _typos(r: random.Random, text: str, rate: float) -> str:
    """Swap two adjacent letters inside some words (never the first letter, so words stay recognisable)."""
    if rate <= 0:
        return text
    words = text.split(" ")
    for k, word in enumerate(words):
        if len(word) >= 4 and word.isalpha() and r.random() < rate:
            j = r.randrange(1, len(word) - 1)
            words[k] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _make_case(config: GeneratorConfig, c: dict[str, np.ndarray], i: int, text: _Text) -> Case:
    created = datetime.fromisoformat(config.start).replace(tzinfo=UTC) + timedelta(days=float(c["day"][i]))
    return Case(
        subject=text.subject,
        body=text.body,
        channel=CHANNELS[int(c["channel"][i])],
        language=str(c["language"][i]) if c["language_known"][i] else "",
        case_id=f"case-{config.seed}-{i:06d}",
        create_time=created.replace(microsecond=0),
        merchant_id=f"acct_{config.seed}_{i % 9973:04d}",
        country_code=str(c["country"][i]),
        account_age_days=int(c["age"][i]),
        industry=str(c["industry"][i]),
        support_plan=SUPPORT_PLANS[int(c["plan"][i])],
        monthly_volume_usd=float(c["volume"][i]),
        integration_type=str(c["integration"][i]),
        disputes_30d=int(c["disputes"][i]),
        failed_payouts_30d=int(c["failed_payouts"][i]),
        declined_charges_30d=int(c["declined"][i]),
        previous_cases_30d=int(c["previous"][i]),
    )


def _by_queue(table: dict[str, float]) -> np.ndarray:
    return np.array([table.get(q, 0.0) for q in QUEUES])


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _came_from_noise(rng: np.random.Generator, probs: np.ndarray, drawn: np.ndarray, noise: float) -> np.ndarray:
    """Whether each drawn label came from the uniform noise component of `probs` (step 6), given the label."""
    posterior = (noise / probs.shape[1]) / probs[np.arange(len(drawn)), drawn]
    return rng.random(len(drawn)) < posterior


def _sample_categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row by inverse CDF (vectorised; deterministic for a given generator state)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return np.minimum((u > cdf).sum(axis=1), probs.shape[1] - 1)
