"""Property tests: any argument text to any command gets one clear answer, never a crash.

The real python-telegram-bot front end polls the fake Bot API; hypothesis writes the commands.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import t
from tests.telegram.conftest import Bot
from tests.telegram.test_e2e import GROUP, say

USER = 5
INTERNAL = t("error.internal", "en")
COMMANDS = ("ghosts", "narrative", "watch", "unwatch", "watchlist", "alerts", "leaders")
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    # One bot and database for all examples: commands only add rows, which is what users do.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Arguments as users (and attackers) type them: words, handles, numbers, markup, controls,
# bidi marks, emoji, NaN and huge numbers, plus any text at all.
WORDS = st.sampled_from(
    ["on", "off", "add", "remove", "global", "threshold", "quiet", "unquiet", "language",
     "status", "@karpathy", "reddit:spez", "x:", "$GHOST", "$", "@", "nan", "inf", "-1",
     "1e309", "48", "49", "0", "<b>", "&amp;", "\u202e", "\x00", "👻", "ja", "fr"]
)  # fmt: skip
ARGUMENTS = st.one_of(
    st.lists(WORDS, max_size=4).map(" ".join),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=1000),
)


@PROPERTY
@given(command=st.sampled_from(COMMANDS), argument=ARGUMENTS, in_group=st.booleans())
async def test_any_command_argument_gets_one_answer_and_never_an_internal_error(
    tg: Bot, command: str, argument: str, in_group: bool
) -> None:
    tg.server.set_member(GROUP, USER, "administrator")
    chat = GROUP if in_group else USER
    reply = await say(tg, chat, f"/{command} {argument}".strip(), USER)
    text = reply.params["text"]
    assert text and INTERNAL not in text, (command, argument, text)
    assert len(text.encode("utf-16-le")) // 2 <= 4096


@PROPERTY
@given(hours=st.text(max_size=30).filter(lambda s: s.strip() and not s.strip().isdigit()))
async def test_a_bad_ghosts_window_gets_the_usage_line(tg: Bot, hours: str) -> None:
    reply = await say(tg, USER, f"/ghosts {hours}", USER)
    assert "Usage: /ghosts" in reply.params["text"], (hours, reply.params["text"])


@PROPERTY
@given(value=st.one_of(st.text(max_size=20), st.floats(allow_nan=True).map(str)))
async def test_a_bad_threshold_gets_the_usage_line(tg: Bot, value: str) -> None:
    try:
        good = 0 <= float(value) <= 100
    except ValueError:
        good = False
    if good or not value.split() or len(value.split()) != 1:
        return  # a valid threshold (or no single argument): another test's subject
    reply = await say(tg, USER, f"/alerts threshold {value}", USER)
    assert re.search(r"Usage: /alerts", reply.params["text"]), (value, reply.params["text"])
