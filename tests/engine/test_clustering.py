"""Which member phrases a narrative shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.engine import clustering, folding
from bot.engine.candidates import Candidate
from bot.engine.clustering import member_phrases
from bot.engine.evidence import Evidence
from bot.engine.scoring import Signals
from bot.engine.types import SamplePost


def cand(canonical: str, mentions: float) -> Candidate:
    c = Candidate(key=hash(canonical), slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
    c.canonical = canonical
    evidence = Evidence(
        llr=mentions,
        adopters=mentions,
        distinct=int(mentions),
        expected=1.0,
        window_seconds=3600.0,
        window_posts=1000,
        recent=mentions / 4,
    )
    c.signals = Signals(evidence=evidence, sources=("x",), engagement=0, mentions=int(mentions))
    return c


def test_rare_extensions_of_a_member_are_not_shown() -> None:
    anchor = cand("summon ghost", 120)
    members = [
        anchor,
        cand("summon", 130),
        cand("ghost", 140),
        cand("#summoningghost", 40),  # a variant: never an extension
        cand("nofusux summon ghost", 12),  # the meme plus a neighbouring word
        cand("ghost musakix", 9),
        cand("summon ghost not animal", 90),  # the longer coinage most posts carry
    ]
    assert member_phrases(members, keep=anchor) == [
        "#summoningghost",
        "ghost",
        "summon",
        "summon ghost",
        "summon ghost not animal",
    ]


def test_the_anchor_stays_and_japanese_runs_are_compared_as_text() -> None:
    anchor = cand("幽霊を召喚", 30)
    members = [anchor, cand("幽霊", 100), cand("召喚", 90), cand("幽霊を召喚する人", 5)]
    assert member_phrases(members, keep=anchor) == ["召喚", "幽霊", "幽霊を召喚"]


def test_a_word_accompanies_a_story_by_its_recent_posts() -> None:
    story = set(range(100, 140))
    assert clustering.accompanies([*range(120, 130), *range(500, 520)], story)  # a third
    assert not clustering.accompanies([*range(120, 124), *range(500, 540)], story)  # a tenth
    assert not clustering.accompanies([120, 121], story)  # too few to tell


def _form(canonical: str, words: tuple[str, ...], first_adoption: float) -> Candidate:
    c = cand(canonical, 5)
    c.words, c.n_tokens = words, len(words)
    c.adopt_times = [first_adoption]
    c.own_words = frozenset(folding.stable_hash(w) for w in words if len(w) > 1)
    return c


def test_a_translation_is_linked_by_the_words_its_adopters_wrote() -> None:
    """Bilingual posts made before the younger form was tracked left its words with the older."""
    english = _form("summon ghost", ("summon", "ghost"), 0.0)
    japanese = _form("幽霊を召喚", ("幽霊", "を", "召喚"), 2400.0)
    assert not clustering.cross_linked(japanese, english)  # no shared posts, no shared seed
    english.vocabulary.update(folding.stable_hash(w) for w in ("幽霊", "召喚", "lol"))
    assert clustering.cross_linked(japanese, english)  # the particle を need not be written
    late = _form("幽霊を召喚", ("幽霊", "を", "召喚"), 4 * 3600.0)
    assert not clustering.cross_linked(late, english)  # hours apart: another story
    word = _form("ghost", ("ghost",), 0.0)  # one plain word is no form of a story
    japanese.vocabulary.update(folding.stable_hash(w) for w in ("ghost", "musakix", "lonex"))
    assert not clustering.cross_linked(japanese, word)
    chatter = _form("musakix my lonex", ("musakix", "my", "lonex"), 0.0)
    chatter.own_words = frozenset()  # fillers the whole stream writes: in every vocabulary
    assert not clustering.cross_linked(japanese, chatter)


def test_a_translation_is_linked_by_quotes_of_the_story_seed_post() -> None:
    """A form taken up by quoting the leader post that coined the other is the same story,
    however late and whatever its adopters wrote; a plain word or a stray quote is not."""
    english = _form("summon ghost", ("summon", "ghost"), 0.0)
    english.leader = "karpathy"
    posted = datetime(2026, 3, 1, tzinfo=UTC)
    english.seed_post = SamplePost("x:1", "karpathy", "x", "summoning ghosts", None, posted, 0)
    japanese = _form("幽霊を召喚", ("幽霊", "を", "召喚"), 6 * 3600.0)
    japanese.total_weight = 9.0
    assert not clustering.cross_linked(japanese, english)
    japanese.quoted = {"x:2": 5.0, "x:1": 0.5}  # another post; one copy of a quote
    assert not clustering.cross_linked(japanese, english)
    japanese.quoted["x:1"] = 1.0  # one independent adopter quoting the seed post
    assert clustering.cross_linked(japanese, english) and clustering.cross_linked(english, japanese)
    japanese.total_weight = 40.0  # ... among forty: no more than a stray quote
    assert not clustering.cross_linked(japanese, english)
    word = _form("幽霊", ("幽霊",), 0.0)  # a short plain word is no form of a story
    word.quoted, word.total_weight = {"x:1": 3.0}, 3.0
    assert not clustering.cross_linked(word, english)
    chatter = _form("新しい今日", ("新しい", "今日"), 6 * 3600.0)  # in the quoting posts too
    chatter.quoted, chatter.total_weight = {"x:1": 1.0}, 5.0
    chatter.own_words = frozenset()  # everyday words: no word of its own
    assert not clustering.cross_linked(chatter, english)


def test_an_everyday_phrase_joins_a_story_only_as_a_form_of_it() -> None:
    """ "本当に本当" is in every Japanese story's posts: sharing them does not make it a form of
    one (it would then pull the next Japanese story into that one), and two stories do not
    join through it. A hashtag of the story joins it however common it is."""
    story = cand("ベクトル僧侶", 40)
    story.n_tokens = 2
    story.posts.extend(range(100, 140))
    chatter = cand("本当に本当", 30)
    chatter.n_tokens = 3
    chatter.posts.extend(range(110, 140))
    narrative_posts = set(story.posts)
    assert clustering.attaches(chatter, narrative_posts, [story])
    assert clustering.related(chatter, story, set(chatter.posts), narrative_posts)
    assert chatter.signals is not None
    chatter.signals = replace(chatter.signals, common=True)
    assert not clustering.attaches(chatter, narrative_posts, [story])
    assert not clustering.related(chatter, story, set(chatter.posts), narrative_posts)
    tag = cand("#ベクトル僧侶", 10)
    assert tag.signals is not None
    tag.signals = replace(tag.signals, common=True)
    assert clustering.attaches(tag, set(), [story])


def test_a_cashtag_is_spelled_out_with_coin_or_token_apart_or_as_one_word() -> None:
    tag = cand("$goblin", 20)
    for spelled in ("goblin coin", "goblincoin", "goblin token", "goblintoken", "goblin"):
        assert clustering.tag_linked(tag, cand(spelled, 5)), spelled
    for other in ("goblinmodex", "gob coin", "coin"):
        assert not clustering.tag_linked(tag, cand(other, 5)), other


def test_a_plain_word_joins_a_story_only_as_a_spelling_of_it() -> None:
    """ "goblincoin" (one word) is the story of "$goblin"; "coin", in all its posts, is not."""
    story = cand("$goblin", 40)
    story.posts.extend(range(100, 140))
    posts = set(story.posts)
    spelled = cand("goblincoin", 12)
    spelled.n_tokens = 1
    assert clustering.attaches(spelled, posts, [story])
    company = cand("coin", 30)
    company.n_tokens = 1
    company.posts.extend(range(100, 140))
    assert not clustering.attaches(company, posts, [story])


def weighted(canonical: str, n_tokens: int, weight: float, score: float) -> Candidate:
    c = cand(canonical, weight)
    c.n_tokens = n_tokens
    c.adopt_weights = [1.0] * int(weight)
    c.total_weight = float(int(weight))
    c.score = score
    return c


def test_a_plain_word_names_the_story_only_once_it_scores_alone() -> None:
    # The PS4 price day on Reddit: "ps4", a word the stream writes daily, burst by itself
    # under a plain word's bar; "used games" is the phrase beside it in a few of its posts.
    used_games = weighted("used game", 2, 6, 45.0)
    burst = weighted("ps4", 1, 14, 61.0)
    assert clustering.headline([used_games, burst], proven=60.0) is burst
    # A plain word below that bar (a fragment scores nothing) never names a coinage,
    # however many write it.
    fragment = weighted("ps4", 1, 14, 0.0)
    assert clustering.headline([used_games, fragment], proven=60.0) is used_games
    # Without a bar to prove (the default), only distinctive phrases name a story.
    assert clustering.headline([used_games, burst]) is used_games


def test_a_phrase_not_yet_named_is_no_tag_and_outweighs_nothing() -> None:
    """Tracked this tick, not yet hit: no canonical, so a plain word for now (it used to read
    as a tag, and a new "coin" took every adoption of "goblin coin" beside it)."""
    unnamed = Candidate(key=3, slot=3, first_seen=datetime(2013, 6, 9, tzinfo=UTC))
    assert not clustering.distinctive(unnamed)
    tag = Candidate(key=4, slot=4, first_seen=datetime(2013, 6, 9, tzinfo=UTC))
    tag.canonical, tag.n_tokens = "$goblin", 1
    assert clustering.distinctive(tag)
