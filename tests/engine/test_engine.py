"""Engine v2 behaviour a reader of the alerts meets: one story, its real name, its real coiner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np
import pytest

from bot.engine import AlertEvent, EngineConfig, NarrativeEngine, canonicalize, priors
from bot.engine.candidates import MAX_SOURCES, SURFACE_SAMPLES, Candidate
from bot.engine.evaluation.streams import Planter
from bot.engine.generator import (
    _FILLER_STOP,
    StreamGenerator,
    _vocabulary,
    by_interval,
    merge,
    replay,
)
from bot.engine.seeding import leader_ids
from bot.engine.text import phrase_key
from bot.engine.types import SamplePost
from bot.posts import Post

from .scenarios import MEME_START, RAMP, background, run


def test_leader_ids_are_per_network() -> None:
    assert leader_ids(["@Karpathy"]) == {"x:karpathy", "bluesky:karpathy"}
    assert leader_ids(["reddit:Spez", "x:"]) == {"reddit:spez"}


def _replay(posts: list[Post]) -> tuple[NarrativeEngine, list[AlertEvent]]:
    engine = NarrativeEngine()
    alerts = replay(engine, posts)
    return engine, [a for a in alerts if isinstance(a, AlertEvent)]


def test_a_client_clock_from_2099_or_1999_changes_nothing() -> None:
    gen, bg = background(21, hours=5)
    meme = gen.meme(["ghost protocol"], start_minute=MEME_START, ramp_minutes=30, peak_per_minute=6)
    stream = merge(bg + meme)
    clean_engine, clean = _replay(stream)
    future = Post(
        "f", "bluesky", "clock", "ghost protocol from 2099", datetime(2099, 1, 1, tzinfo=UTC)
    )
    past = Post(
        "p", "bluesky", "clock", "ghost protocol from 1999", datetime(1999, 1, 1, tzinfo=UTC)
    )
    # As a live source delivers them: a wrong clock first, and one in the middle of the stream.
    middle = len(stream) // 2
    engine, alerts = _replay([past, *stream[:middle], future, *stream[middle:]])
    assert engine.now == clean_engine.now
    assert engine.skewed == 1 and engine.held == []
    assert [(a.narrative.key, a.fired_at) for a in alerts] == [
        (a.narrative.key, a.fired_at) for a in clean
    ]
    assert clean and clean_engine.skewed == 0


def test_a_sparse_feed_loses_no_post_to_the_clock_check() -> None:
    """90 posts a day, one at a time as a live feed delivers them: the next post an hour or
    more later is the stream's own pace, not a wrong clock (a post in seven was dropped)."""
    rng = np.random.default_rng(1)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    engine = NarrativeEngine()
    seconds = np.cumsum(rng.exponential(16 * 60, 1500)).tolist()
    for i, s in enumerate(seconds):
        when = start + timedelta(seconds=s)
        engine.ingest([Post(f"p{i}", "hackernews", f"a{i % 300}", f"show hn tool {i}", when)])
        engine.tick()
    wrong = Post("f", "hackernews", "clock", "show hn from 2099", datetime(2099, 1, 1, tzinfo=UTC))
    engine.ingest([wrong])
    for i in range(20):  # the feed goes on in step: the wrong clock is skipped, not the feed
        when = start + timedelta(seconds=seconds[-1] + 600 * (i + 1))
        engine.ingest([Post(f"q{i}", "hackernews", "b", "show hn more", when)])
    assert engine.posts_ingested == len(seconds) + 20
    assert engine.skewed == 1 and engine.held == []


def test_a_leader_on_another_network_is_not_that_leader() -> None:
    gen, bg = background(22)
    meme = gen.meme(
        ["jagged frontier"],
        start_minute=MEME_START,
        ramp_minutes=RAMP,
        peak_per_minute=6,
        leader="karpathy",
        leader_text="the jagged frontier of capability",
    )
    seed = meme[0]
    reddit_seed = Post(seed.id, "reddit", seed.author, seed.text, seed.created_at)
    _, on_x = run(bg + meme, leaders=("karpathy",))
    _, on_reddit = run([*bg, reddit_seed, *meme[1:]], leaders=("karpathy",))
    assert [a.narrative.leader for a in on_x] == ["karpathy"]
    assert [a.narrative.leader for a in on_reddit] == [None]


