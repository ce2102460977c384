"""A list of images in a form: the table's list row shown as one image control per entry
the API takes ("slots"), as a user fills them, one after the other.

Every form splits its function's ``media_list`` row this way (image_reference's 1–3
reference images, instruction_edit's 0–4), with the ``choice_list`` row that tags its
entries one to one, if the function has one (image_reference's "image N is": subject or
background). The request still gets one list: the filled slots in order, an empty slot
left out, no image at all = the field left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..contract.params import Param
from ..contract.request_models import VaceRequest
from .fields import FieldControl
from .form_check import on_screen

__all__ = ["ListSlots"]

#: "entry 2 is …" of a list's rule: the entry's number, then the rule for that entry
_ENTRY = re.compile(r"entry (\d+) ")


@dataclass(frozen=True)
class ListSlots:
    """The slots of one list row (``images``) and, one per image, of its ``tags`` row."""

    images: Param
    tags: Param | None = None

    @classmethod
    def of(cls, rows: Sequence[Param]) -> ListSlots | None:
        """The slots of ``rows``' list of media (None when they have none)."""
        images = next((row for row in rows if row.kind == "media_list"), None)
        if images is None:
            return None
        tags = next((row for row in rows if row.kind == "choice_list"), None)
        return cls(images, tags)

    @property
    def numbers(self) -> range:
        """1 … the most entries the API takes."""
        high = self.images.length[1]
        if high is None:
            raise ValueError(f"{self.images.attr}: a list without a maximum has no slots")
        return range(1, high + 1)

    def image_key(self, i: int) -> str:
        """The form's key of image ``i``: ``ref_image_2``."""
        return f"{self.images.attr.removesuffix('s')}_{i}"

    @staticmethod
    def tag_key(i: int) -> str:
        return f"tag_{i}"

    @property
    def list_attrs(self) -> frozenset[str]:
        """The request attributes the slots fill."""
        return frozenset({self.images.attr} | ({self.tags.attr} if self.tags else set()))

    @property
    def keys(self) -> frozenset[str]:
        """The form's keys of the slots."""
        tags = {self.tag_key(i) for i in self.numbers} if self.tags else set()
        return frozenset({self.image_key(i) for i in self.numbers} | tags)

    # -- rows ------------------------------------------------------------------------------

    def split(self, rows: Sequence[Param]) -> tuple[Param, ...]:
        """``rows`` with the list row replaced by its slots (each image followed by its
        tag) and the tags row dropped. Slot ``i`` is required while the API needs at least
        ``i`` images; a tag slot starts at the tags row's suggestion for that entry."""
        split: list[Param] = []
        for row in rows:
            if row is self.images:
                split += self._slot_rows()
            elif row is not self.tags:
                split.append(row)
        return tuple(split)

    def _slot_rows(self) -> list[Param]:
        images, tags = self.images, self.tags
        slots = []
        for i in self.numbers:
            slots.append(
                replace(
                    images,
                    attr=self.image_key(i),
                    kind="media",
                    label=numbered(images.label, i),
                    required=i <= images.length[0],
                )
            )
            if tags is not None:
                suggested = tags.suggested[i - 1] if tags.suggested else tags.choices[0]
                slots.append(
                    replace(
                        tags,
                        attr=self.tag_key(i),
                        kind="choice",
                        label=numbered(tags.label, i),
                        required=True,
                        suggested=suggested,
                    )
                )
        return slots

    # -- values ----------------------------------------------------------------------------

    def gather(self, values: dict[str, Any]) -> None:
        """Replace the slots' values in ``values`` by the lists the request takes."""
        images, tags = [], []
        for i in self.numbers:
            image = values.pop(self.image_key(i))
            tag = values.pop(self.tag_key(i)) if self.tags else None
            if image is not None:
                images.append(image)
                tags.append(tag)
        values[self.images.attr] = images or None
        if self.tags is not None:
            values[self.tags.attr] = tags or None

    def spread(self, request: VaceRequest, controls: Mapping[str, FieldControl]) -> None:
        """Show the request's lists in the slots (a request without tags: the API's
        reading, every image its first choice, §5)."""
        images = list(getattr(request, self.images.attr) or ())
        tags: list[Any] = []
        if self.tags is not None:
            tags = list(getattr(request, self.tags.attr) or [self.tags.choices[0]] * len(images))
        for i in self.numbers:
            has = i <= len(images)
            controls[self.image_key(i)].write(images[i - 1] if has else None)
            if has and self.tags is not None:
                controls[self.tag_key(i)].write(tags[i - 1])

    # -- problems --------------------------------------------------------------------------

    def place(
        self, problems: Mapping[str, str], controls: Mapping[str, FieldControl], function: str
    ) -> dict[str, str]:
        """The lists' problems beside their own slots: "entry 2 …" of the image list beside
        the second image given; a rule of the tags beside the tag of each image."""
        lists = {self.images.attr: self.image_key}
        if self.tags is not None:
            lists[self.tags.attr] = self.tag_key
        placed: dict[str, str] = {}
        filled = [i for i in self.numbers if controls[self.image_key(i)].read() is not None]
        for attr, rule in problems.items():
            if attr not in lists:
                continue
            entry = _ENTRY.match(rule)
            if entry and int(entry[1]) <= len(filled):
                numbers = [filled[int(entry[1]) - 1]]
                rule = rule[entry.end() :]
            else:
                numbers = filled or [1]
            for i in numbers:
                placed.setdefault(lists[attr](i), on_screen(rule, function))
        return placed


def numbered(label: str, i: int) -> str:
    """A list row's label for its entry ``i``: the number after the word naming one image.

    >>> numbered("Reference images (optional)", 2), numbered("image is", 3)
    ('Reference image 2', 'image 3 is')
    """
    words = label.removesuffix(" (optional)").split(" ")
    at = next((k for k, word in enumerate(words) if word.lower().startswith("image")), None)
    if at is None:
        return f"{label} {i}"
    words[at] = f"{words[at].removesuffix('s')} {i}"
    return " ".join(words)
