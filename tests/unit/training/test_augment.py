"""Augmentations keep image and label aligned, and each one does what it says."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from xrayseg.io.volume import IGNORE_INDEX
from xrayseg.training.augment import Augmenter, augment_settings

NOTHING = {name: {"p": 0.0} for name in ("zoom", "contrast", "gamma", "blur", "cutout")}


def only(**transforms):
    """Settings with flips and turns off and just the given transforms on."""
    return {"flip": False, "rotate90": False, **NOTHING, **transforms}


def smooth_batch(count=16, side=32, channels=1, seed=0):
    """Smooth images and labels that are their thresholds (label = class of the grey value)."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((count, side, side)), (0, 3, 3))
    fields = (fields - fields.min()) / (fields.max() - fields.min())
    labels = np.digitize(fields, [0.4, 0.6])
    images = np.repeat(fields[:, None], channels, axis=1)
    return torch.from_numpy(images.astype(np.float32)), torch.from_numpy(labels.astype(np.int64))


def classes_of(images):
    return torch.bucketize(images[:, 0], torch.tensor([0.4, 0.6]), right=True)


def test_flips_and_turns_move_image_and_label_identically():
    labels = torch.randint(0, 3, (32, 12, 12))
    images = torch.stack([labels.float(), 2 * labels.float()], dim=1)  # two channels
    augment = Augmenter({"flip": True, "rotate90": True, **NOTHING})
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(0))
    assert torch.equal(new_images[:, 0], new_labels.float())
    assert torch.equal(new_images[:, 1], 2 * new_labels.float())
    changed = (new_labels != labels).flatten(1).any(1)
    assert changed.float().mean() > 0.5  # most samples moved (7 of 8 symmetries move)


def test_zoom_keeps_labels_on_their_pixels():
    images, labels = smooth_batch()
    augment = Augmenter(only(zoom={"p": 1.0, "range": [0.7, 1.4]}))
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(1))
    assert not torch.equal(new_labels, labels)
    # Bilinear image and nearest-neighbour labels disagree only on a thin rim of class edges;
    # labels off by a single pixel (or flipped) line up clearly worse.
    agreement = (classes_of(new_images) == new_labels).float().mean()
    assert agreement > 0.95
    for misaligned in (new_labels.roll(1, -1), new_labels.roll(1, -2), new_labels.flip(-1)):
        assert (classes_of(new_images) == misaligned).float().mean() < agreement - 0.05
    assert set(new_labels.unique().tolist()) <= {0, 1, 2}


def test_intensity_transforms_change_images_but_never_labels():
    images, labels = smooth_batch()
    for name, setting in (
        ("contrast", {"p": 1.0, "range": [0.5, 0.6]}),
        ("gamma", {"p": 1.0, "range": [1.5, 2.0]}),
        ("blur", {"p": 1.0, "sigma": [1.5, 2.0]}),
    ):
        augment = Augmenter(only(**{name: setting}))
        new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(2))
        assert torch.equal(new_labels, labels), name
        assert new_images.shape == images.shape
        assert not torch.allclose(new_images, images, atol=1e-3), name


def test_blur_smooths_noise():
    noise = torch.randn(4, 1, 32, 32)
    augment = Augmenter(only(blur={"p": 1.0, "sigma": [2.0, 2.0]}))
    blurred, _ = augment(noise, torch.zeros(4, 32, 32, dtype=torch.long), torch.Generator())
    assert blurred.std() < 0.5 * noise.std()
    assert torch.allclose(blurred.mean(), noise.mean(), atol=0.05)


def test_cutout_blanks_a_box_and_ignores_its_labels():
    images, labels = smooth_batch()
    augment = Augmenter(only(cutout={"p": 1.0, "size": [0.25, 0.5]}))
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(3))
    ignored = new_labels == IGNORE_INDEX
    fraction = ignored.flatten(1).float().mean(1)
    assert (fraction > 0.05).all() and (fraction < 0.3).all()
    for image, mask in zip(new_images[:, 0], ignored, strict=True):
        assert image[mask].unique().numel() == 1  # one fill value inside the box
    assert torch.equal(new_labels[~ignored], labels[~ignored])
    assert torch.equal(new_images[:, 0][~ignored], images[:, 0][~ignored])


def test_probability_zero_is_the_identity_and_one_always_fires():
    images, labels = smooth_batch(count=64)
    off = Augmenter(False)
    assert not off.active
    same_images, same_labels = off(images, labels, torch.Generator())
    assert torch.equal(same_images, images) and torch.equal(same_labels, labels)
    for name, setting in (("contrast", {"range": [0.5, 0.5]}), ("blur", {"sigma": [1.0, 1.0]})):
        half = Augmenter(only(**{name: {"p": 0.5, **setting}}))
        new_images, _ = half(images, labels, torch.Generator().manual_seed(4))
        # Samples not hit stay bit for bit the same; about half are hit.
        hit = (new_images != images).flatten(1).any(1).float().mean()
        assert 0.3 < hit < 0.7, name


def test_augmentation_is_seeded_and_applies_to_every_channel_alike():
    images, labels = smooth_batch(channels=3)
    augment = Augmenter(True)
    first = augment(images, labels, torch.Generator().manual_seed(7))
    second = augment(images, labels, torch.Generator().manual_seed(7))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    # The three channels started equal, so every transform must keep them equal.
    assert torch.allclose(first[0][:, 0], first[0][:, 1]) and torch.allclose(
        first[0][:, 0], first[0][:, 2]
    )


def test_settings_merge_with_the_defaults_and_reject_unknown_keys():
    settings = augment_settings({"zoom": {"p": 0.0}, "flip": False})
    assert settings["zoom"]["p"] == 0.0 and settings["zoom"]["range"]
    assert settings["flip"] is False and settings["rotate90"] is True
    with pytest.raises(ValueError, match="shear"):
        augment_settings({"shear": {"p": 1}})


