"""Group phrases that burst together (co-occur in the same posts) into narratives."""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterable, Sequence

from bot.engine.candidates import Candidate
from bot.engine.folding import HIRAGANA, is_cjk, stable_hash, stem
from bot.engine.tokens import is_edge_stop

MIN_SHARED = 3  # posts two phrases must share before they can be linked
MIN_OVERLAP = 0.5  # ... as a share of the smaller phrase's recent posts
MIN_OVERLAP_MAX = 0.25  # ... and of the larger one's, so a hub word does not swallow everything


def linked(a: set[int], b: set[int]) -> bool:
    if not a or not b:
        return False
    shared = len(a & b) if len(a) < len(b) else len(b & a)
    small, large = min(len(a), len(b)), max(len(a), len(b))
    return (
        shared >= MIN_SHARED and shared >= MIN_OVERLAP * small and shared >= MIN_OVERLAP_MAX * large
    )


_HIRAGANA_RE = re.compile(f"[{HIRAGANA}]")
TAG_NAMING = 0.75  # a hashtag must be this much more common than a phrase to name the story
FRAGMENT_SHARE = 0.5  # a longer phrase this common relative to a part of it is the story
FRAGMENT_MIN = 3.0  # adoptions before a phrase can be called the story over a part of it
SUPPRESS_FROM = 15.0  # only phrases scoring at least this are told apart from their parts
TOKEN_WORDS = ("", "coin", "token")  # $DOGE <-> "doge", "dogecoin", "doge token"
CROSS_SHARED = 1  # posts carrying both a CJK and a Latin-script form before they are linked
CROSS_OVERLAP = 0.1  # ... as a share of the smaller form's recent posts
CROSS_SECONDS = 3 * 3600  # ... whose first adoptions are this close in time
QUOTED_ADOPTERS = 1.0  # independent adopters of a form quoting the other form's seed post


