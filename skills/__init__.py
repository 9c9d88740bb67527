"""Skill vocabularies, one module per embodiment. They depend only on the core's types."""