def test_a_leader_who_used_one_word_of_the_phrase_did_not_coin_it() -> None:
    gen, bg = background(23)
    trap = gen.spam("oracle", "engineering is the hard part of every team", 1, MEME_START - 60, 1)
    trap = [Post(p.id, "x", p.author, p.text, p.created_at) for p in trap]
    meme = gen.meme(
        ["context engineering", "#ContextEngineering"],
        start_minute=MEME_START,
        ramp_minutes=RAMP,
        peak_per_minute=6,
        leader="seer",
        leader_text="forget prompts: context engineering is the craft now",
    )
    _, alerts = run(bg + trap + meme, leaders=("oracle", "seer"))
    assert len(alerts) == 1
    view = alerts[0].narrative
    assert canonicalize(view.label) == canonicalize("context engineering")
    assert view.leader == "seer"


def test_english_and_japanese_forms_of_one_story_alert_once() -> None:
    gen, bg = background(24)
    meme = gen.meme(
        ["summoning ghosts", "幽霊を召喚", "summoning ghosts (幽霊を召喚)", "幽霊を召喚する"],
        start_minute=MEME_START,
        ramp_minutes=RAMP,
        peak_per_minute=8,
    )
    engine, alerts = run(bg + meme)
    assert len(alerts) == 1
    view = engine.find("幽霊を召喚")
    assert view is not None and view.key == alerts[0].narrative.key
    assert {canonicalize("summoning ghosts"), canonicalize("幽霊を召喚")} <= set(view.phrases)
    # Beside each folded form, the spelling its adopters wrote (what a reader sees).
    spelled = dict(zip(view.phrases, view.forms, strict=True))
    assert spelled[canonicalize("summoning ghosts")] == "summoning ghosts"
    assert spelled[canonicalize("幽霊を召喚")] == "幽霊を召喚"


def test_cashtag_compound_and_spelled_out_name_are_one_story() -> None:
    gen, bg = background(25)
    meme = gen.meme(
        ["$GOBLIN", "goblin coin", "goblincoin", "$GOBLIN goblin coin"],
        start_minute=MEME_START,
        ramp_minutes=RAMP,
        peak_per_minute=8,
    )
    engine, alerts = run(bg + meme)
    assert len(alerts) == 1
    view = engine.find("goblincoin")
    assert view is not None and view.key == alerts[0].narrative.key
    assert engine.find("$goblin") is not None


def test_a_plain_word_in_a_told_story_posts_does_not_tell_it_again() -> None:
    """ "sony" rising with "used games" and "ps4" is the same story, not a second alert."""
    gen, bg = background(26, hours=18)
    start = 900  # the baselines know the language by then
    story = gen.meme(
        ["vibe coding", "#VibeCoding", "vibe coding all day"],
        start_minute=start,
        ramp_minutes=RAMP,
        peak_per_minute=8,
    )
    company = gen.meme(  # a single word, half the time in the story's posts, taking off later
        ["zorblat vibe coding", "vibe coding zorblat", "zorblat", "zorblat"],
        start_minute=start + RAMP,
        ramp_minutes=RAMP,
        peak_per_minute=8,
    )
    engine, alerts = run(bg + story + company)
    assert [a.narrative.phrase for a in alerts] == ["vibe code"]
    view = engine.find("vibe coding")
    assert view is not None and "zorblat" not in view.phrases  # company, not a form


@pytest.mark.parametrize("seed", [31, 32])
def test_a_translation_taken_up_later_joins_the_told_story(seed: int) -> None:
    """幽霊を召喚 tracked half an hour after "summoning ghosts" alerted is the same story.

    The bilingual posts came before the Japanese form was tracked: its words are among the
    English form's adopters' words, and the join happens even on a tick with no new phrase.
    """
    gen, bg = background(seed, hours=8)
    english = gen.meme(
        ["summoning ghosts", "#SummoningGhosts", "summoned ghosts"],
        start_minute=MEME_START,
        ramp_minutes=90,
        peak_per_minute=6,
    )
    start, ramp = MEME_START + 25, 90
    japanese = gen.meme(["幽霊を召喚"], start_minute=start, ramp_minutes=ramp, peak_per_minute=2.4)
    both = gen.meme(
        ["summoning ghosts (幽霊を召喚)"],
        start_minute=start,
        ramp_minutes=ramp,
        peak_per_minute=0.6,
    )
    engine, alerts = run(bg + english + japanese + both)
    assert len(alerts) == 1
    view = engine.find("幽霊を召喚")
    assert view is not None and view.key == alerts[0].narrative.key


