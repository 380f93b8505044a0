"""Mentions: brand mentions from text and logos."""
