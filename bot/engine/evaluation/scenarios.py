"""Seeded evaluation scenarios with ground truth: main, hard and volume-shift streams."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from bot.engine.evaluation.streams import Planter, outage
from bot.engine.evaluation.truth import Negative, NegativeKind, Scenario, Story
from bot.engine.generator import START, StreamGenerator, merge
from bot.posts import Post

LEADERS = ("karpathy", "sama", "tobi", "elonmusk", "naval")
QUOTE_EVERY = 3  # of the Japanese posts on a leader's coinage, those quoting the leader's post
EARLIEST_STORY_MINUTE = 240  # after the current engine's 2 h warm-up, with some history


@dataclass(frozen=True, slots=True)
class Plan:
    """One story to plant: its forms, how fast it spreads and who (if anyone) coined it."""

    id: str
    kind: str
    variants: tuple[str, ...]
    weights: tuple[float, ...]
    names: tuple[str, ...]
    core: str
    peak: float
    ramp: int = 60
    hold: int = 45
    decay: int = 60
    leader: str | None = None
    leader_text: str = ""
    japanese: bool = False
    source: str | None = None  # every post on this network (else each on a random one)


class _Builder:
    """Collects posts and ground truth for one scenario."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.seed = seed
        self.gen = StreamGenerator(seed)
        self.rng = self.gen.rng
        self.pl = Planter(self.gen)
        self.parts: list[list[Post]] = []
        self.stories: list[Story] = []
        self.negatives: list[Negative] = []

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def background(self, hours: float, per_minute: float, start_minute: float = 0.0) -> None:
        self.parts.append(self.gen.background(hours, per_minute * 0.9, start_minute=start_minute))
        self.parts.append(self.pl.japanese_chatter(hours, per_minute * 0.1, start_minute))

    def plant(
        self,
        plan: Plan,
        start: float,
        extra: Sequence[Post] = (),
        quoting: Sequence[Post] = (),
    ) -> None:
        """Adopters from ``start``; a leader's coining post 15-60 min before them.

        ``quoting`` (some of ``extra``) quote the leader's post, as a quote-post carries it.
        """
        posts = self.pl.story(
            plan.variants,
            plan.weights,
            start_minute=start,
            peak=plan.peak,
            ramp=plan.ramp,
            hold=plan.hold,
            decay=plan.decay,
            pool=f"{plan.id}_",
            japanese=plan.japanese,
        )
        if plan.source is not None:
            posts = [msgspec.structs.replace(p, source=plan.source) for p in posts]
        posts += extra
        if plan.leader:
            lead = self.uniform(15, 60)
            seed = self.pl.post(start - lead, plan.leader, plan.leader_text, "x")
            quote = {p.id for p in quoting}
            posts = [
                msgspec.structs.replace(p, quotes=seed.id) if p.id in quote else p for p in posts
            ]
            posts.append(seed)
        posts.sort(key=lambda p: p.created_at)
        self.parts.append(posts)
        self.stories.append(
            Story(
                id=plan.id,
                kind=plan.kind,
                names=plan.names,
                variants=plan.variants,
                core=plan.core,
                first_post=posts[0].created_at,
                leader=plan.leader,
                peak_per_minute=round(plan.peak, 1),
                tenth_post=posts[9].created_at if len(posts) >= 10 else None,
            )
        )

    def negative(
        self, nid: str, kind: NegativeKind, phrases: tuple[str, ...], posts: list[Post]
    ) -> None:
        self.parts.append(posts)
        self.negatives.append(Negative(nid, kind, phrases))

    def leaders(self, hours: float) -> None:
        self.parts.append(self.pl.leader_chatter(LEADERS, hours, every_minutes=90))

    def build(self, hours: float, delivery: list[Post] | None = None) -> Scenario:
        posts = delivery if delivery is not None else merge(*self.parts)
        return Scenario(
            name=self.name,
            seed=self.seed,
            start=START,
            end=START + timedelta(hours=hours),
            posts=posts,
            stories=self.stories,
            negatives=self.negatives,
            leaders=LEADERS,
        )


# A ring's template: each account fills every slot with one of its words.
NEAR_RING_TEMPLATE = (
    ("grab", "get", "claim"),
    ("the",),
    ("quellix",),
    ("airdrop", "drop", "giveaway"),
    ("now", "today", "fast", "asap"),
)