def test_a_post_adopts_the_whole_phrase_not_a_busier_plain_word_in_it() -> None:
    """ "prompt debt" is adopted even when "prompt" alone has more adopters (a common word).

    Of two partly overlapping phrases the one more people took up wins ("幽霊を召喚" over
    "召喚した musakix"); a plain word inside a phrase never does.
    """
    engine = NarrativeEngine()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    names = {1: ("prompt", 1), 2: ("prompt debt", 2), 3: ("debt now", 2)}
    cands = {}
    for k, (name, n) in names.items():
        cands[k] = Candidate(key=k, slot=k, first_seen=at)
        cands[k].canonical, cands[k].n_tokens = name, n
        engine.tracker.by_slot[k] = cands[k]
    word, whole, neighbour = cands[1], cands[2], cands[3]
    word.total_weight, whole.total_weight, neighbour.total_weight = 50.0, 3.0, 1.0
    # "prompt debt now": prompt = 0, debt = 1, now = 2
    spans = [(0, 1, 1), (0, 2, 2), (1, 2, 3)]
    assert engine.adoption.outweighed(word, 0, 1, spans)  # inside the whole phrase
    assert not engine.adoption.outweighed(whole, 0, 2, spans)  # its busier plain word does not win
    assert engine.adoption.outweighed(neighbour, 1, 2, spans)  # a partial overlap taken up by more
    story = Candidate(key=4, slot=4, first_seen=at)  # a busier overlapping story still wins
    story.canonical, story.n_tokens, story.total_weight = "debt now", 2, 9.0
    engine.tracker.by_slot[3] = story
    assert engine.adoption.outweighed(whole, 0, 2, spans)


def test_a_network_switched_on_later_has_its_own_warm_up() -> None:
    """A feed with its own everyday words joins an 8-hour-old stream (its words are partly the
    stream's, partly its own). None of them is a story; a story told on it later is, and so is
    one told elsewhere while it warms up."""
    gen, bg = background(43, hours=16, per_minute=30)
    other = StreamGenerator(143)
    other.words = np.array([*_vocabulary(5000, seed=99), *_FILLER_STOP], dtype=object)
    feed = [
        msgspec.structs.replace(p, source="rss", author=f"rss-{p.author}")
        for p in other.background(8, 25, start_minute=8 * 60, evergreen=False)
    ]
    _, alerts = run(bg + feed)
    assert alerts == []
    on_feed = [
        msgspec.structs.replace(p, source="rss")
        for p in other.meme(["orbit soup", "#OrbitSoup"], start_minute=12 * 60, peak_per_minute=4)
    ]
    elsewhere = gen.meme(["dream mesh"], start_minute=8 * 60 + 30, peak_per_minute=4)
    _, alerts = run(bg + feed + on_feed + elsewhere)
    assert sorted(a.narrative.phrase for a in alerts) == ["dream mesh", "orbit soup"]


