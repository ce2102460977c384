"""Slots and submit permits of the account's quota, shared by every job of a store."""

from .base import DEFAULT_LEASE_TTL_S, Holder, Lease, QueueStatus, QuotaStore
from .local import LocalQuota

__all__ = ["DEFAULT_LEASE_TTL_S", "Holder", "Lease", "LocalQuota", "QueueStatus", "QuotaStore"]
