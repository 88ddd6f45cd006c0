"""Our Rasa dialogue extensions: the policy that answers every message, and the importer that reads the
answer intents from the knowledge files (config.yml names both)."""
