"""Random forest: seconds to fit, and seconds per 501 x 501 slice, old prediction path vs new.

Usage (from the repository root):
    python benchmarks/rf.py                      # a 24 x 501 x 501 synthetic slab, 2 threads
    python benchmarks/rf.py --volume results/ingest/volume.h5 --split results/split/split.csv
    python benchmarks/rf.py --quick              # a tiny smoke run (seconds)

The slab is generated with the default config's synthetic settings (or read from an ingested
volume: its train slices fit the forest, its test slices are predicted). The forest is the
default config's `rf` model, fitted as its training job fits it (on threads.train threads, 1 by
default; --threads sets the prediction's, threads.evaluate). Per slice, in alternating rounds:
  old   the pipeline's path before issue 17: scikit-image features, then a numpy walk of every
        tree level by level for all pixels at once (one thread);
  new   rf.predict_proba: the same features, then the forest (stored with skops) predicting
        with scikit-learn's predict_proba, rows split over `--threads` threads.
Features and the two walks are also timed alone. Wall seconds are medians over rounds; CPU
seconds (all threads of the process, one more call each) show what a loaded machine hides; the
speed-up is the median of per-round ratios. The two paths must give the same classes (printed,
with the largest probability difference: the old walk averaged float32 class fractions).
"""

import argparse
import statistics
import time