def _squash(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


@functools.lru_cache(maxsize=65536)
def compound(text: str) -> str:
    """One spelling-free form per phrase: "#VibeCoding", "vibe-coded", "vibe coding" -> "vibecod".

    Spaces, hyphens and the tag mark go, the whole is stemmed as one word, and in Japanese the
    particles between content words go too ("幽霊を召喚" -> "幽霊召喚").
    """
    squashed = _squash(text.casefold())
    if is_cjk(squashed[:1]) or _HIRAGANA_RE.search(squashed):
        stripped = _HIRAGANA_RE.sub("", squashed)
        return stripped or squashed
    return stem(squashed)


def forms(cand: Candidate) -> set[str]:
    """The compound forms of a phrase's key and of every spelling seen."""
    name = cand.canonical or ""
    body = name[1:] if name[:1] in "#$" else name
    out = {compound(body)}
    out.update(compound(s[1:] if s[:1] in "#$" else s) for s in cand.surfaces)
    out.discard("")
    return out


def distinctive(cand: Candidate) -> bool:
    """Whether a phrase can name or seed a story: several words, a tag, or a long CJK word."""
    return _distinctive(cand.canonical or "", cand.n_tokens)


@functools.lru_cache(maxsize=65536)
def _distinctive(name: str, n_tokens: int) -> bool:
    if n_tokens >= 2 or name.startswith(("#", "$")):  # (an unnamed phrase is no tag)
        return True
    return is_cjk(name[:1]) and len(name) >= 4


def ordinary(cand: Candidate) -> bool:
    """A plain single word of the language: it needs far more evidence than a coinage."""
    return not distinctive(cand)


def tag_linked(tag: Candidate, phrase: Candidate) -> bool:
    """#summoningghosts <-> "summoning ghosts"; $goblin <-> "goblin coin"; "goblincoin" too."""
    name = tag.canonical or ""
    other = phrase.canonical or ""
    if not name or not other or tag is phrase:
        return False
    if name[0] == "$":
        body = name[1:]
        if len(body) < 3:
            return False
        spelled = forms(phrase)
        # A token is written out as its name and "coin" or "token", apart or as one word.
        return body in other.split() or any(
            compound(body + word) in spelled for word in TOKEN_WORDS
        )
    if len(compound(name)) < 4:
        return False
    return bool(forms(tag) & forms(phrase))


def cross_linked(a: Candidate, b: Candidate) -> bool:
    """Two scripts, one story: posts carry both forms, or one leader post seeded both.

    A translation is linked by evidence in the stream, never by a dictionary: a shared seed
    post, a form taken up by quoting (or replying to) the other's seed post, or posts that
    carry both forms while both are being taken up at the same time.
    """
    ca, cb = a.canonical or "", b.canonical or ""
    if is_cjk(ca[:1]) == is_cjk(cb[:1]):
        return False
    if a.seed_post is not None and b.seed_post is not None and a.seed_post.id == b.seed_post.id:
        return True
    if quoted_seed(a, b) or quoted_seed(b, a):
        return True
    if not (a.adopt_times and b.adopt_times):
        return False
    if abs(a.adopt_times[0] - b.adopt_times[0]) > CROSS_SECONDS:
        return False
    pa, pb = set(a.posts), set(b.posts)
    shared = len(pa & pb)
    if shared >= CROSS_SHARED and shared >= CROSS_OVERLAP * min(len(pa), len(pb)):
        return True
    # Bilingual posts written before the younger form was tracked are not among its posts,
    # but their words are among the older form's adopters' words.
    return distinctive(a) and distinctive(b) and (wrote(a, b) or wrote(b, a))


def quoted_seed(story: Candidate, form: Candidate) -> bool:
    """Whether ``form`` was taken up quoting ``story``'s seed post: a quote (or a reply) says
    one form while pointing at the post that coined the other, as a bilingual post does.

    The quoting adopters must be independent (copies weigh little) and a share of the form's
    adopters like a bilingual post's share of its posts: an everyday word written by
    thousands is not the story because one of them quoted its seed. And the form must have
    words of its own (used mostly in it, as ``wrote`` asks): the quoting posts carry their
    writers' everyday words too ("新しい今日", "new today", in one of them is no form).
    """
    if story.seed_post is None or not distinctive(form) or not form.own_words:
        return False
    weight = form.quoted.get(story.seed_post.id, 0.0)
    return weight >= QUOTED_ADOPTERS and weight >= CROSS_OVERLAP * form.total_weight


def wrote(adopted: Candidate, form: Candidate) -> bool:
    """Whether the adopters of one phrase wrote every content word of another form.

    At least one of those words must be the form's own (used mostly in it): a story's
    adopters write thousands of common words, so a phrase of fillers is in their vocabulary
    by chance.
    """
    keys = _content_keys(form.words)
    return bool(keys & form.own_words) and keys <= adopted.vocabulary


@functools.lru_cache(maxsize=65536)
def _content_keys(words: tuple[str, ...]) -> frozenset[int]:
    return frozenset(stable_hash(w) for w in words if not is_edge_stop(w))


def everyday(cand: Candidate) -> bool:
    """Scored as common: a phrase the stream wrote routinely before (or long, or only on a
    network that just joined). It shares posts with every story, so it joins one only as a
    form of it (a tag, a compound, a translation), never by sharing posts."""
    return cand.signals is not None and cand.signals.common


def related(a: Candidate, b: Candidate, a_posts: set[int], b_posts: set[int]) -> bool:
    by_posts = not everyday(a) and not everyday(b) and linked(a_posts, b_posts)
    return by_posts or tag_linked(a, b) or tag_linked(b, a) or cross_linked(a, b)


def groups(cands: Sequence[Candidate]) -> list[list[Candidate]]:
    """Connected components of the co-occurrence / tag-link graph, in a deterministic order."""
    parent = list(range(len(cands)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sets = [set(c.posts) for c in cands]
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            if related(cands[i], cands[j], sets[i], sets[j]):
                parent[find(i)] = find(j)
    comps: dict[int, list[Candidate]] = {}
    for i, cand in enumerate(cands):
        comps.setdefault(find(i), []).append(cand)
    out = [sorted(c, key=lambda x: x.canonical or "") for c in comps.values()]
    return sorted(out, key=lambda g: g[0].canonical or "")


def attaches(cand: Candidate, narrative_posts: set[int], members: Iterable[Candidate]) -> bool:
    """Whether an unassigned phrase belongs to an existing narrative.

    A plain word belongs to one only as a spelling of it ("goblincoin" of "$goblin",
    "vibecoding" of "vibe coding"): a word seen beside a story is its company, not a form.
    """
    if not distinctive(cand):
        return any(tag_linked(cand, m) or tag_linked(m, cand) for m in members)
    if not everyday(cand) and _shares_posts(set(cand.posts), narrative_posts, MIN_OVERLAP):
        return True
    return any(tag_linked(cand, m) or tag_linked(m, cand) or cross_linked(cand, m) for m in members)


def accompanies(posts: Iterable[int], narrative_posts: set[int]) -> bool:
    """Whether a plain word's recent posts are mostly a told story's (its company).

    Half the overlap that joins a phrase to a story is enough: the word is not joined, only
    kept from telling the story again on its own.
    """
    return _shares_posts(set(posts), narrative_posts, MIN_OVERLAP / 2)


def _shares_posts(own: set[int], narrative_posts: set[int], overlap: float) -> bool:
    """At least ``MIN_SHARED`` of a phrase's posts, and ``overlap`` of them, are the story's."""
    shared = len(own & narrative_posts)
    return shared >= MIN_SHARED and shared >= overlap * len(own)


@functools.lru_cache(maxsize=65536)
def _subphrases(name: str) -> tuple[str, ...]:
    words = name.split()
    return tuple(
        " ".join(words[i:j])
        for i in range(len(words))
        for j in range(i + 1, len(words) + 1)
        if j - i < len(words)
    )


def _since(cand: Candidate, ts: float) -> float:
    i = bisect.bisect_left(cand.adopt_times, ts)
    return float(sum(cand.adopt_weights[i:]))


class NestIndex:
    """Which tracked phrases hold which, kept as phrases are named and untracked."""

    def __init__(self, cands: Iterable[Candidate] = ()) -> None:
        self.by_name: dict[str, Candidate] = {}
        self.cjk: dict[int, Candidate] = {}  # by id, in the order they were named
        self.by_word: dict[str, dict[int, Candidate]] = {}  # word -> multi-word phrases
        for cand in cands:
            self.add(cand)

    def add(self, cand: Candidate) -> None:
        name = cand.canonical
        if not name:
            return
        self.by_name[name] = cand
        if is_cjk(name[:1]):
            self.cjk[id(cand)] = cand
        elif cand.n_tokens >= 2:
            for word in name.split():
                self.by_word.setdefault(word, {})[id(cand)] = cand

    def remove(self, cand: Candidate) -> None:
        name = cand.canonical
        if not name:
            return
        if self.by_name.get(name) is cand:
            del self.by_name[name]
        self.cjk.pop(id(cand), None)
        for word in name.split():
            holders = self.by_word.get(word)
            if holders is not None:
                holders.pop(id(cand), None)
                if not holders:
                    del self.by_word[word]

    def parts(self, cand: Candidate) -> list[Candidate]:
        """Tracked phrases inside ``cand`` (whole words; in CJK, any inner run)."""
        name = cand.canonical or ""
        if is_cjk(name[:1]):
            return [c for c in self.cjk.values() if c is not cand and (c.canonical or "") in name]
        if cand.n_tokens < 2:
            return []
        return [self.by_name[p] for p in _subphrases(name) if p in self.by_name]

    def holders(self, cand: Candidate) -> list[Candidate]:
        """Tracked phrases that hold ``cand`` as a part."""
        name = cand.canonical or ""
        if not name:
            return []
        if is_cjk(name[:1]):
            others = [c for c in self.cjk.values() if c is not cand and name in (c.canonical or "")]
            return [*others, *self._latin_holders(name)]
        return self._latin_holders(name)

    def _latin_holders(self, name: str) -> list[Candidate]:
        first = name.split()[0] if name.split() else name
        return [
            other
            for other in self.by_word.get(first, {}).values()
            if other.canonical != name and name in _subphrases(other.canonical or "")
        ]


def nested(index: NestIndex, changed: Iterable[Candidate]) -> list[Candidate]:
    """Tracked phrases that are not stories of their own (maximal-phrase pruning).

    For a tracked phrase inside a longer tracked one, the longer one is the story when it was
    taken up at least half as often as the shorter one since it appeared ("code" inside
    "vibe coding"); otherwise the longer one is a rare extension of it ("vibe coding kamix").
    Only pairs with a phrase from ``changed`` are judged: the others stand as judged before.
    """
    scoring = [c for c in changed if c.canonical and c.adopt_times and c.score >= SUPPRESS_FROM]
    pairs: dict[tuple[int, int], tuple[Candidate, Candidate]] = {}
    for cand in scoring:
        # As the longer phrase: its tracked parts; as the shorter: tracked phrases holding it.
        for part in index.parts(cand):
            if part.adopt_times:
                pairs[(id(cand), id(part))] = (cand, part)
        for other in index.holders(cand):
            if other.n_tokens > cand.n_tokens and other.adopt_times:
                pairs[(id(other), id(cand))] = (other, cand)
    out: list[Candidate] = []
    for longer, shorter in pairs.values():
        since = longer.adopt_times[0]
        mine, theirs = _since(longer, since), _since(shorter, since)
        if mine >= FRAGMENT_SHARE * theirs and mine >= FRAGMENT_MIN:
            out.append(shorter)
        elif theirs >= FRAGMENT_MIN:
            out.append(longer)
    return out


def headline(members: Iterable[Candidate], proven: float = math.inf) -> Candidate | None:
    """The phrase that names the story: the distinctive form most adopters wrote.

    Adoptions are counted for the longest tracked phrase of each post, so a fragment ("code")
    or a rare extension ("kamix vibe coding") of the story's phrase never outweighs it. A plain
    word names a story too once it scores ``proven`` by itself, held to a plain word's bar
    (its fragments score nothing): "ps4" on the day of its price, not "used games".
    """
    pool = list(members)
    named = [c for c in pool if c.canonical and (distinctive(c) or c.score >= proven)] or [
        c for c in pool if c.canonical
    ]
    if not named:
        return None
    return max(named, key=lambda c: (_naming_weight(c), c.n_tokens, c.canonical or ""))


def _naming_weight(cand: Candidate) -> float:
    # A hashtag labels a phrase; it names the story only when clearly the more common form.
    return cand.weight * (TAG_NAMING if (cand.canonical or "")[:1] == "#" else 1.0)


def label_of(members: Sequence[Candidate], proven: float = math.inf) -> Candidate:
    """The phrase a new narrative is keyed by (its headline when it is first grouped)."""
    best = headline(members, proven)
    return best if best is not None else members[0]


def seeding(members: Iterable[Candidate]) -> Candidate | None:
    """The member whose leader seed counts: a whole form of the story, never a fragment."""
    members = list(members)
    pool = [c for c in members if c.leader and c.seed_post is not None and distinctive(c)]
    whole = [
        c
        for c in pool
        if not any(_contains(o.canonical or "", c.canonical or "") for o in members if o is not c)
    ]
    if not whole:
        return None
    return min(whole, key=lambda c: (c.seed_post.created_at, c.seed_post.id))  # type: ignore[union-attr]


def _contains(longer: str, shorter: str) -> bool:
    """Whether `shorter` is a whole-word run inside `longer` (CJK runs: a substring)."""
    if longer == shorter or not shorter:
        return False
    if " " in longer or " " in shorter or longer.isascii():
        return f" {shorter} " in f" {longer} "
    return shorter in longer


def member_phrases(members: Sequence[Candidate], keep: Candidate) -> list[str]:
    """The phrases worth showing: a member that only extends another member with a word or two
    ("nofusux summon ghost" beside "summon ghost") and is far rarer than it is a fragment of
    the posts that carry the burst, not a phrase of the narrative. `keep` always stays."""
    mentions = {id(c): (c.signals.mentions if c.signals else 0.0) for c in members}
    shown = []
    for cand in members:
        text = cand.canonical or ""
        extends = any(
            _contains(text, other.canonical or "")
            and mentions[id(cand)] < 0.5 * mentions[id(other)]
            for other in members
            if other is not cand
        )
        if cand is keep or not extends:
            shown.append(text)
    return sorted(shown)
