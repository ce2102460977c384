"""Temporary file storage (``docs/api-contract.md`` §13.2): upload policies, the OSS form
POST, oss:// keys.

A policy is bound to the model it was asked for and expires after ``policy_ttl_s``; a
stored file is bound to that model too and is gone after 48 hours. Expired policies and
files are forgotten, and the files' bytes live in a budget, oldest dropped first
(``docs/api-contract.md`` §15), so memory stays bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from ..contract import constants as c
from ..contract.server_time import server_day
from .blobs import Blobs
from .profiles import EmulatorConfig
from .validation import ApiFailure

__all__ = ["UploadStore"]

UPLOAD_PATH = "/oss-upload"


@dataclass
class _Policy:
    upload_dir: str
    model: str
    expires_at: float
    max_bytes: int


@dataclass
class _StoredFile:
    model: str
    expires_at: float


class UploadStore:
    def __init__(self, config: EmulatorConfig):
        self.config = config
        self._secret = secrets.token_bytes(16)
        self._policies: dict[str, _Policy] = {}
        self._files: dict[str, _StoredFile] = {}
        self._bytes = Blobs(config.upload_cache_bytes)

    def _sign(self, policy: str) -> str:
        return hmac.new(self._secret, policy.encode(), hashlib.sha1).hexdigest()

    def _evict(self, now: float) -> None:
        # an expired policy is kept an hour more, to answer "Policy expired" rather than a
        # bad signature to a late upload
        stale = [p for p, policy in self._policies.items() if now > policy.expires_at + 3600]
        for policy_id in stale:
            del self._policies[policy_id]
        for key in [k for k, stored in self._files.items() if now > stored.expires_at]:
            self._forget(key)

    def _forget(self, key: str) -> None:
        self._files.pop(key, None)
        self._bytes.discard(key)

    def new_policy(self, model: str) -> dict:
        now = self.config.clock.now()
        self._evict(now)
        policy = uuid.uuid4().hex
        day = server_day(now)
        upload_dir = f"dashscope-instant/{uuid.uuid4().hex[:16]}/{day}/{uuid.uuid4()}"
        self._policies[policy] = _Policy(
            upload_dir, model, now + self.config.policy_ttl_s, self.config.upload_max_mb << 20
        )
        return {
            "policy": policy,
            "signature": self._sign(policy),
            "upload_dir": upload_dir,
            "upload_host": self.config.public_base_url + UPLOAD_PATH,
            "expire_in_seconds": self.config.policy_ttl_s,
            "max_file_size_mb": self.config.upload_max_mb,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": "EMULATED-ACCESS-KEY",
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    def store(self, form: dict[str, str], data: bytes) -> None:
        """Accept one form POST, or raise ApiFailure as OSS would."""
        policy_id = form.get("policy", "")
        policy = self._policies.get(policy_id)
        if policy is None or not hmac.compare_digest(
            self._sign(policy_id), form.get("Signature", "")
        ):
            raise ApiFailure(
                403, "AccessDenied", "The request signature we calculated does not match."
            )
        now = self.config.clock.now()
        if now > policy.expires_at:
            raise ApiFailure(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        key = form.get("key", "")
        if not key.startswith(policy.upload_dir + "/") or len(key) <= len(policy.upload_dir) + 1:
            raise ApiFailure(403, "AccessDenied", "Invalid according to Policy: key.")
        if len(data) > policy.max_bytes:
            raise ApiFailure(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
            )
        if key in self._files and form.get("x-oss-forbid-overwrite") == "true":
            raise ApiFailure(409, "FileAlreadyExists", "The object you specified already exists.")
        self._evict(now)
        self._files[key] = _StoredFile(policy.model, now + c.UPLOAD_URL_TTL_S)
        for dropped in self._bytes.put(key, data):
            self._files.pop(dropped, None)

    def resolve(self, url: str, model: str) -> bytes | None:
        """The bytes behind an ``oss://`` URL for ``model``, or None if absent or expired."""
        key = url[len(c.OSS_SCHEME) :]
        stored = self._files.get(key)
        if stored is None or stored.model != model or self.config.clock.now() > stored.expires_at:
            return None
        return self._bytes.get(key)
