"""Channel connectors loaded by the Rasa server (see credentials.yml)."""

from bot import privacy, rasa_speedups

# The channels are the project's code that the Rasa server process imports first.
rasa_speedups.apply()
privacy.install_log_redaction()
