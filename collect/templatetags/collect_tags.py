from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ request.GET|get_item:name }}`: look up a key held in a variable."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
