"""The ingested volume, results/ingest/volume.h5: its layout and the label of ignored pixels.

Layout (written by xrayseg.data.ingest):
  raw     float32 (Z, Y, X)  grey values mapped so the train slices' low/high percentiles are 0/1
  labels  uint8   (Z, Y, X)  class indices 0..C-1; pixels under the mask hold IGNORE_INDEX
  attrs   class_names, label_values, norm_low, norm_high, ... (JSON text where not a number)
"""

# Label value of pixels that count for nothing in training and scoring (the config's ignore mask).
IGNORE_INDEX = 255