def _ghosts(b: _Builder, start: float) -> None:
    """Leader-coined English story with a Japanese form in the same time frame."""
    peak = b.uniform(3, 10)
    ramp = int(b.uniform(45, 180))
    plan = Plan(
        id="ghosts",
        kind="leader, EN+JA, hashtag, inflected",
        variants=(
            "summoning ghosts",
            "Summoning Ghosts",
            "summoned ghosts",
            "summon ghosts",
            "#SummoningGhosts",
            "幽霊を召喚",
        ),
        weights=(0.45, 0.1, 0.15, 0.1, 0.2, 0.0),
        names=("summoning ghosts", "Summoning Ghosts", "#SummoningGhosts", "幽霊を召喚"),
        core="summoning ghosts",
        peak=peak,
        ramp=ramp,
        leader="karpathy",
        leader_text="we're summoning ghosts, not building animals",
    )
    ja_start = start + b.uniform(0, 30)
    japanese = b.pl.story(
        ["幽霊を召喚"],
        [1.0],
        start_minute=ja_start,
        peak=peak * 0.4,
        ramp=ramp,
        hold=45,
        decay=60,
        pool="ghosts_ja_",
        japanese=True,
    )
    both = b.pl.story(
        ["summoning ghosts (幽霊を召喚)", "幽霊を召喚 summoning ghosts"],
        [1.0, 1.0],
        start_minute=ja_start,
        peak=peak * 0.1,
        ramp=ramp,
        hold=45,
        decay=60,
        pool="ghosts_both_",
    )
    # Japanese posts about a leader's words often quote the leader's post: every third here
    # (picked by position, so every other post of the stream stays as it was).
    b.plant(plan, start, [*japanese, *both], quoting=japanese[::QUOTE_EVERY])


def _main_plans(b: _Builder) -> list[Plan]:
    u = b.uniform
    return [
        Plan(
            "vibe",
            "organic, hashtag, hyphenated",
            ("vibe coding", "Vibe Coding", "#VibeCoding", "vibe-coded"),
            (0.5, 0.15, 0.2, 0.15),
            ("vibe coding", "Vibe Coding", "#VibeCoding"),
            "vibe coding",
            u(4, 12),
            ramp=int(u(45, 180)),
        ),
        Plan(
            "goblin",
            "organic cashtag",
            ("$GOBLIN", "$goblin", "goblin coin", "goblincoin"),
            (0.4, 0.15, 0.3, 0.15),
            ("$GOBLIN", "goblin coin", "goblincoin"),
            "goblin coin",
            u(5, 15),
            ramp=int(u(45, 180)),
        ),
        Plan(
            "context",
            "leader; another leader said 'Engineering...' earlier",
            ("context engineering", "Context Engineering", "#ContextEngineering"),
            (0.6, 0.15, 0.25),
            ("context engineering", "Context Engineering", "#ContextEngineering"),
            "context engineering",
            u(3, 8),
            ramp=int(u(45, 180)),
            leader="tobi",
            leader_text="context engineering > prompting. fill the window with the right stuff",
        ),
        Plan(
            "singularity",
            "leader; another leader said 'singularity' earlier",
            ("gentle singularity", "the gentle singularity", "#GentleSingularity"),
            (0.6, 0.2, 0.2),
            (
                "gentle singularity",
                "Gentle Singularity",
                "the gentle singularity",
                "#GentleSingularity",
            ),
            "gentle singularity",
            u(3, 8),
            ramp=int(u(45, 180)),
            leader="sama",
            leader_text="we are past the event horizon. a gentle singularity, slowly then fast",
        ),
        Plan(
            "cartography",
            "organic, slow (1-2/min)",
            ("latent cartography", "#LatentCartography"),
            (0.7, 0.3),
            ("latent cartography", "Latent Cartography", "#LatentCartography"),
            "latent cartography",
            u(1, 2),
            ramp=120,
            hold=120,
            decay=90,
        ),
        Plan(
            "promptdebt",
            "organic, slow (1-2/min), two ordinary words",
            ("prompt debt", "Prompt Debt"),
            (0.8, 0.2),
            ("prompt debt", "Prompt Debt"),
            "prompt debt",
            u(1, 2),
            ramp=120,
            hold=120,
            decay=90,
        ),
        Plan(
            "telepathy",
            "leader, slow (1-2/min)",
            ("token telepathy", "Token Telepathy", "#TokenTelepathy"),
            (0.6, 0.15, 0.25),
            ("token telepathy", "Token Telepathy", "#TokenTelepathy"),
            "token telepathy",
            u(1, 2),
            ramp=120,
            hold=120,
            decay=90,
            leader="naval",
            leader_text="token telepathy: two models finishing each other's sentences",
        ),
        Plan(
            "jagged",
            "leader, fast (20-40/min)",
            ("jagged intelligence", "Jagged Intelligence", "#JaggedIntelligence"),
            (0.7, 0.1, 0.2),
            ("jagged intelligence", "Jagged Intelligence", "#JaggedIntelligence"),
            "jagged intelligence",
            u(20, 40),
            ramp=30,
            hold=30,
            decay=60,
            leader="karpathy",
            leader_text="jagged intelligence: superhuman at some tasks, dumb at easy ones",
        ),
        Plan(
            "vibe_ja",
            "organic, Japanese only",
            ("バイブコーディング", "#バイブコーディング"),
            (0.8, 0.2),
            ("バイブコーディング", "#バイブコーディング"),
            "バイブコーディング",
            u(2, 6),
            ramp=int(u(45, 180)),
            japanese=True,
        ),
    ]


