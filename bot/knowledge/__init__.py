"""The knowledge base: every fact the bot says, as YAML entries with source and Stand."""
from bot.knowledge.model import Entry, Source
from bot.knowledge.render import Reply, render_entry
from bot.knowledge.store import KnowledgeBase, KnowledgeError, ReloadingKnowledgeBase, shared_knowledge_base

__all__ = ["Entry", "KnowledgeBase", "KnowledgeError", "ReloadingKnowledgeBase", "Reply", "Source", "render_entry", "shared_knowledge_base"]
