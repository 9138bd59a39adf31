"""Hostile scraped text and hostile user input, end to end through the Telegram front end.

The fake server refuses HTML that Telegram would refuse (unknown tags, unbalanced tags, bare
"&", over-long messages), so "accepted with status 200" is itself part of each assertion.
"""

from __future__ import annotations

from datetime import timedelta

from bot.alerts.dispatcher import AlertDispatcher
from bot.engine import Breakdown, Lifecycle, NarrativeView, SamplePost
from bot.render.clean import WORD_JOINER
from storage.narratives import save_views
from tests.builders import AT
from tests.fakes.telegram_server import Call
from tests.telegram.conftest import Bot
from tests.telegram.test_e2e import ADMIN, GROUP, say

RLO = "\u202e"
HOSTILE = f"<b>ghost</b> @everyone {RLO}gnitpircs & <script>alert(1)</script> "
LONG = "summoning " * 500  # 5,000 characters


def hostile_view() -> NarrativeView:
    now = AT
    post = SamplePost(
        id="p1",
        author="@everyone",
        source="x</b>",
        text=HOSTILE + LONG,
        url="javascript:alert(1)",
        created_at=now - timedelta(minutes=30),
        engagement=10,
    )
    return NarrativeView(
        key="hostile ghost",
        label=HOSTILE + LONG,
        phrase="hostile ghost",
        phrases=("hostile ghost", LONG.strip(), f"{RLO}evil"),
        state=Lifecycle.VIRAL,
        score=88.0,
        breakdown=Breakdown(velocity_ratio=20.0, expected=2.0, mentions=40, acceleration=0.5),
        episode=1,
        first_seen=now - timedelta(hours=1),
        leader="<i>evil",
        seed_post=post,
        authors=120,
        mentions=400,
        sources=("x", "<b>src</b>"),
        series=((now - timedelta(minutes=10), 5), (now - timedelta(minutes=5), 9)),
        top_posts=(post,),
    )


def assert_safe(call: Call, field: str = "text") -> str:
    assert call.status == 200, "Telegram would have refused this message"
    text = str(call.params[field])
    assert "<b>ghost" not in text and "<script>" not in text and "<i>evil" not in text
    assert "&lt;b&gt;ghost&lt;/b&gt;" in text or "&lt;b&gt;" in text
    assert RLO not in text
    assert "@everyone" not in text and f"@{WORD_JOINER}everyone" in text
    assert 'href="javascript' not in text
    assert len(text) <= (1024 if field == "caption" else 4096)
    return text


async def test_hostile_narrative_is_escaped_everywhere(tg: Bot) -> None:
    tg.clock.now = AT
    await save_views([hostile_view()], tg.clock.now)

    ghosts = await say(tg, 5, "/ghosts", 5)
    assert_safe(ghosts)

    tg.server.user_message(5, "/narrative hostile ghost", user_id=5)
    [photo] = await tg.server.wait_for("sendPhoto", lambda c: c.chat_id == "5")
    assert photo.status == 200 and photo.files["photo"].startswith(b"\x89PNG")
    detail = (await tg.server.wait_for("sendMessage", lambda c: c.chat_id == "5", count=2))[1]
    text = assert_safe(detail)
    assert "…" in text  # the 5,000-character texts were truncated, not sent whole

    tg.server.set_member(GROUP, ADMIN, "administrator")
    await say(tg, GROUP, "/alerts on", ADMIN)
    dispatcher = AlertDispatcher({"telegram": tg.frontend.sender}, tg.service, chat_interval=0)
    report = await dispatcher.dispatch([hostile_view()])
    assert report.sent == 1
    alert = tg.server.sent("sendMessage", GROUP)[-1]
    assert_safe(alert)


async def test_hostile_user_input_is_rejected_or_escaped(tg: Bot) -> None:
    reply = await say(tg, 6, "/watch " + "a" * 5000, 6)
    assert "too long" in reply.params["text"]
    reply = await say(tg, 6, f"/watch {RLO}gnihtemos", 6)
    assert "cannot be used" in reply.params["text"]
    reply = await say(tg, 6, "/watch <b>bold</b> & @everyone", 6)
    assert reply.status == 200
    text = reply.params["text"]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; @\u2060everyone" in text
    reply = await say(tg, 6, "/narrative <script>", 6)
    assert reply.status == 200 and "&lt;script&gt;" in reply.params["text"]
    reply = await say(tg, 6, "/leaders add @<b>x</b>", 6)
    assert "A handle is letters" in reply.params["text"]


async def test_forged_buttons_get_a_short_answer(tg: Bot) -> None:
    for data in ("d:999999", "w:abc", "zzz", "d:" + "9" * 60):
        tg.server.press_button(5, data, user_id=5, chat_type="private")
    answers = await tg.server.wait_for("answerCallbackQuery", count=4)
    texts = sorted(str(a.params.get("text", "")) for a in answers)
    assert texts.count("This button has expired.") == 1
    assert sum("No tracked narrative" in t for t in texts) == 3
    assert all(a.status == 200 for a in answers)
