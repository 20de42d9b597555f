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
    r"hurt myself|self harm|cut myself|no reason to live|end it all|ending it all|"
    r"(do not|dont|don t) want to (live|be alive|be here anymore)|better off dead|"
    r"me suicider|(veux|vais|veut|envie de|pense a|penser a) me tuer|"
    r"mettre fin a (mes|ma) (jours|vie)|en finir avec (la vie|tout)|"
    r"(je veux|jveux|je vais|envie d) en finir(?! avec (mes|mon|ma|les|ces|ce|cette|le|la) )|"
    r"veux mourir|"
    r"veut mourir|envie de mourir|plus envie de vivre|me faire du mal|me blesser)\b"
)
_EMERGENCY = re.compile(
    r"\b(fire in|on fire|house is burning|building is burning|au feu|en feu|incendie|"
    r"someone is (dying|bleeding|not breathing)|not breathing|respire (plus|pas)|"
    r"heart attack|crise cardiaque|overdose|surdose|being attacked|se fait attaquer|"
    r"(he|she|someone) (has|got) a (gun|knife)|(il|elle) a (un fusil|une arme|un couteau)|"
    r"hitting me|beating me|me frappe|me bat|threatening to kill|menace de (me )?tuer|"
    r"(going to|gonna|will) kill (me|us)|va (me|nous) tuer|"
    r"break ?in (right now|in progress)|breaking in|trying to (get|break) in|"
    r"entrer par effraction|essaie d ?entrer|intrus dans (ma|la) maison|"
    r"(stuck|trapped) in (the|a|his|her|their) (car|house|building)|"
    r"coince dans (l auto|le char|la voiture)|"
    r"smoke (coming|pouring)|fumee qui sort|(fire|smoke) alarm (is )?(going off|ringing)|"
    r"call 911|appeler le 911|appelle le 911)\b"
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
