"""On-the-fly augmentation of training patches; images and labels always move together."""

import torch


def flip_rotate(images, labels, generator):
    """Random flips and 90-degree rotations per sample of a batch (N, C, H, W) / (N, H, W).

    Square patches only (rotation keeps the shape); labels get exactly the image's transform.
    """
    images = images.clone()
    labels = labels.clone()
    count = images.shape[0]
    turns = torch.randint(0, 4, (count,), generator=generator)
    flips = torch.randint(0, 2, (count,), generator=generator)
    for i in range(count):
        image, label = images[i], labels[i]
        if flips[i]:
            image, label = image.flip(-1), label.flip(-1)
        if turns[i]:
            image = torch.rot90(image, int(turns[i]), dims=(-2, -1))
            label = torch.rot90(label, int(turns[i]), dims=(-2, -1))
        images[i], labels[i] = image, label
    return images, labels
