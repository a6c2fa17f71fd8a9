"""Reads for customers and contacts, always inside one organization."""

from __future__ import annotations
