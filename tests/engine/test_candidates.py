"""Adoption weights: copies count little, independent adopters count in full, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from bot.engine import NarrativeEngine
from bot.engine.candidates import (
    FRAME_SHARED,
    MAX_SOURCES,
    OTHER_SOURCES,
    Candidate,
    PhraseShelf,
)
from bot.engine.folding import stable_hash
from bot.engine.generator import StreamGenerator
from bot.engine.overheard import Said
from bot.engine.text import extract, framed, neighbours, phrase_key, phrase_text
from bot.engine.vocab import Vocab


def _cand() -> Candidate:
    return Candidate(key=1, slot=0, first_seen=datetime(2013, 6, 9, tzinfo=UTC))


def _adopt(cand: Candidate, sig: int, words: dict[int, float]) -> float:
    cand.adopt(0.0, 0, (sig, frozenset(words)), words, ring_weight=0.02, source="x")
    return cand.adopt_weights[-1]


def test_each_adoption_counts_towards_the_network_it_was_written_on() -> None:
    cand = _cand()
    cand.adopt(0.0, 0, (1, frozenset({11, 12})), {11: 5.0, 12: 5.0}, 0.02, source="rss")
    cand.adopt(0.0, 1, (2, frozenset({21, 22})), {21: 5.0, 22: 5.0}, 0.02, source="x")
    cand.adopt(0.0, 2, (1, frozenset({11, 12})), {11: 5.0, 12: 5.0}, 0.02, source="rss")  # copy
    assert cand.source_weight == {"rss": 1.02, "x": 1.0}


def test_a_short_title_naming_the_story_is_no_copy_of_a_long_post() -> None:
    """Independent news posts share a story's rare words; a long post says much more."""
    cand = _cand()
    story = {101: 9.0, 102: 8.0}  # "whistleblower", "guardian"
    long_post = {**story, **{200 + i: 7.0 for i in range(12)}}  # a body with its own words
    assert _adopt(cand, 1, long_post) == 1.0
    short = {**story, 300: 3.0}  # a title: the story's words and one of its own
    assert _adopt(cand, 2, short) > 0.02


def test_a_near_copy_of_one_adopter_counts_little() -> None:
    cand = _cand()
    template = {200 + i: 7.0 for i in range(10)}
    assert _adopt(cand, 1, template) == 1.0
    swapped = {**{k: v for k, v in template.items() if k != 200}, 999: 7.0}  # one word swapped
    assert _adopt(cand, 2, swapped) == 0.02
    assert _adopt(cand, 1, template) == 0.02  # the exact same text again


def test_an_adopter_saying_something_new_counts_in_full() -> None:
    cand = _cand()
    assert _adopt(cand, 1, {10: 5.0, 11: 5.0, 12: 5.0}) == 1.0
    assert _adopt(cand, 2, {20: 5.0, 21: 5.0, 22: 5.0}) == 1.0


def test_the_shelf_remembers_the_newest_authors_of_untracked_phrases() -> None:
    shelf = PhraseShelf(capacity=7, per_phrase=3)
    old = _cand()
    old.authors = {"ann": 1, "bob": 4, "cat": 2, "dan": 3}
    old.vocabulary = {7, 8}
    shelf.put(old)
    again = _cand()
    shelf.fill(again, 9)
    assert set(again.authors) == {"bob", "cat", "dan"} and again.vocabulary == {7, 8}
    shelf.fill(again, 9)
    assert again.authors == {} and again.vocabulary == set()  # given back once
    for key in (11, 12, 13):
        cand = Candidate(key=key, slot=key, first_seen=old.first_seen)
        cand.authors = {f"{key}-a": 0, f"{key}-b": 0}
        shelf.put(cand)
    assert shelf.size <= 7 and old.key not in shelf.held  # the first shelved went first
    restored = PhraseShelf()
    restored.restore(shelf.to_state())
    back = Candidate(key=13, slot=13, first_seen=old.first_seen)
    restored.fill(back, 0)
    assert set(back.authors) == {"13-a", "13-b"} and restored.size == 4  # 11 and 12 stay