def _main_negatives(b: _Builder, hours: float) -> None:
    pl, last = b.pl, hours * 60 - 300

    def when() -> float:
        return b.uniform(EARLIEST_STORY_MINUTE, last)

    b.negative(
        "ring",
        NegativeKind.RING,
        ("zorbax",),
        b.gen.ring(20, "claim free zorbax tokens now before they run out", 8, when(), 40),
    )
    b.negative(
        "near_ring",
        NegativeKind.NEAR_RING,
        ("quellix",),
        pl.near_ring(25, NEAR_RING_TEMPLATE, 6, when(), 45),
    )
    lines = [
        "honestly the mirvane wallet changed my life",
        "switched to mirvane wallet last week best decision",
        "everyone should try mirvane wallet seriously",
    ]
    b.negative(
        "puppets",
        NegativeKind.SOCK_PUPPETS,
        ("mirvane",),
        pl.sock_puppets(4, 15, lines, when(), 90),
    )
    b.negative(
        "spam",
        NegativeKind.SPAM,
        ("ploxi",),
        b.gen.spam("ploxibot", "buy ploxi coin now moon soon", 300, when(), 120),
    )
    b.negative(
        "one_off",
        NegativeKind.LEADER_ONE_OFF,
        ("zephyr ledger",),
        [pl.post(when(), "naval", "the zephyr ledger is underrated", "x")],
    )
    b.negative(
        "repeat",
        NegativeKind.LEADER_REPEAT,
        ("kelvinmaxx",),
        pl.repeat("elonmusk", "kelvinmaxx mode engaged", 40, when() - 200, 720),
    )
    b.negative(
        "slow",
        NegativeKind.SLOW_GROWTH,
        ("drovia",),
        pl.slow_growth("drovia garden", min(24.0, hours - 4), 60, 1.0),
    )
    # Every 09:00-09:30 the stream holds, and none after its end: a spike past the end would
    # arrive alone, into a stream whose other sources have stopped.
    days = int((hours * 60 - (9 * 60 + 30)) // 1440) + 1
    daily = b.gen.daily_spike("morning pulso report", hour=9, days=days, per_minute=5, authors=300)
    b.parts.append(daily)
    first_day = START + timedelta(hours=9 + 20)
    b.negatives.append(Negative("daily", NegativeKind.DAILY, ("pulso",), grace_until=first_day))
    b.negatives.append(Negative("evergreen", NegativeKind.EVERGREEN, ("gm", "bitcoin")))


def main_stream(seed: int) -> Scenario:
    """30-48 h, 30-100 posts/min, ten stories of 1-40 posts/min and every negative."""
    b = _Builder(f"main/{seed}", seed)
    hours = round(b.uniform(30, 48))
    b.background(hours, b.uniform(30, 100))
    b.leaders(hours)
    last = hours * 60 - 420
    _ghosts(b, b.uniform(EARLIEST_STORY_MINUTE + 60, last))
    plans = _main_plans(b)
    starts = {p.id: b.uniform(EARLIEST_STORY_MINUTE + 60, last) for p in plans}
    for plan in plans:
        b.plant(plan, starts[plan.id])
    # Attribution traps: other leaders used one ordinary word of a coinage before it.
    trap_ctx = starts["context"] - b.uniform(120, 240)
    b.parts.append(
        [b.pl.post(trap_ctx, "sama", "Engineering is mostly about context and taste", "x")]
    )
    trap_sing = starts["singularity"] - b.uniform(120, 240)
    b.parts.append(
        [b.pl.post(trap_sing, "karpathy", "the singularity is not near, it is here", "x")]
    )
    _main_negatives(b, hours)
    return b.build(hours)


_HARD = (
    ("gremlins", ("prompt gremlins", "#PromptGremlins"), "karpathy"),
    ("nostalgia", ("synthetic nostalgia", "Synthetic Nostalgia"), None),
    ("sabbath", ("silicon sabbath", "#SiliconSabbath"), "naval"),
    ("winter", ("inference winter", "Inference Winter"), None),
    ("ledger", ("dopamine ledger", "#DopamineLedger"), None),
    ("monks", ("vector monks", "Vector Monks"), "sama"),
    ("cannon", ("glass cannon startups", "glass-cannon startups"), None),
    ("shadow", ("shadow benchmarks", "#ShadowBenchmarks"), "tobi"),
    ("recursive", ("recursive vibes", "Recursive Vibes"), None),
    ("tax", ("agent tax", "#AgentTax"), None),
    ("suiron", ("推論の冬",), None),
    ("bekutoru", ("ベクトル僧侶",), None),
)


def hard_stream(seed: int) -> Scenario:
    """12 stories of 1-12 posts/min among near-duplicate rings and sock puppets."""
    b = _Builder(f"hard/{seed}", seed)
    hours = 36
    b.background(hours, b.uniform(30, 100))
    b.leaders(hours)
    for sid, forms, leader in _HARD:
        japanese = not forms[0].isascii()
        names = (*forms, forms[0].title()) if not japanese else forms
        plan = Plan(
            sid,
            ("leader" if leader else "organic") + (", Japanese" if japanese else "") + ", hard",
            forms,
            (0.7, 0.3)[: len(forms)] if len(forms) > 1 else (1.0,),
            names,
            forms[0],
            b.uniform(1, 12),
            ramp=int(b.uniform(40, 120)),
            hold=int(b.uniform(30, 90)),
            leader=leader,
            leader_text=f"calling it now: {forms[0]}",
            japanese=japanese,
        )
        b.plant(plan, b.uniform(EARLIEST_STORY_MINUTE + 60, hours * 60 - 420))
    pl = b.pl
    for k, word in enumerate(("trovix", "blenquo")):
        template = [
            ["wow", "omg", "huge"],
            [word],
            ["presale", "launch", "mint"],
            ["is", "goes"],
            ["live", "open"],
            ["now", "today", "soon"],
        ]
        b.negative(
            f"near_ring{k}",
            NegativeKind.NEAR_RING,
            (word,),
            pl.near_ring(30, template, 5, b.uniform(240, hours * 60 - 300), 60),
        )
    for k, word in enumerate(("sundrel", "mavrik")):
        lines = [
            f"just tried {word} app and wow it works",
            f"{word} app is the real deal folks",
            f"cannot stop using {word} app lately",
        ]
        b.negative(
            f"puppets{k}",
            NegativeKind.SOCK_PUPPETS,
            (word,),
            pl.sock_puppets(5, 20, lines, b.uniform(240, hours * 60 - 300), 120),
        )
    b.negative(
        "ring",
        NegativeKind.RING,
        ("zorbax",),
        b.gen.ring(
            20,
            "claim free zorbax tokens now before they run out",
            8,
            b.uniform(240, hours * 60 - 300),
            40,
        ),
    )
    b.negatives.append(Negative("evergreen", NegativeKind.EVERGREEN, ("gm", "bitcoin")))
    return b.build(hours)


def shift_stream(seed: int) -> Scenario:
    """Whole-stream volume changes: a 1 h outage with a backlog, then a x10 sampling change."""
    b = _Builder(f"shift/{seed}", seed)
    hours, jump_hour, outage_hour = 30, 20, 10
    base = b.uniform(30, 60)
    b.background(jump_hour, base)
    b.background(hours - jump_hour, base * 10, start_minute=jump_hour * 60)
    b.leaders(hours)
    b.plant(
        Plan(
            "mesh",
            "organic, before the outage",
            ("dream mesh", "#DreamMesh"),
            (0.7, 0.3),
            ("dream mesh", "Dream Mesh", "#DreamMesh"),
            "dream mesh",
            b.uniform(3, 8),
        ),
        b.uniform(240, outage_hour * 60 - 200),
    )
    b.plant(
        Plan(
            "ferry",
            "leader, between outage and jump",
            ("ghost ferry", "Ghost Ferry"),
            (0.8, 0.2),
            ("ghost ferry", "Ghost Ferry"),
            "ghost ferry",
            b.uniform(3, 8),
            leader="naval",
            leader_text="the ghost ferry leaves at dawn",
        ),
        b.uniform(outage_hour * 60 + 120, jump_hour * 60 - 200),
    )
    # After the sampling change a real story is sampled x10 too.
    b.plant(
        Plan(
            "orbit",
            "organic, after the x10 jump",
            ("orbit soup", "#OrbitSoup"),
            (0.7, 0.3),
            ("orbit soup", "Orbit Soup", "#OrbitSoup"),
            "orbit soup",
            b.uniform(20, 40),
        ),
        b.uniform(jump_hour * 60 + 120, hours * 60 - 240),
    )
    b.negatives.append(Negative("outage", NegativeKind.OUTAGE, ()))
    b.negatives.append(Negative("jump", NegativeKind.VOLUME_JUMP, ()))
    b.negatives.append(Negative("evergreen", NegativeKind.EVERGREEN, ("gm", "bitcoin")))
    merged = merge(*b.parts)
    return b.build(hours, outage(merged, START + timedelta(hours=outage_hour), 60))


def joined_stream(seed: int) -> Scenario:
    """A network switched on mid-stream, writing the same language about its own things.

    About 60 % of its words are the stream's, ranked its own way, so a word rare elsewhere is
    everyday there: as it joins, dozens of words jump from nothing to a share of the stream.
    A story told elsewhere while it warms up, and one told on it hours later, must alert.
    """
    b = _Builder(f"joined/{seed}", seed)
    hours = 30
    join = b.uniform(8, 14) * 60
    b.background(hours, b.uniform(30, 60))
    b.leaders(hours)
    feed = StreamGenerator(seed + 500, vocab_seed=seed + 500)
    posts = feed.background(hours - join / 60, b.uniform(15, 60), start_minute=join)
    b.parts.append(
        [msgspec.structs.replace(p, source=JOINED_SOURCE, author=f"feed_{p.author}") for p in posts]
    )
    b.plant(
        Plan(
            "lantern",
            "organic, elsewhere while the network warms up",
            ("quorra lantern", "#QuorraLantern"),
            (0.7, 0.3),
            ("quorra lantern", "Quorra Lantern", "#QuorraLantern"),
            "quorra lantern",
            b.uniform(3, 8),
        ),
        join + b.uniform(20, 90),
    )
    b.plant(
        Plan(
            "harbor",
            "organic, on the network that joined",
            ("velvet harbor", "#VelvetHarbor"),
            (0.7, 0.3),
            ("velvet harbor", "Velvet Harbor", "#VelvetHarbor"),
            "velvet harbor",
            b.uniform(3, 8),
            source=JOINED_SOURCE,
        ),
        join + b.uniform(180, 360),
    )
    b.negatives.append(Negative("joined", NegativeKind.SOURCE_JOINED, ()))
    b.negatives.append(Negative("evergreen", NegativeKind.EVERGREEN, ("gm", "bitcoin")))
    return b.build(hours)


def drift_stream(seed: int) -> Scenario:
    """A phrase rising slowly from the middle of a stream, when the baselines are long full.

    The main streams' slow growth starts an hour in, while the engine still learns the stream;
    this one starts 8-18 h in, with the same slope (to one post a minute after a day), and
    ends an hour before the stream does. One organic story is told at another time.
    """
    b = _Builder(f"drift/{seed}", seed)
    hours = 30
    b.background(hours, b.uniform(30, 100))
    b.leaders(hours)
    start = b.uniform(8, 18) * 60
    span = min(24.0, hours - start / 60 - 1)
    b.negative(
        "slow",
        NegativeKind.SLOW_GROWTH,
        ("drovia",),
        b.pl.slow_growth("drovia garden", span, start, span / 24),
    )
    b.plant(
        Plan(
            "tundra",
            "organic, beside the slow rise",
            ("tundra radio", "#TundraRadio"),
            (0.7, 0.3),
            ("tundra radio", "Tundra Radio", "#TundraRadio"),
            "tundra radio",
            b.uniform(3, 8),
        ),
        b.uniform(EARLIEST_STORY_MINUTE + 60, hours * 60 - 240),
    )
    b.negatives.append(Negative("evergreen", NegativeKind.EVERGREEN, ("gm", "bitcoin")))
    return b.build(hours)


JOINED_SOURCE = "rss"  # a network none of the other streams' posts come from
GROUPS = ("main", "hard", "shift", "joined", "drift")


def all_scenarios(
    seeds: int, first_seed: int = 1, groups: Sequence[str] = GROUPS
) -> Iterator[Scenario]:
    """``seeds`` main streams, plus one hard, shift, joined and drift stream per pair of seeds.

    Built one at a time: a stream of a quarter million posts is a few hundred MB.
    """
    makers = {
        "main": (main_stream, 0),
        "hard": (hard_stream, 1000),
        "shift": (shift_stream, 2000),
        "joined": (joined_stream, 3000),
        "drift": (drift_stream, 4000),
    }
    for k in range(seeds):
        for group in GROUPS:
            if group in groups and (group == "main" or k % 2 == 0):
                make, offset = makers[group]
                yield make(offset + first_seed + k)
