"""Temporary file storage (reference §10): upload policies, the OSS form POST, oss:// keys.

A policy is bound to the model it was asked for and expires after ``policy_ttl_s``; a
stored file is bound to that model too and is gone after 48 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from .. import contract as c
from .config import EmulatorConfig
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
    data: bytes
    model: str
    expires_at: float


class UploadStore:
    def __init__(self, config: EmulatorConfig):
        self.config = config
        self._secret = secrets.token_bytes(16)
        self._policies: dict[str, _Policy] = {}
        self._files: dict[str, _StoredFile] = {}

    def _sign(self, policy: str) -> str:
        return hmac.new(self._secret, policy.encode(), hashlib.sha1).hexdigest()

    def new_policy(self, model: str) -> dict:
        now = self.config.clock.now()
        policy = uuid.uuid4().hex
        day = datetime.fromtimestamp(now).strftime("%Y-%m-%d")
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
        self._files[key] = _StoredFile(data, policy.model, now + c.UPLOAD_URL_TTL_S)

    def resolve(self, url: str, model: str) -> bytes | None:
        """The bytes behind an ``oss://`` URL for ``model``, or None if absent or expired."""
        stored = self._files.get(url[len(c.OSS_SCHEME) :])
        if stored is None or stored.model != model or self.config.clock.now() > stored.expires_at:
            return None
        return stored.data