def test_a_phrase_tracked_again_counts_only_newcomers() -> None:
    """Untracked and tracked again, a phrase's earlier users are not new adopters."""
    engine = NarrativeEngine()
    gen = StreamGenerator(3)
    posts = gen.background(3, 20)
    engine.ingest(posts)
    engine.tick()
    slot = int(np.flatnonzero(engine.table.keys)[0])
    tracker, seen, now_ts = engine.tracker, engine.posts_ingested, engine.now_ts
    tracker.track(np.array([slot]), 4, posts[-1].created_at, seen, now_ts)
    cand = engine.by_slot[slot]
    cand.authors = {"ann": 1, "bob": 2}
    tracker.untrack(cand)
    tracker.track(np.array([slot]), 5, posts[-1].created_at, seen, now_ts)
    again = engine.by_slot[slot]
    assert again is not cand
    assert not again.is_new_author("ann") and not again.is_new_author("bob")
    assert again.is_new_author("eve")


def test_sock_puppets_filling_one_template_count_little() -> None:
    """Two words swapped in "honestly the _ wallet changed my _": the frame gives it away."""
    vocab = Vocab()
    texts = [
        "honestly the mirvane wallet changed my life",
        "honestly the mirvane wallet kept my savings",  # two words swapped
        "i moved my coins to the mirvane wallet yesterday",  # someone writing their own post
    ]
    ext = extract(texts, vocab)
    key = phrase_key(["mirvane", "wallet"])
    cand = _cand()
    weights = []
    mine = ext.phrase == np.uint64(key)
    for post, start in zip(ext.post[mine].tolist(), ext.start[mine].tolist(), strict=True):
        frame = frozenset(framed(ext, vocab, post, start, 2))
        words = {1000 + post * 10 + i: 5.0 for i in range(3)}  # other words all new
        cand.adopt(0.0, post, (post, frozenset(words)), words, 0.02, frame, source="x")
        weights.append(cand.adopt_weights[-1])
    assert weights == [1.0, 0.02, 1.0]


def _frames(texts: list[str], words: list[str]) -> list[frozenset[int]]:
    """The frame of ``words`` in each text that has them."""
    vocab = Vocab()
    ext = extract(texts, vocab)
    mine = ext.phrase == np.uint64(phrase_key(words))
    return [
        frozenset(framed(ext, vocab, post, start, len(words)))
        for post, start in zip(ext.post[mine].tolist(), ext.start[mine].tolist(), strict=True)
    ]


def _adopt_all(cand: Candidate, frames: list[frozenset[int]], first: int = 0) -> list[float]:
    """Adopt one post per frame, each with other words all its own; the weights given."""
    out = []
    for i, frame in enumerate(frames, first):
        words = {3000 + 10 * i + k: 5.0 for k in range(3)}
        cand.adopt(0.0, i, (i, frozenset(words)), words, 0.02, frame, source="x")
        out.append(cand.adopt_weights[-1])
    return out


def test_the_networks_a_phrase_remembers_by_name_are_bounded() -> None:
    """One adopter on each of 300 sources (a replay file may name any): the first
    ``MAX_SOURCES`` are kept by name, the rest pooled under no real name; no weight is lost."""
    cand = _cand()
    for i in range(300):
        words = {5000 + i: 5.0}
        cand.adopt(0.0, i, (i, frozenset(words)), words, 0.02, source=f"feed{i}")
    assert len(cand.source_weight) == MAX_SOURCES + 1
    assert cand.source_weight[OTHER_SOURCES] == sum(cand.adopt_weights[MAX_SOURCES:])
    assert sum(cand.source_weight.values()) == pytest.approx(cand.total_weight)