import numpy as np
from machine import alternate, print_machine, write_json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=24, help="slab depth (synthetic)")
    parser.add_argument("--side", type=int, default=501)
    parser.add_argument("--volume", help="an ingested volume.h5 to use instead of a synthetic slab")
    parser.add_argument("--split", help="its split.csv (with --volume)")
    parser.add_argument("--predict-slices", type=int, default=3, help="test slices timed")
    parser.add_argument("--threads", type=int, default=2, help="threads (config threads.evaluate)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="a 6 x 64 x 64 slab, 4 trees")
    args = parser.parse_args(argv)
    if args.quick:
        args.slices, args.side, args.rounds, args.predict_slices = 6, 64, 2, 1
    if bool(args.volume) != bool(args.split):
        parser.error("--volume and --split go together")
    return args


def synthetic_slab(config, slices, side):
    """(raw normalised float32, labels uint8, train indices, test indices) of a generated slab:
    the first two thirds train, the rest test; normalised on the train slices as ingest does."""
    from xrayseg.data.synthetic import image_phases, make_phases

    settings = config["synthetic"]
    phases = make_phases(
        (slices, side, side), settings["fractions"], settings["feature_size"], settings["seed"]
    )
    raw = image_phases(
        phases,
        settings["grey_means"],
        settings["grey_stds"],
        settings["edge_blur"],
        settings["drift"],
        settings["seed"],
    ).astype(np.float32)
    n_train = max(1, 2 * slices // 3)
    low, high = np.percentile(raw[:n_train], config["data"]["normalise_percentiles"])
    raw = (raw - low) / (high - low)
    return raw, phases, list(range(n_train)), list(range(n_train, slices))


def ingested_slab(volume_path, split_csv):
    """The same from an ingested volume: train slices read whole, test slices as listed."""
    import h5py
    import pandas as pd

    from xrayseg.data.split import slices_of

    frame = pd.read_csv(split_csv)
    train, test = slices_of(frame, "train"), slices_of(frame, "test")
    volume = h5py.File(volume_path, "r")
    return volume["raw"], volume["labels"], train, test


def numpy_walk(forest, features):
    """The prediction path before issue 17 (rf.forest_proba at commit dc645b0), kept here as the
    reference: every tree walked level by level for all pixels at once in numpy, from its node
    arrays and float32 class fractions."""
    total = 0.0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        value = tree.value[:, 0, :] / tree.value[:, 0, :].sum(1, keepdims=True)
        value = value.astype(np.float32)
        rows = np.arange(len(features))
        nodes = np.zeros(len(features), dtype=np.int64)
        active = rows if tree.children_left[0] >= 0 else rows[:0]
        while active.size:
            at = nodes[active]
            goes_left = features[active, tree.feature[at]] <= tree.threshold[at]
            nodes[active] = np.where(goes_left, tree.children_left[at], tree.children_right[at])
            active = active[tree.children_left[nodes[active]] >= 0]
        total = total + value[nodes].astype(np.float64)
    return (total / len(forest.estimators_)).astype(np.float32)


def cpu_seconds(function):
    """Process CPU seconds (all threads) of one call."""
    started = time.process_time()
    function()
    return time.process_time() - started


def main(argv=None):
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from dataset import default_config

    from xrayseg.models import fit_pixel_model, rf
    from xrayseg.models.forest import forest_proba

    machine = print_machine(f"random forest: fit, and seconds per slice ({args.threads} threads)")
    config = default_config()
    rf_settings = {k: v for k, v in config["models"]["rf"].items() if k != "arch"}
    if args.quick:
        rf_settings.update(trees=4, samples=2000)
    if args.volume:
        raw, labels, train, test = ingested_slab(args.volume, args.split)
    else:
        raw, labels, train, test = synthetic_slab(config, args.slices, args.side)
    print(
        f"slices {raw.shape[1]} x {raw.shape[2]}: {len(train)} train, timing "
        f"{min(args.predict_slices, len(test))} test slice(s); rf {rf_settings}",
        flush=True,
    )
    fit_threads = int(config["threads"]["train"])
    torch.set_num_threads(fit_threads)
    fit_wall, fit_cpu = time.perf_counter(), time.process_time()
    params = fit_pixel_model(
        "rf",
        [raw[z] for z in train],
        [labels[z] for z in train],
        3,
        rf_settings,
        seed=config["seed"],
        threads=fit_threads,
    )
    fit_wall, fit_cpu = time.perf_counter() - fit_wall, time.process_time() - fit_cpu
    torch.set_num_threads(args.threads)
    print(
        f"  fit on {fit_threads} thread(s): {fit_wall:.1f} s wall, {fit_cpu:.1f} s CPU "
        f"({rf.parameter_count(params)} nodes)"
    )

    images = [np.asarray(raw[z], dtype=np.float32) for z in test[: args.predict_slices]]
    model = rf.unpack(params)
    settings, forest = model["features"], model["forest"]
    rows = [rf.pixel_features(image, settings).reshape(image.size, -1) for image in images]

    def old():
        for image in images:
            numpy_walk(forest, rf.pixel_features(image, settings).reshape(image.size, -1))

    def new():
        for image in images:
            rf.predict_proba(model, image, 3)

    contenders = {
        "old (features + numpy walk, 1 thread)": old,
        f"new (rf.predict_proba, {args.threads} threads)": new,
        "features alone": lambda: [rf.pixel_features(image, settings) for image in images],
        "old walk alone": lambda: [numpy_walk(forest, r) for r in rows],
        "new walk alone": lambda: [forest_proba(forest, r, 3, args.threads) for r in rows],
    }
    seconds = alternate(contenders, args.rounds, warmup=1)
    cpu = {name: cpu_seconds(function) for name, function in contenders.items()}
    pairs = [(numpy_walk(forest, r), forest_proba(forest, r, 3, args.threads)) for r in rows]
    same_classes = all(np.array_equal(o.argmax(1), n.argmax(1)) for o, n in pairs)
    largest_difference = max(float(np.abs(o - n).max()) for o, n in pairs)
    per_slice = {
        name: {
            "median_s": statistics.median(times) / len(images),
            "min_s": min(times) / len(images),
            "cpu_s": cpu[name] / len(images),
        }
        for name, times in seconds.items()
    }
    print(f"  per {images[0].shape[0]} x {images[0].shape[1]} slice:")
    print(f"    {'path':42s} {'median s':>9s} {'min s':>7s} {'CPU s':>7s}")
    for name, figures in per_slice.items():
        print(
            f"    {name:42s} {figures['median_s']:9.3f} {figures['min_s']:7.3f} "
            f"{figures['cpu_s']:7.3f}"
        )
    old_name, new_name = list(contenders)[:2]
    # The median of per-round ratios: load that comes and goes falls on both alike.
    speedup = statistics.median(
        o / n for o, n in zip(seconds[old_name], seconds[new_name], strict=True)
    )
    print(
        f"  new is {speedup:.1f}x faster than old (median of per-round ratios); same classes: "
        f"{same_classes}, largest probability difference {largest_difference:.1e}"
    )
    figures = {
        "machine": machine,
        "slice_shape": list(images[0].shape),
        "threads": args.threads,
        "rf": rf_settings,
        "fit_threads": fit_threads,
        "fit_wall_s": fit_wall,
        "fit_cpu_s": fit_cpu,
        "per_slice": per_slice,
        "speedup": speedup,
        "same_classes": same_classes,
        "largest_difference": largest_difference,
    }
    write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
