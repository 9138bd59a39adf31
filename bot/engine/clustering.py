"""Group phrases that burst together (co-occur in the same posts) into narratives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.engine.candidates import Candidate
from bot.engine.folding import stem

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


def _squash(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def tag_linked(tag: Candidate, phrase: Candidate) -> bool:
    """#summoningghosts <-> "summoning ghosts"; $ghost <-> a phrase containing "ghost"."""
    name = tag.canonical or ""
    if not name or name[0] not in "#$" or (phrase.canonical or "")[:1] in ("#", "$"):
        return False
    body = _squash(name[1:])
    if name[0] == "#":
        # The tag body is stemmed as one word ("#vibecoding" -> "vibecod") while the phrase is
        # stemmed per word ("vibe code"), so compare the squashed surfaces stemmed as one word too.
        forms = [_squash(f) for f in (phrase.canonical or "", *phrase.surfaces)]
        return len(body) >= 4 and any(f in (body, body + "s") or stem(f) == body for f in forms)
    return len(body) >= 3 and body in (phrase.canonical or "").split()


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
            if (
                linked(sets[i], sets[j])
                or tag_linked(cands[i], cands[j])
                or tag_linked(cands[j], cands[i])
            ):
                parent[find(i)] = find(j)
    comps: dict[int, list[Candidate]] = {}
    for i, cand in enumerate(cands):
        comps.setdefault(find(i), []).append(cand)
    out = [sorted(c, key=lambda x: x.canonical or "") for c in comps.values()]
    return sorted(out, key=lambda g: g[0].canonical or "")


def attaches(cand: Candidate, narrative_posts: set[int], members: Iterable[Candidate]) -> bool:
    """Whether an unassigned phrase belongs to an existing narrative."""
    own = set(cand.posts)
    shared = len(own & narrative_posts)
    if shared >= MIN_SHARED and shared >= MIN_OVERLAP * len(own):
        return True
    return any(tag_linked(cand, m) or tag_linked(m, cand) for m in members)


def label_of(members: Sequence[Candidate]) -> Candidate:
    """The longest phrase that still explains most of the burst (not a rare long fragment)."""
    mentions = {id(c): (c.signals.mentions if c.signals else 0.0) for c in members}
    peak = max(mentions.values(), default=0.0)
    pool = [
        c for c in members if mentions[id(c)] >= 0.5 * peak and (c.canonical or "")[:1] not in "#$"
    ]
    if not pool:
        pool = list(members)
    return max(pool, key=lambda c: (c.n_tokens, mentions[id(c)], c.canonical or ""))


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