def test_copies_together_show_the_template_no_single_one_does() -> None:
    """Sock puppets never post the template itself ("honestly the mirvane wallet changed my
    life"): each post swaps a word or two. The last one shares at most two of five places
    with any earlier post, but three with the two already judged copies taken together."""
    frames = _frames(
        [
            "honestly the mirvane wallet kabakix tedex life",
            "honestly zorp mirvane wallet changed tedex life",  # copies the first
            "vilox the mirvane wallet kabakix my life",  # copies the first
            "nosux the mirvane wallet changed my flim",
        ],
        ["mirvane", "wallet"],
    )
    assert _adopt_all(_cand(), frames) == [1.0, 0.02, 0.02, 0.02]
    # Against the first post alone the last one is someone else: the copies showed the rest.
    assert _adopt_all(_cand(), [frames[0], frames[3]]) == [1.0, 1.0]


def test_a_longer_phrase_learns_the_templates_of_the_phrase_it_starts_with() -> None:
    """ "mirvane" was tracked first and took up the puppets' first posts, one of them judged
    a copy; once "mirvane wallet" is tracked, its first post from that template is no new
    adopter. A frame places words from where the phrase starts, so both phrases' frames are
    alike. An independent adopter of the shorter phrase is no template for the longer one."""
    texts = [
        "switched to mirvane wallet last week best decision",
        "switched to mirvane wallet last month best decision",  # a copy of the first
        "switched to mirvane wallet last month best rovibax",
    ]
    short = _cand()
    assert _adopt_all(short, _frames(texts[:2], ["mirvane"])) == [1.0, 0.02]
    later = _frames(texts[2:], ["mirvane", "wallet"])
    long = _cand()
    long.learn_templates(short)
    assert len(long.recent_texts) == 1
    assert _adopt_all(long, later, first=2) == [0.02]
    assert _adopt_all(_cand(), later, first=2) == [1.0]
    alone = _cand()
    _adopt_all(alone, _frames(texts[:1], ["mirvane"]))
    long = _cand()
    long.learn_templates(alone)
    assert _adopt_all(long, later, first=2) == [1.0]


def test_posts_before_tracking_that_fill_one_template_show_it() -> None:
    """The puppets' first posts came before "mirvane wallet" was tracked: nobody adopted them,
    but two of them fill one template, so the first tracked post filling it is no adopter.
    A post heard once is no template: the first tracked copy of a headline counts in full,
    as it did before anything was heard."""
    texts = [
        "honestly the mirvane wallet changed neralox that",
        "of it mirvane wallet changed my life",
        "honestly the mirvane wallet changed my delix",  # fills the first one's template
        "honestly the mirvane wallet changed my muvidex",  # tracked from here
    ]
    frames = _frames(texts, ["mirvane", "wallet"])
    heard = [Said(float(i), 100 + i, frame) for i, frame in enumerate(frames[:3])]
    cand = _cand()
    cand.overhear(heard)
    assert len(cand.recent_texts) == 2  # the two alike; the post alone is no template
    assert all(copied for *_, copied in cand.recent_texts)
    assert _adopt_all(cand, frames[3:], first=3) == [0.02]
    alone = _cand()
    alone.overhear(heard[1:2])
    assert not alone.recent_texts
    assert _adopt_all(alone, frames[3:], first=3) == [1.0]
    # The same headline heard twice: both are copies, and so is its first tracked copy.
    twice = _cand()
    twice.overhear([Said(0.0, 7, frozenset()), Said(1.0, 7, frozenset())])
    assert _adopt(twice, 7, {41: 5.0, 42: 5.0}) == 0.02
    once = _cand()
    once.overhear([Said(0.0, 7, frozenset())])
    assert _adopt(once, 7, {41: 5.0, 42: 5.0}) == 1.0


def test_a_heard_frame_too_short_to_show_a_template_is_no_copy() -> None:
    """Heard posts are judged as adopters are: a frame of two places alike a longer one
    (two of its words) makes the longer one part of a template, never the short one."""
    texts = [
        "mirvane wallet changed my",  # two places after the phrase
        "the mirvane wallet changed my life",  # four: half of it is the short frame
        "the mirvane wallet changed my delix",
    ]
    frames = _frames(texts, ["mirvane", "wallet"])
    assert len(frames[0]) < FRAME_SHARED <= len(frames[1])
    cand = _cand()
    cand.overhear([Said(float(i), 100 + i, frame) for i, frame in enumerate(frames)])
    assert [frame for *_, frame, _ in cand.recent_texts] == frames[1:]