# --- 3-D batches (N, C, D, H, W) with labels (N, D, H, W) -----------------------------------------


def smooth_cubes(count=8, depth=8, side=16, seed=0):
    """Smooth 3-D images and labels that are their thresholds."""
    rng = np.random.default_rng(seed)
    fields = ndimage.gaussian_filter(rng.standard_normal((count, depth, side, side)), (0, 2, 2, 2))
    fields = (fields - fields.min()) / (fields.max() - fields.min())
    labels = np.digitize(fields, [0.4, 0.6])
    return torch.from_numpy(fields[:, None].astype(np.float32)), torch.from_numpy(labels)


def test_3d_flips_and_turns_move_image_and_label_identically():
    labels = torch.randint(0, 3, (32, 6, 12, 12))
    images = torch.stack([labels.float(), 2 * labels.float()], dim=1)
    augment = Augmenter({"flip": True, "rotate90": True, **NOTHING})
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(0))
    assert new_images.shape == images.shape and new_labels.shape == labels.shape
    assert torch.equal(new_images[:, 0], new_labels.float())
    assert torch.equal(new_images[:, 1], 2 * new_labels.float())
    # Each sample is one of the 16 symmetries: 8 of the square in H/W, with or without a D flip.
    seen = set()
    for before, after in zip(labels, new_labels, strict=True):
        matches = [
            (depth_flip, flip, turn)
            for depth_flip in (False, True)
            for flip in (False, True)
            for turn in range(4)
            if torch.equal(_symmetry(before, depth_flip, flip, turn), after)
        ]
        assert matches
        seen.update(matches)
    assert any(depth_flip for depth_flip, _, _ in seen), "some samples are flipped along D"


def _symmetry(label, depth_flip, flip, turn):
    if depth_flip:
        label = label.flip(0)
    if flip:
        label = label.flip(-1)
    return torch.rot90(label, turn, dims=(-2, -1))


def test_2d_batches_draw_the_same_random_numbers_as_before_3d_existed():
    # A 2-D batch takes 17 draws per sample, so 2-D runs repeat bit for bit across versions.
    images, labels = smooth_batch(count=4)
    generator = torch.Generator().manual_seed(5)
    Augmenter(True)(images, labels, generator)
    reference = torch.Generator().manual_seed(5)
    torch.rand((4, 17), generator=reference, dtype=torch.float64)
    assert torch.equal(generator.get_state(), reference.get_state())


def test_3d_zoom_keeps_labels_on_their_voxels():
    images, labels = smooth_cubes()
    augment = Augmenter(only(zoom={"p": 1.0, "range": [0.7, 1.4]}))
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(1))
    assert not torch.equal(new_labels, labels)
    agreement = (classes_of(new_images) == new_labels).float().mean()
    assert agreement > 0.93
    for misaligned in (new_labels.roll(1, -1), new_labels.roll(1, -3), new_labels.flip(-3)):
        assert (classes_of(new_images) == misaligned).float().mean() < agreement - 0.03


def test_3d_intensity_transforms_change_images_but_never_labels():
    images, labels = smooth_cubes()
    for name, setting in (
        ("contrast", {"p": 1.0, "range": [0.5, 0.6]}),
        ("gamma", {"p": 1.0, "range": [1.5, 2.0]}),
        ("blur", {"p": 1.0, "sigma": [1.0, 1.0]}),
    ):
        new_images, new_labels = Augmenter(only(**{name: setting}))(
            images, labels, torch.Generator().manual_seed(2)
        )
        assert torch.equal(new_labels, labels), name
        assert new_images.shape == images.shape
        assert not torch.allclose(new_images, images, atol=1e-3), name


def test_3d_blur_smooths_along_the_stack_too():
    noise = torch.randn(2, 1, 8, 16, 16)
    labels = torch.zeros(2, 8, 16, 16, dtype=torch.long)
    blurred, _ = Augmenter(only(blur={"p": 1.0, "sigma": [1.0, 1.0]}))(
        noise, labels, torch.Generator()
    )
    # Neighbours along D become correlated (independent noise has correlation ~0).
    a, b = blurred[:, 0, :-1].flatten(), blurred[:, 0, 1:].flatten()
    assert torch.corrcoef(torch.stack([a, b]))[0, 1] > 0.4
    assert blurred.std() < 0.5 * noise.std()


def test_3d_cutout_blanks_a_box_and_ignores_its_labels():
    images, labels = smooth_cubes()
    augment = Augmenter(only(cutout={"p": 1.0, "size": [0.25, 0.5]}))
    new_images, new_labels = augment(images, labels, torch.Generator().manual_seed(3))
    ignored = new_labels == IGNORE_INDEX
    for image, mask in zip(new_images[:, 0], ignored, strict=True):
        assert mask.any() and image[mask].unique().numel() == 1
        # A box: the ignored voxels fill the bounding box of themselves.
        zs, ys, xs = (torch.nonzero(mask.any(dim=d)) for d in ((1, 2), (0, 2), (0, 1)))
        box = (zs.max() - zs.min() + 1) * (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
        assert int(mask.sum()) == int(box)
        assert int(zs.max() - zs.min() + 1) < mask.shape[0] or mask.shape[0] <= 4
    assert torch.equal(new_labels[~ignored], labels[~ignored])


def test_batches_of_other_ranks_are_an_error():
    with pytest.raises(ValueError, match="augment takes images"):
        Augmenter(True)(
            torch.zeros(2, 1, 8), torch.zeros(2, 8, dtype=torch.long), torch.Generator()
        )
