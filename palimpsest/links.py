"""Links into the web UI, built in one place so alerts and pages agree on them.

>>> diff_url("https://palimpsest.example.org/", 7, 2, 3)
'https://palimpsest.example.org/watches/7/diff/2/3'
"""

from __future__ import annotations


def diff_url(base: str, watch_id: int, from_seq: int, to_seq: int) -> str:
    return f"{base.rstrip('/')}/watches/{watch_id}/diff/{from_seq}/{to_seq}"