def test_the_posts_heard_before_tracking_count_towards_the_headline_spelling() -> None:
    """The posts that made the phrase jump are how people wrote it too: three "vibe coding"
    heard outnumber two "vibe coded" among the first tracked posts."""
    cand = _cand()
    cand.overhear([Said(float(i), i, frozenset(), "vibe coding") for i in range(3)])
    cand.add_surface("vibe coded")
    cand.add_surface("vibe coded")
    assert cand.surface == "vibe coding" and cand.surface_hits == 5
    restored = _cand()  # heard from a checkpoint: no spelling, nothing counted
    restored.overhear([Said(0.0, 1, frozenset())])
    assert restored.surface_hits == 0


def test_a_phrase_with_many_adopters_in_earlier_lives_is_established() -> None:
    """Tracked again after hours of use without becoming a story: judged like a common word."""
    engine = NarrativeEngine()
    shelf = engine.shelf
    cand = Candidate(key=5, slot=5, first_seen=datetime(2013, 6, 9, tzinfo=UTC))
    cand.canonical, cand.n_tokens = "drovia garden", 2
    assert not engine._common(cand)
    needed = engine.cfg.min_adopters
    for life in range(4):  # four lives of one story's worth of adopters each
        cand.authors = {f"a{life}": life}
        cand.adopt_weights = [1.0] * int(needed)
        cand.total_weight = needed
        shelf.put(cand, loose=True)
        cand = Candidate(key=5, slot=5, first_seen=cand.first_seen)
        cand.canonical, cand.n_tokens = "drovia garden", 2
        shelf.fill(cand, life)
    assert cand.past_weight == 4 * needed and "a3" in cand.authors
    assert engine._common(cand)
    cand.total_weight = 100.0
    shelf.put(cand)  # a story's phrase leaving: its adopters were the story's, not chatter
    told = Candidate(key=5, slot=5, first_seen=cand.first_seen)
    shelf.fill(told, 9)
    assert told.past_weight == 4 * needed


def test_half_of_a_long_frame_is_a_template_but_a_short_one_must_match_whole() -> None:
    """Two of four places swapped ("mavrik app is the _ deal _") is still the template;
    two short posts that share "is _ lol" are two people."""
    vocab = Vocab()
    texts = [
        "mavrik app is the real deal folks",
        "mavrik app was the best deal yet",  # two of four places swapped
        "mavrik app is wild lol",
        "mavrik app is crazy lol",  # a short frame sharing two of three places
    ]
    ext = extract(texts, vocab)
    mine = ext.phrase == np.uint64(phrase_key(["mavrik", "app"]))
    frames = [
        frozenset(framed(ext, vocab, post, start, 2))
        for post, start in zip(ext.post[mine].tolist(), ext.start[mine].tolist(), strict=True)
    ]
    weights = []
    for pair in (frames[:2], frames[2:]):
        cand = _cand()
        for i, frame in enumerate(pair):
            words = {2000 + 10 * len(weights) + i: 5.0}
            cand.adopt(0.0, i, (len(weights), frozenset(words)), words, 0.02, frame, source="x")
            weights.append(cand.adopt_weights[-1])
    assert weights == [1.0, 0.02, 1.0, 1.0]


