"""Channel connectors loaded by the Rasa server (see credentials.yml)."""

from bot import action_fallback, lock_fix, privacy, rasa_speedups

# The channels are the project's code that the Rasa server process imports first.
rasa_speedups.apply()
action_fallback.install()
lock_fix.apply()
privacy.install_log_redaction()
