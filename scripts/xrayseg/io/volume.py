"""The ingested volume, results/ingest/volume.h5: its layout, metadata and ignored-pixel label.

Layout (written by xrayseg.data.ingest):
  raw       float32 (Z, Y, X)  grey values mapped so the train slices' low/high percentiles are 0/1
  labels    uint8   (Z, Y, X)  class indices 0..C-1; pixels under the mask, and every pixel of an
                               unlabelled slice, hold IGNORE_INDEX
  labelled  bool    (Z,)       True where the slice holds at least one labelled pixel (absent in
                               volumes written before sparse labels: every slice labelled)
  attrs   class_names, label_values, norm_low, norm_high, norm_percentiles, raw_names,
          label_names, n_slices, config_hash, ignore_index, mask_value, label_kind, raw_source,
          labels_source, slice_range (JSON text where not a number)

volume_attrs encodes the attributes and read_volume_info decodes them: every stage that needs a
fact about the volume (class names, label values, normalisation, slice names, ...) reads it here.
"""

import json

import h5py

# Label value of pixels that count for nothing in training and scoring (the config's ignore mask).
IGNORE_INDEX = 255
# The dataset of the per-slice labelled flags.
LABELLED_DATASET = "labelled"


class VolumeInfo:
    """The metadata of an ingested volume, decoded from volume.h5's attributes, and its shape.

    Each fact is decoded when asked for; one the file lacks is an error naming the file.
    """

    def __init__(self, path, attrs, shape, labelled=None):
        self.path = path
        self.attrs = dict(attrs)
        self.shape = tuple(int(n) for n in shape)  # (Z, Y, X)
        self._labelled = None if labelled is None else [bool(flag) for flag in labelled]

    def _json(self, key):
        return json.loads(self._attr(key))

    def _attr(self, key):
        if key not in self.attrs:
            raise ValueError(
                f"{self.path}: no attribute {key!r}; it is not a volume this version's ingest "
                "wrote, run ingest again (snakemake --forcerun results/ingest/volume.h5)"
            )
        return self.attrs[key]

    @property
    def class_names(self):
        return self._json("class_names")

    @property
    def label_values(self):
        """Grey values or [R, G, B] colours, class i first."""
        return self._json("label_values")

    @property
    def normalisation(self):
        """{"low", "high"}: the raw grey values mapped to 0 and 1."""
        return {"low": float(self._attr("norm_low")), "high": float(self._attr("norm_high"))}

    @property
    def norm_percentiles(self):
        return self._json("norm_percentiles")

    @property
    def raw_names(self):
        """The source name of each raw slice."""
        return self._json("raw_names")

    @property
    def label_names(self):
        """The source name of each label slice ("" where a raw slice had no label file)."""
        return self._json("label_names")

    @property
    def labelled(self):
        """A bool per slice: True where it holds at least one labelled pixel. A volume without
        the dataset (written before sparse labels) counts as labelled throughout."""
        if self._labelled is None:
            return [True] * self.shape[0]
        return list(self._labelled)

    @property
    def raw_source(self):
        """The data spec ingest read the raw slices from."""
        return str(self._attr("raw_source"))

    @property
    def labels_source(self):
        return str(self._attr("labels_source"))

    @property
    def mask_value(self):
        """The config's data.mask (None: no mask)."""
        return self._json("mask_value")

    @property
    def config_hash(self):
        return str(self._attr("config_hash"))

    def label_facts(self):
        """What a trained model keeps of its data (a checkpoint holds them, so evaluate and
        predict need no volume): class names, label values and the normalisation."""
        return {
            "class_names": self.class_names,
            "label_values": self.label_values,
            "normalisation": self.normalisation,
        }


def volume_attrs(
    class_names,
    label_values,
    normalisation,
    percentiles,
    raw_names,
    label_names,
    sources,
    mask,
    label_kind,
    slice_range,
    config_hash,
):
    """volume.h5's attributes, lists and None as JSON text (the inverse of read_volume_info).

    normalisation: (low, high); sources: (raw spec, labels spec)."""
    return {
        "class_names": json.dumps(list(class_names)),
        "label_values": json.dumps(list(label_values)),
        "norm_low": float(normalisation[0]),
        "norm_high": float(normalisation[1]),
        "norm_percentiles": json.dumps(list(percentiles)),
        "raw_names": json.dumps(list(raw_names)),
        "label_names": json.dumps(list(label_names)),
        "n_slices": len(raw_names),
        "config_hash": config_hash,
        "ignore_index": IGNORE_INDEX,
        "mask_value": json.dumps(mask),
        "label_kind": label_kind,
        "raw_source": str(sources[0]),
        "labels_source": str(sources[1]),
        "slice_range": json.dumps(list(slice_range)),
    }


def read_volume_info(volume_path):
    """The VolumeInfo of volume.h5; an error names the file when it cannot be read."""
    try:
        with h5py.File(volume_path, "r") as volume:
            labelled = volume[LABELLED_DATASET][()] if LABELLED_DATASET in volume else None
            return VolumeInfo(volume_path, volume.attrs, volume["raw"].shape, labelled)
    except (OSError, KeyError) as error:
        raise ValueError(
            f"{volume_path}: cannot read it as an ingested volume ({error}); run ingest again "
            "(snakemake --forcerun results/ingest/volume.h5)"
        ) from error