def test_a_word_nearly_every_independent_adopter_writes_beside_it_makes_it_a_fragment() -> None:
    """ "coin" whose adopters write "goblin coin" leans on "goblin"; a stopword is no
    neighbour, and copies do not count."""
    vocab = Vocab()
    posts = ["goblin coin is up", "the new goblin coin", "goblin coin moonshot", "my coin wallet"]
    ext = extract(posts, vocab)
    coin = {
        int(p): int(st)
        for p, st, n in zip(ext.post, ext.start, ext.length, strict=True)
        if phrase_text(ext, vocab, int(st), int(n))[0] == "coin"
    }
    goblin, wallet = stable_hash("goblin"), stable_hash("wallet")
    found = [neighbours(ext, vocab, p, coin[p], 1) for p in range(len(posts))]
    assert found == [(goblin, 0), (goblin, 0), (goblin, stable_hash("moonshot")), (0, wallet)]
    cand = _cand()
    for p, beside in enumerate(found):
        said = {1000 + 10 * p + i: 5.0 for i in range(3)}  # each says something of its own
        cand.adopt(0.0, p, (p, frozenset(said)), said, 0.02, frozenset(), beside, source="x")
        assert cand.leans_on() == (p >= 2), p  # 3 of 3 write "goblin", then 3 of 4
    said = {2000: 5.0, 2001: 5.0}
    cand.adopt(0.0, 5, (5, frozenset(said)), said, 0.02, frozenset(), (0, 0), source="x")
    assert not cand.leans_on()  # 3 of 5
    copy = {1000 + i: 5.0 for i in range(3)}  # the first adopter's words again: a copy
    for _ in range(3):
        cand.adopt(0.0, 9, (0, frozenset(copy)), copy, 0.02, frozenset(), (goblin, 0), source="x")
    assert not cand.leans_on()


Framing = tuple[dict[int, int], dict[int, float]]


def _weighed(texts: list[str], words: list[str]) -> list[tuple[frozenset[int], Framing]]:
    """Each text's frame of ``words``, the word at each place and what each word says."""
    vocab = Vocab()
    ext = extract(texts, vocab)
    mine = ext.phrase == np.uint64(phrase_key(words))
    stops = {stable_hash(w) for w in ("the", "my", "to", "you", "is")}
    fillers = {stable_hash(w) for w in ("fudevix", "fulox", "pokax", "netex", "flim")}
    out = []
    for post, start in zip(ext.post[mine].tolist(), ext.start[mine].tolist(), strict=True):
        places = framed(ext, vocab, post, start, len(words))
        # A stopword says nothing; rarer than a filler: a template's own words, and people's
        # words of their own.
        says = {
            word: 0.0 if word in stops else 4.0 if word in fillers else 6.0
            for word in places.values()
        }
        out.append((frozenset(places), (places, says)))
    return out


def test_a_template_shows_in_all_recent_frames_taken_together() -> None:
    """Each puppet swaps two of the template's words for everyday ones, so no two posts share
    half a frame and none was judged a copy yet; but half of what the third one says stood at
    its place in the first two (the template's rare words). People writing their own posts
    share stopwords there, and a word common enough to stand anywhere by chance."""
    puppets = _weighed(
        [
            "honestly the mirvane wallet changed my fudevix",
            "honestly you mirvane wallet changed fulox life",
            "pokax the mirvane wallet changed netex life",
        ],
        ["mirvane", "wallet"],
    )
    people = _weighed(
        [
            "kabakix the mirvane wallet is zorp now",
            "lonex my mirvane wallet is flim today",
            "vilox the mirvane wallet is flim quix",  # three places seen: two stopwords
        ],
        ["mirvane", "wallet"],
    )
    assert sorted(people[2][1][1].values()) == [0.0, 0.0, 4.0, 6.0, 6.0]

    def weights(cand: Candidate, posts: list[tuple[frozenset[int], Framing]]) -> list[float]:
        out = []
        for i, (frame, framing) in enumerate(posts):
            words = {3000 + 10 * i + k: 5.0 for k in range(3)}
            cand.adopt(
                0.0, i, (i, frozenset(words)), words, 0.02, frame, source="x", framing=framing
            )
            out.append(cand.adopt_weights[-1])
        return out

    assert weights(_cand(), puppets) == [1.0, 1.0, 0.02]
    assert _adopt_all(_cand(), [frame for frame, _ in puppets]) == [1.0, 1.0, 1.0]  # pair by pair
    assert weights(_cand(), people) == [1.0, 1.0, 1.0]
    unweighed = [(frame, (places, dict.fromkeys(says, 5.0))) for frame, (places, says) in people]
    assert weights(_cand(), unweighed) == [1.0, 1.0, 0.02]  # as if "the" and "is" said much
