"""Campaigns: models arrive with their issue; the app exists so the layout and dependencies are fixed."""
