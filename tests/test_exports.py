"""The public API: __all__ is sorted, complete, and every name imports."""

import wanvace_widgets as wv


def test_all_is_sorted_and_importable():
    assert wv.__all__ == sorted(wv.__all__)
    for name in wv.__all__:
        assert hasattr(wv, name), name


def test_every_public_class_is_exported():
    public = {n for n, v in vars(wv).items() if isinstance(v, type) and not n.startswith("_")}
    assert public <= set(wv.__all__)
