"""Recognize danger and crisis language, whatever the intent classifier says.

The NLU model routes most emergencies; this lexicon is the safety net that makes
sure a clear mention of suicide, violence or fire is never answered with a
government-service referral or a fallback.
"""

from __future__ import annotations

import re

from bot.text import fold

# Patterns run on folded text (lowercase, no accents).
_CRISIS = re.compile(
    r"\b(suicid\w*|kill myself|end my life|take my (own )?life|want to die|wanna die|"
    r"hurt myself|self harm|cut myself|no reason to live|me suicider|me tuer|"
    r"mettre fin a (mes|ma) (jours|vie)|en finir avec la vie|veux mourir|veut mourir|"
    r"envie de mourir|me faire du mal|me blesser)\b"
)
_EMERGENCY = re.compile(
    r"\b(fire in|on fire|house is burning|building is burning|au feu|en feu|incendie|"
    r"someone is (dying|bleeding|not breathing)|not breathing|respire (plus|pas)|"
    r"heart attack|crise cardiaque|overdose|surdose|being attacked|se fait attaquer|"
    r"(he|she|someone) (has|got) a (gun|knife)|(il|elle) a (un fusil|une arme|un couteau)|"
    r"hitting me|beating me|me frappe|me bat|threatening to kill|menace de (me )?tuer|"
    r"break ?in (right now|in progress)|intrus dans (ma|la) maison|call 911|appeler le 911)\b"
)


def danger(text: str) -> str | None:
    """Return ``crisis`` or ``emergency`` when ``text`` clearly says so, else None.

    Args:
        text: The citizen's message.

    Returns:
        The intent name to force, or None.
    """
    folded = fold(text or "")
    if _CRISIS.search(folded):
        return "crisis"
    if _EMERGENCY.search(folded):
        return "emergency"
    return None
