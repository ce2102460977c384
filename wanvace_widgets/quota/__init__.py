"""Slots and submit permits of the account's quota, shared by every job of a store.

Stores: :class:`LocalQuota` (one kernel), :class:`SqliteQuota` (every kernel of one user
on one machine, the default), and ``wanvace_widgets.quota.redis.RedisQuota`` (a team on
many machines; needs ``pip install "wanvace-widgets[team]"``).
:func:`quota_store_from_environment` picks one as ``WANVACE_QUOTA_URL`` says.
"""

from .base import DEFAULT_LEASE_TTL_S, Holder, Lease, QueueStatus, QuotaStore, QuotaStoreError
from .choice import (
    QuotaChoice,
    check_user_name,
    choose_quota_store,
    daily_budget_usd,
    quota_scope,
    quota_store_from_environment,
    quota_user,
)
from .local import LocalQuota
from .policy import QuotaPolicy
from .sqlite import SqliteQuota

__all__ = [
    "DEFAULT_LEASE_TTL_S",
    "Holder",
    "Lease",
    "LocalQuota",
    "QueueStatus",
    "QuotaChoice",
    "QuotaPolicy",
    "QuotaStore",
    "QuotaStoreError",
    "SqliteQuota",
    "check_user_name",
    "choose_quota_store",
    "daily_budget_usd",
    "quota_scope",
    "quota_store_from_environment",
    "quota_user",
]
