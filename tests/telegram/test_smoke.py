from tests.telegram.conftest import Bot


async def test_start(tg: Bot) -> None:
    tg.server.user_message(42, "/start", user_id=42)
    calls = await tg.server.wait_for("sendMessage", lambda c: c.chat_id == "42")
    assert "ghostwatch" in calls[0].params["text"]