def test_a_phrase_only_a_newly_joined_network_writes_needs_a_common_words_evidence() -> None:
    """Hours after a network joined, a phrase of its everyday chatter still has a baseline
    taught mostly before it wrote anything: until the baselines' half-life has passed, a phrase
    taken up only there needs a common word's evidence. One also taken up elsewhere does not."""
    engine = NarrativeEngine()
    hour = 3600.0
    engine.seen_seconds = 12 * hour
    engine.source_since = {"bluesky": 0.0, "rss": 8 * hour}
    cand = Candidate(key=1, slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    cand.canonical, cand.n_tokens = "murax norokax", 2
    cand.sources = {"rss": 0}
    assert engine._common(cand)
    engine.seen_seconds = 21 * hour  # 13 hours after it joined
    assert not engine._common(cand)
    engine.seen_seconds = 12 * hour
    cand.sources = {"rss": 0, "bluesky": 0}
    assert not engine._common(cand)
    engine.source_since = {"bluesky": 0.0, "rss": 0.5 * hour}  # there from the start
    cand.sources = {"rss": 0}
    assert not engine._common(cand)


def test_a_phrase_taken_up_mostly_on_a_new_network_needs_a_common_words_evidence() -> None:
    """ "mudefux", a word of a feed that joined three hours before: six of its eight adopters
    there and two elsewhere. Its baseline was taught before the feed wrote anything, so it is
    held to a common word's bar; once most adopters are on the networks there from the start,
    it is judged as usual."""
    engine = NarrativeEngine()
    hour = 3600.0
    engine.seen_seconds = 12 * hour
    engine.source_since = {"bluesky": 0.0, "x": 0.0, "rss": 9 * hour}
    cand = Candidate(key=1, slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    cand.canonical, cand.n_tokens = "murax norokax", 2
    cand.sources = {"rss": 0, "x": 0, "bluesky": 0}
    cand.source_weight = {"rss": 6.0, "x": 1.0, "bluesky": 1.0}
    assert engine._common(cand)
    cand.source_weight = {"rss": 3.0, "x": 4.0, "bluesky": 1.0}
    assert not engine._common(cand)


def test_the_sources_remembered_are_bounded() -> None:
    """A replay line may name any source: a file naming thousands remembers only the first."""
    engine = NarrativeEngine()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    posts = [Post(f"p{i}", f"feed{i}", f"a{i}", "gm", at) for i in range(1000)]
    engine.ingest(posts)
    assert len(engine.source_since) == MAX_SOURCES


def test_with_no_warm_up_the_networks_there_from_the_start_have_not_joined() -> None:
    """GHOSTWATCH_ENGINE_WARMUP_MINUTES=0 (a quick replay): the sources of the stream's first
    hour are its own, so their phrases are judged as usual, not as a new network's."""
    engine = NarrativeEngine(EngineConfig(warmup_minutes=0))
    hour = 3600.0
    engine.seen_seconds = 3 * hour
    engine.source_since = {"bluesky": 0.0, "reddit": 0.2 * hour, "rss": 2 * hour}
    cand = Candidate(key=1, slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    cand.canonical, cand.n_tokens = "murax norokax", 2
    cand.sources = {"bluesky": 0, "reddit": 0}
    assert not engine._common(cand)
    cand.sources = {"rss": 0}  # a network switched on two hours in has joined
    assert engine._common(cand)


def test_a_plain_word_its_adopters_write_beside_one_word_is_part_of_a_phrase() -> None:
    """ "coin" tracked (a flood made it busy) while "goblin coin" is not yet: the story's
    posts adopt "coin" (and "goblin"), but every one of them writes "goblin" beside it, so
    "coin" is a fragment of a phrase, not a story of its own (on a held-out stream it alerted
    two minutes before "$goblin"). Here "goblin coin" is kept untracked: neither word alerts."""
    gen, bg = background(7, hours=7)
    story = gen.meme(
        ["goblin coin", "Goblin coin", "GOBLIN COIN"],
        start_minute=MEME_START,
        peak_per_minute=15,
    )
    engine = NarrativeEngine()
    word = np.array([phrase_key(["coin"])], dtype=np.uint64)
    whole = np.array([phrase_key(["goblin", "coin"])], dtype=np.uint64)
    alerts: list[AlertEvent] = []
    coin: Candidate | None = None
    for batch in by_interval(merge(bg + story), 60):
        engine.ingest(batch)
        table = engine.table
        assert table.bucket is not None
        found = int(table.index.lookup(word)[0])
        if found >= 0 and found not in engine.by_slot:
            moment = engine.now
            assert moment is not None
            engine.tracker.track(np.array([found]), table.bucket, moment, 0, engine.now_ts)
            coin = coin or engine.by_slot[found]
        late = int(table.index.lookup(whole)[0])
        if late >= 0:  # "goblin coin" is never tracked here
            engine.tracker.benched[late] = table.bucket + 10_000
        alerts += engine.tick()
    assert coin is not None and coin.canonical == "coin"
    assert len(coin.adopt_times) >= 20
    assert coin.leans_on()
    assert [a.narrative.phrase for a in alerts] == []


def test_a_leader_phrase_the_stream_writes_by_chance_is_no_coinage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two filler words that meet in one post in 16,000, in a leader's post: taken up within
    the hour, the leader's; ten hours later on a 50-post/min stream (30,000 posts on), the
    stream would have written it by chance anyway."""
    engine = NarrativeEngine()
    posted = datetime(2026, 3, 1, tzinfo=UTC)
    cand = Candidate(key=1, slot=1, first_seen=posted)
    cand.canonical, cand.n_tokens, cand.words = "musakix nosufux", 2, ("musakix", "nosufux")
    cand.seed_post = SamplePost("p1", "elonmusk", "x", "musakix nosufux", None, posted, 0)
    monkeypatch.setattr(priors, "chance_share", lambda *_: 1 / 16_000)
    engine.seen_seconds = 20 * 3600.0
    engine.posts_ingested = 50 * 60 * 20
    engine.now_ts = posted.timestamp() + 3600
    assert not engine._by_chance(cand, 20.0)
    engine.now_ts = posted.timestamp() + 10 * 3600
    assert engine._by_chance(cand, 20.0)
    # Two filler words that meet in one post in 3,000 are as common as a phrase the stream
    # already uses (past what a leader can seed): no coinage even when taken up at once.
    monkeypatch.setattr(priors, "chance_share", lambda *_: 1 / 3_000)
    engine.now_ts = posted.timestamp() + 600
    assert engine._by_chance(cand, 20.0)


@pytest.mark.parametrize(
    ("first", "weight"),
    [
        (  # sock puppets: two of their first three posts fill one template
            [
                "honestly the mirvane wallet changed neralox that",
                "everyone should try mirvane wallet seriously",
                "honestly the mirvane wallet changed my delix",
            ],
            0.02,
        ),
        (  # three people's own posts: no template
            [
                "mirvane wallet is fast and the fees are tiny",
                "everyone should try mirvane wallet seriously",
                "my cousin swears by mirvane wallet now",
            ],
            1.0,
        ),
    ],
)
def test_the_posts_that_made_a_phrase_jump_show_its_template_to_its_first_adopter(
    first: list[str], weight: float
) -> None:
    """Nobody adopts the posts that made "mirvane wallet" jump, but once it is tracked it hears
    them: an adopter filling the template two of them filled is a copy, not an adopter."""
    _, bg = background(3, hours=3)
    at = bg[0].created_at + timedelta(minutes=150)
    posts = [
        Post(f"m{i}", "x", f"user{i}", text, at + timedelta(seconds=10 * i))
        for i, text in enumerate(first)
    ]
    later = "honestly the mirvane wallet changed my muvidex"
    posts.append(Post("m9", "x", "user9", later, at + timedelta(minutes=3)))
    engine = NarrativeEngine()
    replay(engine, merge(bg, posts))
    key = phrase_key(["mirvane", "wallet"])
    [cand] = [c for c in engine.by_slot.values() if c.key == key]
    assert cand.promoted_posts > 0 and len(cand.adopt_weights) == 1  # tracked after the three
    assert cand.adopt_weights == [weight]


def test_a_phrase_heard_more_often_than_its_spellings_are_sampled_is_still_named() -> None:
    """The posts heard before tracking fill the spelling samples; its first tracked post names
    it all the same (unnamed, it read as a tag and took "coin"-like phrases' adoptions)."""
    _, bg = background(3, hours=3)
    at = bg[0].created_at + timedelta(minutes=150)
    burst = [
        Post(f"z{i}", "x", f"zuser{i}", f"zorblat coin is wild {i}", at + timedelta(seconds=i / 10))
        for i in range(SURFACE_SAMPLES + 6)
    ]
    burst.append(Post("z-late", "x", "zlate", "zorblat coin again", at + timedelta(minutes=4)))
    engine = NarrativeEngine()
    replay(engine, merge(bg, burst))
    [cand] = [c for c in engine.by_slot.values() if c.key == phrase_key(["zorblat", "coin"])]
    assert cand.surface_hits == SURFACE_SAMPLES
    assert cand.canonical == "zorblat coin" and cand.surface == "zorblat coin"


@pytest.mark.parametrize("seed", [33, 34])
def test_a_translation_taken_up_by_quoting_the_seed_post_is_the_same_story(seed: int) -> None:
    """幽霊を召喚 with no bilingual post at all is "summoning ghosts" when a third of its
    adopters quote the leader's coining post: one alert, credited to the leader, with the
    Japanese form beside it. Without the quotes nothing in the stream ties the two."""
    gen, bg = background(seed, hours=8)
    planter = Planter(gen)
    bg += planter.japanese_chatter(8, 6)
    english = gen.meme(
        ["summoning ghosts", "#SummoningGhosts"],
        start_minute=MEME_START,
        ramp_minutes=60,
        peak_per_minute=6,
        leader="karpathy",
        leader_text="we're summoning ghosts, not building animals",
    )
    japanese = planter.story(
        ["幽霊を召喚"],
        [1.0],
        start_minute=MEME_START,
        peak=2.4,
        ramp=60,
        hold=45,
        decay=60,
        pool="ja",
        japanese=True,
    )
    quoting = [
        msgspec.structs.replace(p, quotes=english[0].id) if i % 3 == 0 else p
        for i, p in enumerate(japanese)
    ]
    _, apart = run(bg + english + japanese, leaders=("karpathy",))
    assert [a.narrative.leader for a in apart] == ["karpathy", None]
    engine, alerts = run(bg + english + quoting, leaders=("karpathy",))
    assert len(alerts) == 1 and alerts[0].narrative.leader == "karpathy"
    assert alerts[0].narrative.label == "summoning ghosts"
    view = engine.find("幽霊を召喚")
    assert view is not None and view.key == alerts[0].narrative.key
    assert canonicalize("幽霊を召喚") in view.phrases
